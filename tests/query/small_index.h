// Test helper: a small on-disk index built from hand-written documents,
// searched through parse_search_request with the index's settings, as the
// server does (tests of q, settings and ranking rules).
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "../test_util.h"
#include "meridian/index/index.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

namespace meridian::testing {

struct SmallIndex {
  TempDir dir;
  std::unique_ptr<index::Index> idx;

  // Applies a settings patch (PATCH /v1/indexes/{index}/settings).
  void set(const char* patch) {
    auto schema = idx->schema();
    auto next = index::patch_index_settings(*idx->settings(), *parse_json(patch), schema.get());
    REQUIRE_MESSAGE(next.is_ok(), next.status().message());
    REQUIRE(idx->set_settings(std::move(*next)).is_ok());
  }

  Result<query::SearchResponse> run(const std::string& body) {
    auto j = parse_json(body);
    REQUIRE(j.is_ok());
    auto schema = idx->schema();
    query::SearchRequestOptions o;
    o.settings = idx->settings();
    o.schema = schema.get();
    MERIDIAN_ASSIGN_OR_RETURN(query::SearchRequest req, query::parse_search_request(*j, o));
    return query::search(*idx->snapshot(), req, {});
  }

  std::vector<std::string> ids(const std::string& body) {
    auto r = run(body);
    REQUIRE_MESSAGE(r.is_ok(), r.status().message());
    std::vector<std::string> v;
    for (const auto& h : r->hits) v.push_back(h.id);
    return v;
  }
  std::vector<std::string> q(const std::string& text) { return ids(R"({"q": )" + Json(text).dump() + "}"); }
  // Every word required (matching strategy all, not the default last).
  std::vector<std::string> q_all(const std::string& text) {
    return ids(R"({"matching_strategy": "all", "q": )" + Json(text).dump() + "}");
  }
};

// A search request from its JSON body, with the default options.
inline query::SearchRequest parse_request(const std::string& body) {
  auto j = parse_json(body);
  REQUIRE_MESSAGE(j.is_ok(), body);
  auto r = query::parse_search_request(*j, {});
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  return std::move(*r);
}

// An index of `schema_json` holding `docs`, refreshed (one segment).
inline std::unique_ptr<SmallIndex> make_small_index(const char* schema_json, const std::vector<const char*>& docs) {
  auto s = std::make_unique<SmallIndex>();
  auto schema = index::Schema::from_json(*parse_json(schema_json));
  REQUIRE(schema.is_ok());
  index::IndexOptions io;
  io.background = false;
  auto idx = index::Index::open(s->dir.path(), "t", io, &*schema);
  REQUIRE(idx.is_ok());
  s->idx = std::move(*idx);
  std::vector<Json> batch;
  for (const char* d : docs) batch.push_back(*parse_json(d));
  for (auto& r : s->idx->put_many(batch)) REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  REQUIRE(s->idx->refresh().is_ok());
  return s;
}

}  // namespace meridian::testing

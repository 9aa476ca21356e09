// The OpenSearch translation layers: mappings, search bodies, aggregations,
// bulk NDJSON and the error shape.
#include <doctest/doctest.h>

#include "meridian/index/schema.h"
#include "meridian/query/search_request.h"
#include "meridian/server/compat_bulk.h"
#include "meridian/server/compat_error.h"
#include "meridian/server/compat_mapping.h"
#include "meridian/server/compat_search.h"

using namespace meridian;
using namespace meridian::server::compat;

namespace {
Json J(const char* text) {
  auto j = parse_json(text);
  REQUIRE(j);
  return *j;
}
}  // namespace

TEST_CASE("compat mapping: OpenSearch types become Meridian types") {
  auto s = mapping_to_schema(J(R"({"properties": {
      "title": {"type": "text", "analyzer": "english"}, "tag": {"type": "keyword", "ignore_above": 256},
      "n": {"type": "integer"}, "big": {"type": "long"}, "f": {"type": "float"}, "d": {"type": "double"},
      "sf": {"type": "scaled_float", "scaling_factor": 100}, "when": {"type": "date", "format": "strict_date"},
      "ok": {"type": "boolean"}, "loc": {"type": "geo_point"},
      "addr": {"properties": {"city": {"type": "keyword"}}}}})"));
  REQUIRE(s);
  const Json* f = s->find("fields");
  REQUIRE(f);
  CHECK(f->find("title")->find("type")->as_string() == "text");
  CHECK(f->find("title")->find("language")->as_string() == "en");
  CHECK(f->find("tag")->find("type")->as_string() == "keyword");
  for (const char* k : {"n", "big"}) CHECK(f->find(k)->find("type")->as_string() == "int");
  for (const char* k : {"f", "d", "sf"}) CHECK(f->find(k)->find("type")->as_string() == "float");
  CHECK(f->find("when")->find("type")->as_string() == "date");
  CHECK(f->find("ok")->find("type")->as_string() == "bool");
  CHECK(f->find("loc")->find("type")->as_string() == "geo_point");
  CHECK(f->find("addr.city")->find("type")->as_string() == "keyword");
  CHECK(s->find("id_field")->as_string() == "_id");
  // The result is a schema Meridian accepts, and maps back.
  auto schema = index::Schema::from_json(*s);
  REQUIRE(schema);
  Json back = schema_to_mapping(*schema);
  const Json* props = back.find("properties");
  CHECK(props->find("n")->find("type")->as_string() == "long");
  CHECK(props->find("d")->find("type")->as_string() == "double");
  CHECK(props->find("ok")->find("type")->as_string() == "boolean");
  CHECK(props->find("addr")->find("properties")->find("city")->find("type")->as_string() == "keyword");
  CHECK_FALSE(props->find("_id"));
}

TEST_CASE("compat mapping: unsupported types and options are errors naming the field") {
  auto s = mapping_to_schema(J(R"({"properties": {"ip": {"type": "ip"}}})"));
  REQUIRE_FALSE(s);
  CHECK(s.status().message().find("No handler for type [ip] declared on field [ip]") != std::string::npos);
  s = mapping_to_schema(J(R"({"properties": {"t": {"type": "text", "fields": {"raw": {"type": "keyword"}}}}})"));
  REQUIRE_FALSE(s);
  CHECK(s.status().message().find("multi-fields") != std::string::npos);
  s = mapping_to_schema(J(R"({"properties": {"t": {"type": "text", "analyzer": "klingon"}}})"));
  REQUIRE_FALSE(s);
  CHECK(s.status().message().find("analyzer [klingon]") != std::string::npos);
  CHECK_FALSE(mapping_to_schema(J(R"({"properties": {"t": {"type": "nested", "properties": {}}}})")));
  CHECK_FALSE(mapping_to_schema(J(R"({"dynamic": "strict"})")));
  std::vector<std::string> aliases;
  auto c = create_body_to_schema(J(R"({"settings": {"number_of_shards": 3}, "aliases": {"live": {}},
                                       "mappings": {"properties": {"a": {"type": "keyword"}}}})"), &aliases);
  REQUIRE(c);
  CHECK(aliases == std::vector<std::string>{"live"});
  CHECK_FALSE(create_body_to_schema(J(R"({"mapping": {}})"), &aliases));
}

TEST_CASE("compat search: an OpenSearch body becomes a native body the DSL parser accepts") {
  SearchPlan plan;
  auto n = search_body_to_native(J(R"({
      "query": {"bool": {"must": [{"match": {"name": {"query": "paris", "_name": "q1"}}}],
                         "filter": [{"geo_distance": {"distance": "10km", "distance_type": "arc", "loc": {"lat": 1, "lon": 2}}},
                                    {"term": {"_id": "7"}}]}},
      "from": 5, "size": 3, "sort": [{"pop": "desc"}, "_id"], "_source": {"includes": ["name"]},
      "aggs": {"by_c": {"terms": {"field": "country", "size": 5}}, "p": {"range": {"field": "pop", "ranges": [{"to": 10}]}}},
      "track_total_hits": true, "timeout": "1s"})"), "_id", &plan);
  REQUIRE(n);
  CHECK(plan.sorted);
  CHECK(plan.aggs.at("by_c") == "terms");
  CHECK(plan.aggs.at("p") == "range");
  CHECK(n->find("facets")->find("by_c")->find("terms")->find("size")->as_int() == 5);
  CHECK(n->find("fields")->as_array()[0].as_string() == "name");
  CHECK(n->find("sort")->as_array()[1].as_string() == "_id");
  const Json& filter = n->find("query")->find("bool")->find("filter")->as_array()[1];
  CHECK(filter.find("ids")->find("values")->as_array()[0].as_string() == "7");
  CHECK_FALSE(n->find("timeout"));
  auto req = query::parse_search_request(*n);
  INFO(req.status().message());
  REQUIRE(req);
  CHECK(req->from == 5);
  CHECK(req->size == 3);
  CHECK(req->facets.at("p").kind == query::FacetSpec::Kind::kRange);
  CHECK(req->track_total_hits == query::kTrackAllHits);
  CHECK(query::to_string(req->query).find("geo_distance") != std::string::npos);
}

TEST_CASE("compat search: what is not supported is an error naming it") {
  SearchPlan plan;
  auto n = search_body_to_native(J(R"({"post_filter": {}})"), "_id", &plan);
  REQUIRE_FALSE(n);
  CHECK(n.status().message().find("[post_filter]") != std::string::npos);
  n = search_body_to_native(J(R"({"aggs": {"a": {"terms": {"field": "x"}, "aggs": {"b": {"stats": {"field": "y"}}}}}})"), "_id", &plan);
  REQUIRE_FALSE(n);
  CHECK(n.status().message().find("sub-aggregations") != std::string::npos);
  n = search_body_to_native(J(R"({"aggs": {"a": {"cardinality": {"field": "x"}}}})"), "_id", &plan);
  REQUIRE_FALSE(n);
  CHECK(n.status().message().find("[cardinality] is not supported") != std::string::npos);
  n = search_body_to_native(J(R"({"aggs": {"a": {"terms": {"field": "x", "order": {"_key": "asc"}}}}})"), "_id", &plan);
  REQUIRE_FALSE(n);
  CHECK(n.status().message().find("[order]") != std::string::npos);
  SearchPlan count;
  count.count_only = true;
  CHECK_FALSE(search_body_to_native(J(R"({"size": 3})"), "_id", &count));
  auto c = search_body_to_native(J(R"({"query": {"match_all": {}}})"), "_id", &count);
  REQUIRE(c);
  CHECK(c->find("size")->as_int() == 0);
}

TEST_CASE("compat search: URL parameters fold into the body") {
  auto b = search_params_to_body({{"q", "name:paris"}, {"size", "2"}, {"sort", "pop:desc,name"}, {"_source", "false"}});
  REQUIRE(b);
  CHECK(b->find("query")->find("query_string")->find("query")->as_string() == "name:paris");
  CHECK(b->find("size")->as_int() == 2);
  CHECK(b->find("sort")->as_array()[0].find("pop")->as_string() == "desc");
  CHECK(b->find("sort")->as_array()[1].as_string() == "name");
  CHECK(b->find("_source")->as_bool() == false);
  CHECK_FALSE(search_params_to_body({{"size", "x"}}));
  CHECK_FALSE(search_params_to_body({{"scroll", "1m"}}));
}

TEST_CASE("compat search: facets render as OpenSearch aggregations, hits as hits.hits") {
  SearchPlan plan;
  plan.aggs = {{"t", "terms"}, {"h", "histogram"}, {"r", "range"}, {"s", "stats"}, {"g", "geohash_grid"}, {"b", "geo_bounds"},
               {"empty", "geo_bounds"}};
  Json facets = J(R"({"t": {"buckets": [{"key": "FR", "count": 3}]}, "h": {"buckets": [{"key": 10.0, "count": 2}]},
      "r": {"buckets": [{"key": "*-10", "to": 10, "count": 4}]}, "s": {"count": 2, "min": 1, "max": 3, "avg": 2, "sum": 4},
      "g": {"buckets": [{"key": "u09", "count": 5, "centroid": {"lat": 1, "lon": 2}}]},
      "b": {"top": 50, "left": 2, "bottom": 40, "right": 9, "count": 3}, "empty": {"count": 0}})");
  Json a = facets_to_aggregations(facets, plan);
  CHECK(a.find("t")->find("buckets")->as_array()[0].find("doc_count")->as_int() == 3);
  CHECK(a.find("t")->find("buckets")->as_array()[0].find("key")->as_string() == "FR");
  CHECK(a.find("h")->find("buckets")->as_array()[0].find("doc_count")->as_int() == 2);
  CHECK(a.find("r")->find("buckets")->as_array()[0].find("to")->as_int() == 10);
  CHECK(a.find("s")->find("avg")->as_int() == 2);
  CHECK(a.find("g")->find("buckets")->as_array()[0].find("key")->as_string() == "u09");
  CHECK(a.find("b")->find("bounds")->find("top_left")->find("lat")->as_int() == 50);
  CHECK(a.find("b")->find("bounds")->find("bottom_right")->find("lon")->as_int() == 9);
  CHECK_FALSE(a.find("empty")->find("bounds"));

  query::SearchResponse r;
  r.total = 12;
  query::Hit h;
  h.id = "7";
  h.score = 1.5;
  h.source = J(R"({"_id": "7", "name": "x"})");
  r.hits.push_back(h);
  Json out = search_response("cities", r, SearchPlan{}, "_id", 3);
  CHECK(out.find("took")->as_int() == 3);
  CHECK(out.find("timed_out")->as_bool() == false);
  CHECK(out.find("_shards")->find("successful")->as_int() == 1);
  const Json* hits = out.find("hits");
  CHECK(hits->find("total")->find("value")->as_int() == 12);
  CHECK(hits->find("total")->find("relation")->as_string() == "eq");
  CHECK(hits->find("max_score")->as_double() == 1.5);
  const Json& hit = hits->find("hits")->as_array()[0];
  CHECK(hit.find("_index")->as_string() == "cities");
  CHECK(hit.find("_id")->as_string() == "7");
  CHECK(hit.find("_source")->find("name")->as_string() == "x");
  CHECK_FALSE(hit.find("_source")->find("_id"));  // the id field of a compat index is hidden
  CHECK_FALSE(out.find("aggregations"));
  CHECK_FALSE(hit.find("_explanation"));
  r.hits[0].explanation = J(R"({"value": 1.5, "description": "bm25"})");
  Json explained = search_response("cities", r, SearchPlan{}, "_id", 3);
  CHECK(explained.find("hits")->find("hits")->as_array()[0].find("_explanation")->find("value")->as_double() == 1.5);
  SearchPlan sorted;
  sorted.sorted = true;
  r.hits[0].sort = J("[5, 1]");
  Json s = search_response("cities", r, sorted, "id", 0);
  const Json& sh = s.find("hits")->find("hits")->as_array()[0];
  CHECK(sh.find("_score")->is_null());
  CHECK(sh.find("sort")->size() == 2);
  CHECK(sh.find("_source")->find("_id"));  // a native index's fields stay as stored
}

TEST_CASE("compat bulk: actions pair with their sources; a bad source fails its item only") {
  std::string body =
      "{\"index\": {\"_index\": \"a\", \"_id\": \"1\"}}\n{\"x\": 1}\n"
      "{\"create\": {\"_id\": 2}}\n{\"x\": 2}\n"
      "\n"
      "{\"update\": {\"_index\": \"b\", \"_id\": \"3\"}}\n{\"doc\": {\"x\": 3}, \"doc_as_upsert\": true}\n"
      "{\"delete\": {\"_index\": \"a\", \"_id\": \"4\"}}\n"
      "{\"index\": {}}\nnot json\n"
      "{\"update\": {\"_id\": \"5\"}}\n{\"script\": {\"source\": \"ctx._source.x++\"}}\n";
  auto items = parse_bulk(body, "dflt");
  REQUIRE(items);
  REQUIRE(items->size() == 6);
  CHECK((*items)[0].op == BulkItem::Op::kIndex);
  CHECK((*items)[0].index == "a");
  CHECK((*items)[0].id == "1");
  CHECK((*items)[0].source.find("x")->as_int() == 1);
  CHECK((*items)[1].op == BulkItem::Op::kCreate);
  CHECK((*items)[1].index == "dflt");
  CHECK((*items)[1].id == "2");
  CHECK((*items)[2].op == BulkItem::Op::kUpdate);
  CHECK((*items)[2].line == 6);
  CHECK((*items)[3].op == BulkItem::Op::kDelete);
  CHECK((*items)[3].source.is_null());
  CHECK((*items)[4].id.empty());
  CHECK((*items)[4].error.find("line 10") != std::string::npos);
  CHECK((*items)[5].error.find("[script] is not supported") != std::string::npos);
  CHECK(op_name(BulkItem::Op::kCreate) == "create");
  // Optimistic concurrency cannot be honoured: the item fails, the others go on.
  auto occ = parse_bulk("{\"index\": {\"_id\": \"1\", \"if_seq_no\": 3}}\n{}\n{\"delete\": {\"_id\": \"2\"}}\n", "a");
  REQUIRE(occ);
  REQUIRE(occ->size() == 2);
  CHECK((*occ)[0].error.find("[if_seq_no] is not supported") != std::string::npos);
  CHECK((*occ)[1].error.empty());
  CHECK_FALSE(parse_bulk("{\"index\": {\"pipeline\": \"p\"}}\n{}\n", "a"));  // pipelines would change the document
}

TEST_CASE("compat bulk: a malformed action line fails the request, naming the line") {
  auto r = parse_bulk("{\"index\": {}}\n{}\n{\"upsert\": {}}\n{}\n", "a");
  REQUIRE_FALSE(r);
  CHECK(r.status().message().find("line 3") != std::string::npos);
  r = parse_bulk("{\"delete\": {\"_index\": \"a\"}}\n", "");
  REQUIRE_FALSE(r);
  CHECK(r.status().message().find("_id") != std::string::npos);
  r = parse_bulk("{\"index\": {}}\n", "a");
  REQUIRE_FALSE(r);
  CHECK(r.status().message().find("no source line") != std::string::npos);
  CHECK_FALSE(parse_bulk("[1,2]\n", "a"));
}

TEST_CASE("compat msearch: header/body pairs") {
  auto r = parse_msearch("{\"index\": \"a\"}\n{\"query\": {\"match_all\": {}}}\n{}\n{\"size\": 1}\n", "dflt");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].first == "a");
  CHECK((*r)[1].first == "dflt");
  CHECK((*r)[1].second.find("size")->as_int() == 1);
  CHECK_FALSE(parse_msearch("{}\n{}\n", ""));  // no index anywhere
  CHECK_FALSE(parse_msearch("{\"index\": \"a\"}\n", ""));
}

TEST_CASE("compat errors: OpenSearch's shape") {
  auto body = parse_json(error_body(index_not_found("cities")));
  REQUIRE(body);
  CHECK(body->find("status")->as_int() == 404);
  const Json* e = body->find("error");
  CHECK(e->find("type")->as_string() == "index_not_found_exception");
  CHECK(e->find("reason")->as_string() == "no such index [cities]");
  CHECK(e->find("index")->as_string() == "cities");
  const Json& cause = e->find("root_cause")->as_array()[0];
  CHECK(cause.find("type")->as_string() == "index_not_found_exception");
  CHECK(cause.find("reason")->as_string() == "no such index [cities]");
  OsError p = from_status(Status::invalid("query.match: unknown key 'x'"), "parsing_exception");
  CHECK(p.status == 400);
  CHECK(p.type == "parsing_exception");
  OsError x = from_status(Status::exists("index 'a' already exists"));
  CHECK(x.status == 400);
  CHECK(x.type == "resource_already_exists_exception");
  CHECK(from_status(Status::io_error("disk full")).status == 503);
}

TEST_CASE("compat errors: a native route's error keeps its status and reason") {
  OsError e = from_native_error(400, R"({"error": {"type": "invalid_argument", "reason": "query: unknown field 'x'", "path": "query"}})",
                                "parsing_exception");
  CHECK(e.status == 400);
  CHECK(e.type == "parsing_exception");
  CHECK(e.reason == "query: unknown field 'x'");
  e = from_native_error(503, R"({"error": {"type": "unavailable", "reason": "no shard of 'b' answered", "index": "b"}})");
  CHECK(e.type == "unavailable_shards_exception");
  CHECK(e.index == "b");
  CHECK(from_native_error(404, "{}").type == "resource_not_found_exception");
  CHECK(from_native_error(409, "{}").type == "resource_already_exists_exception");
  e = from_native_error(502, "not json");
  CHECK(e.type == "exception");
  CHECK(e.reason == "HTTP 502 without a reason");
}

TEST_CASE("compat cluster: number_of_shards and number_of_replicas become shards and copies") {
  auto c = create_body_shard_counts(J(R"({"mappings": {}})"));
  REQUIRE(c);
  CHECK(c->shards == 1);
  CHECK(c->replicas == 1);
  c = create_body_shard_counts(J(R"({"settings": {"number_of_shards": 3, "number_of_replicas": "1", "refresh_interval": "1s"}})"));
  REQUIRE(c);
  CHECK(c->shards == 3);
  CHECK(c->replicas == 2);  // one copy besides the first
  c = create_body_shard_counts(J(R"({"settings": {"index": {"number_of_shards": "4", "number_of_replicas": 0}}})"));
  REQUIRE(c);
  CHECK(c->shards == 4);
  CHECK(c->replicas == 1);
  c = create_body_shard_counts(J(R"({"settings": {"index.number_of_shards": 2}})"));
  REQUIRE(c);
  CHECK(c->shards == 2);
  for (const char* bad : {R"({"settings": {"number_of_shards": 0}})", R"({"settings": {"number_of_shards": 257}})",
                          R"({"settings": {"number_of_shards": "two"}})", R"({"settings": {"number_of_replicas": 16}})",
                          R"({"settings": {"number_of_replicas": -1}})", R"({"settings": 3})"}) {
    auto r = create_body_shard_counts(J(bad));
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
  }
  auto r = create_body_shard_counts(J(R"({"settings": {"number_of_replicas": 16}})"));
  CHECK(r.status().message().find("[index.number_of_replicas]") != std::string::npos);
}

TEST_CASE("compat cluster: the router's merged answer renders as a node-local search does") {
  Json merged = J(R"({"total": {"value": 12, "relation": "eq"},
      "hits": [{"id": "a", "score": 2.5, "source": {"_id": "a", "title": "river"}, "sort": [2.5, 7]},
               {"id": "b", "score": 1.25, "source": {"_id": "b", "title": "stone"}, "highlight": {"title": ["<em>stone</em>"]}}],
      "facets": {"t": {"buckets": [{"key": "x", "count": 7}]}}, "took_ms": 3.2,
      "shards": {"total": 3, "successful": 3, "failed": 0}})");
  SearchPlan plan;
  plan.aggs["t"] = "terms";
  Json out = clustered_search_response("books", merged, plan, "_id", 4);
  // The same shape as search_response of the same hits on one node, but for _shards.
  query::SearchResponse r;
  r.total = 12;
  r.hits.resize(2);
  r.hits[0].id = "a";
  r.hits[0].score = 2.5;
  r.hits[0].source = J(R"({"_id": "a", "title": "river"})");
  r.hits[0].sort = J("[2.5, 7]");
  r.hits[1].id = "b";
  r.hits[1].score = 1.25;
  r.hits[1].source = J(R"({"_id": "b", "title": "stone"})");
  r.hits[1].highlight = J(R"({"title": ["<em>stone</em>"]})");
  r.facets = *merged.find("facets");
  Json local = search_response("books", r, plan, "_id", 4);
  CHECK(out.find("hits")->dump() == local.find("hits")->dump());
  CHECK(out.find("aggregations")->dump() == local.find("aggregations")->dump());
  CHECK(out.find("_shards")->dump() == R"({"total":3,"successful":3,"skipped":0,"failed":0})");
  std::vector<std::string> keys;
  for (const auto& [k, v] : out.as_object()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"took", "timed_out", "_shards", "hits", "aggregations"});
  CHECK(out.find("hits")->find("hits")->as_array()[0].find("_source")->dump() == R"({"title":"river"})");
}

TEST_CASE("compat cluster: shards without a reachable replica are _shards failures; _count keeps its shape") {
  Json merged = J(R"({"total": {"value": 4, "relation": "eq"}, "hits": [], "facets": {},
      "shards": {"total": 3, "successful": 2, "failed": 1},
      "failures": [{"shard": 1, "reason": "no reachable in-sync replica"}]})");
  Json out = clustered_search_response("books", merged, SearchPlan{}, "_id", 1);
  const Json* sh = out.find("_shards");
  CHECK(sh->find("total")->as_int() == 3);
  CHECK(sh->find("successful")->as_int() == 2);
  CHECK(sh->find("failed")->as_int() == 1);
  const Json& f = sh->find("failures")->as_array().at(0);
  CHECK(f.find("shard")->as_int() == 1);
  CHECK(f.find("index")->as_string() == "books");
  CHECK(f.find("reason")->find("type")->as_string() == "no_shard_available_action_exception");
  CHECK(f.find("reason")->find("reason")->as_string() == "no reachable in-sync replica");
  CHECK(out.find("hits")->find("total")->find("value")->as_int() == 4);
  CHECK(out.find("hits")->find("max_score")->is_null());
  SearchPlan count;
  count.count_only = true;
  Json c = clustered_search_response("books", merged, count, "_id", 1);
  CHECK(c.find("count")->as_int() == 4);
  CHECK(c.find("_shards")->find("failed")->as_int() == 1);
  CHECK_FALSE(c.find("_shards")->find("skipped"));
  CHECK_FALSE(c.find("hits"));
}

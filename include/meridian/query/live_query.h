// LiveQuery: a search request's query and filters compiled once, to be
// matched against single documents as they change (live queries, GET
// /v1/indexes/{index}/watch; what Elasticsearch's percolator does). Each
// changed document is analysed once into a MemoryIndex; every distinct
// LiveQuery then answers matches() on it in microseconds, with the same
// plan evaluation as search(): the answer is the one a search with this
// request's query and filters gives on an index holding only that document.
//
// Compiling analyses the query's words and builds its automata (fuzzy,
// prefix, wildcard, regexp) and geo shapes once; fuzzy and prefix words find
// their alternatives in each document's own terms when matched, as a search
// on that one-document index would (plan::CompileOptions::
// per_segment_expansions). A query is compiled against a schema: matching a
// document indexed with another schema (one a document extended with new
// fields) compiles a throw-away copy for it, so the answer stays right.
//
// Thread safety: immutable after compile(); matches() may be called from
// any number of threads at once, also on the same MemoryIndex.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "meridian/index/schema.h"
#include "meridian/query/memory_index.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"

namespace meridian::query {

namespace plan {
struct Compiled;
}

class LiveQuery {
 public:
  // Compiles req.query and req.filters (the rest of the request is not
  // used) against `schema`; errors are those search() would report.
  static Result<std::shared_ptr<const LiveQuery>> compile(std::shared_ptr<const index::Schema> schema,
                                                          const SearchRequest& req, const SearchOptions& opt = {});
  ~LiveQuery();

  // Does the document in `doc` match the query and every filter?
  Result<bool> matches(const MemoryIndex& doc) const;

  // The canonical text of a request's query and filters: two requests with
  // the same key match the same documents (so watchers may share one).
  static std::string key_of(const SearchRequest& req);
  const std::string& key() const { return key_; }
  const std::shared_ptr<const index::Schema>& schema() const { return schema_; }

 private:
  LiveQuery() = default;
  std::shared_ptr<const index::Schema> schema_;
  SearchRequest req_;  // query and filters, for recompiling against another schema
  SearchOptions opt_;
  std::unique_ptr<plan::Compiled> query_;
  std::vector<plan::Compiled> filters_;
  std::string key_;
};

}  // namespace meridian::query

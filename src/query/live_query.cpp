#include "meridian/query/live_query.h"

#include "plan.h"

namespace meridian::query {

namespace {

plan::CompileOptions live_options(const SearchOptions& opt) {
  plan::CompileOptions co;
  co.bm25 = {opt.k1, opt.b};
  co.max_expansions = opt.max_expansions;
  co.max_pattern_terms = opt.max_pattern_terms;
  co.per_segment_expansions = true;
  return co;
}

// The query, then the filters, compiled against an empty snapshot of `schema`.
Status compile_all(const std::shared_ptr<const index::Schema>& schema, const SearchRequest& req,
                   const SearchOptions& opt, plan::Compiled* query, std::vector<plan::Compiled>* filters) {
  const index::Snapshot empty(0, 0, schema, {});
  const plan::CompileOptions co = live_options(opt);
  MERIDIAN_ASSIGN_OR_RETURN(*query, plan::compile(empty, req.query, co));
  filters->clear();
  for (const auto& f : req.filters) {
    MERIDIAN_ASSIGN_OR_RETURN(plan::Compiled c, plan::compile(empty, f, co));
    filters->push_back(std::move(c));
  }
  return Status::ok();
}

// Whether the one document of `snap` is in the matches of `c`.
Result<bool> one_doc_matches(const index::Snapshot& snap, const plan::Compiled& c) {
  plan::SegmentEval ev(snap, 0, c);
  MERIDIAN_RETURN_IF_ERROR(ev.prepare());
  return !ev.docs().is_empty();
}

Result<bool> all_match(const index::Snapshot& snap, const plan::Compiled& query,
                       const std::vector<plan::Compiled>& filters) {
  // As search(): a match_all query under filters adds nothing to them.
  if (!(query.root.k == plan::Node::K::kAll && !filters.empty())) {
    MERIDIAN_ASSIGN_OR_RETURN(bool m, one_doc_matches(snap, query));
    if (!m) return false;
  }
  for (const auto& f : filters) {
    MERIDIAN_ASSIGN_OR_RETURN(bool m, one_doc_matches(snap, f));
    if (!m) return false;
  }
  return true;
}

}  // namespace

LiveQuery::~LiveQuery() = default;

Result<std::shared_ptr<const LiveQuery>> LiveQuery::compile(std::shared_ptr<const index::Schema> schema,
                                                            const SearchRequest& req, const SearchOptions& opt) {
  std::shared_ptr<LiveQuery> q(new LiveQuery());
  q->schema_ = std::move(schema);
  q->req_.query = req.query;
  q->req_.filters = req.filters;
  q->opt_ = opt;
  q->key_ = key_of(req);
  q->query_ = std::make_unique<plan::Compiled>();
  MERIDIAN_RETURN_IF_ERROR(compile_all(q->schema_, q->req_, opt, q->query_.get(), &q->filters_));
  return std::shared_ptr<const LiveQuery>(std::move(q));
}

Result<bool> LiveQuery::matches(const MemoryIndex& doc) const {
  const index::Snapshot& snap = doc.snapshot();
  if (snap.schema_ptr() == schema_) return all_match(snap, *query_, filters_);
  // Indexed with another schema (new fields): field lookups differ, compile for it.
  plan::Compiled query;
  std::vector<plan::Compiled> filters;
  MERIDIAN_RETURN_IF_ERROR(compile_all(snap.schema_ptr(), req_, opt_, &query, &filters));
  return all_match(snap, query, filters);
}

std::string LiveQuery::key_of(const SearchRequest& req) {
  std::string key = to_string(req.query);
  for (const auto& f : req.filters) key += "\n" + to_string(f);
  return key;
}

}  // namespace meridian::query

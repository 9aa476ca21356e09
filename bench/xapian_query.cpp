// Peer of the `query` suite: answers the query file with Xapian Enquire.
//
//   xapian_query DB QUERIES [--passes N] [--threads N]
//
// DB is built by `xapian_load text` (title+body terms, English stemmer,
// boolean "XS"+source, value 0 = id, value 1 = source). Each query is parsed
// by a QueryParser (English stemmer, STEM_SOME) inside the timed call:
//   term_*, filter, sort, facets: the word; and2: words with OP_AND; or3: OP_OR;
//   phrase: "a b" (FLAG_PHRASE); prefix: pre* (FLAG_WILDCARD, expanded against
//   the database); fuzzy: unsupported (Xapian 1.4 has no edit-distance query);
//   filter: OP_FILTER with "XS"+source; sort: by value 0 descending;
//   facets: a ValueCountMatchSpy on value 1 over every match
//   (checkatleast = doc count).
// Top 10 by BM25 (Xapian's default weighting); the data (JSON line) of each hit
// is read, as Meridian returns the stored source; with --ids only the top-10
// docids are taken (the peer-neutral task: no data, no exact count). Each thread opens its own
// Database. Timing and output: bench/query_harness.h.
#include <xapian.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "query_harness.h"

namespace {

class XapianWorker : public bench::Worker {
 public:
  XapianWorker(const std::string& path, bool ids_only) : db_(path), ids_only_(ids_only) {
    qp_.set_database(db_);
    qp_.set_stemmer(Xapian::Stem("english"));
    qp_.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
  }

  long run(const bench::QuerySpec& q) override {
    if (q.cls == "fuzzy") return -1;
    try {
      std::string text;
      for (const auto& w : q.words) text += (text.empty() ? "" : " ") + w;
      unsigned flags = Xapian::QueryParser::FLAG_DEFAULT;
      qp_.set_default_op(q.cls == "and2" ? Xapian::Query::OP_AND : Xapian::Query::OP_OR);
      if (q.cls == "phrase") text = "\"" + text + "\"";
      if (q.cls == "prefix") {
        text += "*";
        flags |= Xapian::QueryParser::FLAG_WILDCARD;
      }
      Xapian::Query query = qp_.parse_query(text, flags);
      if (q.cls == "filter") query = Xapian::Query(Xapian::Query::OP_FILTER, query, Xapian::Query("XS" + q.filter));
      Xapian::Enquire enquire(db_);
      enquire.set_query(query);
      if (q.cls == "sort") enquire.set_sort_by_value(0, true);
      Xapian::ValueCountMatchSpy spy(1);
      Xapian::doccount check = 0;
      if (q.cls == "facets") {
        enquire.add_matchspy(&spy);
        check = db_.get_doccount();
      }
      Xapian::MSet mset = enquire.get_mset(0, 10, check);
      long hits = 0;
      size_t bytes = 0;
      for (auto it = mset.begin(); it != mset.end(); ++it) {
        if (ids_only_) bytes += *it;  // the docid
        else bytes += it.get_document().get_data().size();
        ++hits;
      }
      if (q.cls == "facets") {
        size_t buckets = 0;
        for (auto v = spy.top_values_begin(10); v != spy.top_values_end(10); ++v) ++buckets;
        sink_ += buckets;
      }
      sink_ += bytes;
      return hits;
    } catch (const Xapian::Error& e) {
      std::fprintf(stderr, "xapian_query: %s: %s\n", q.cls.c_str(), e.get_description().c_str());
      return -2;
    }
  }

 private:
  Xapian::Database db_;
  Xapian::QueryParser qp_;
  bool ids_only_ = false;
  size_t sink_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: xapian_query DB QUERIES [--passes N] [--threads N] [--ids]\n");
    return 2;
  }
  int passes = 3, threads = 2;
  bool ids_only = false;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--ids") ids_only = true;
    else if (a == "--passes" && i + 1 < argc) passes = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
  }
  std::vector<bench::QuerySpec> queries;
  if (!bench::load_queries(argv[2], &queries)) return 2;
  std::string db = argv[1];
  try {
    Xapian::Database probe(db);
    bench::WorkerFactory make = [&] { return std::make_unique<XapianWorker>(db, ids_only); };
    std::string extra = ",\"docs\":" + std::to_string(probe.get_doccount()) + ",\"xapian_version\":\"" +
                        Xapian::version_string() + "\",\"ids_only\":" + (ids_only ? "true" : "false");
    return bench::run_suite("xapian", queries, passes, threads, make, extra) ? 0 : 1;
  } catch (const Xapian::Error& e) {
    std::fprintf(stderr, "xapian_query: %s\n", e.get_description().c_str());
    return 2;
  }
}

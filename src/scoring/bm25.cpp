#include "meridian/scoring/bm25.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace meridian::scoring {

Bm25::Bm25(Bm25Params p, uint64_t total_docs, uint64_t doc_freq, double avg_len, double boost)
    : p_(p), avg_len_(avg_len), boost_(boost), n_(total_docs), df_(doc_freq) {
  const double n = static_cast<double>(std::max(total_docs, doc_freq));
  const double df = static_cast<double>(doc_freq);
  idf_ = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
}

Json Bm25::explain(uint32_t tf, uint32_t len) const {
  Json j = Json::object();
  j.set("value", score(tf, len));
  j.set("description", "boost * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))");
  Json d = Json::object();
  d.set("boost", boost_);
  d.set("idf", idf_);
  d.set("idf_formula", "ln(1 + (N - n + 0.5) / (n + 0.5))");
  d.set("N", n_);
  d.set("n", df_);
  d.set("tf", static_cast<int64_t>(tf));
  d.set("len", static_cast<int64_t>(len));
  d.set("avg_len", avg_len_);
  d.set("k1", p_.k1);
  d.set("b", p_.b);
  j.set("details", std::move(d));
  return j;
}

}  // namespace meridian::scoring

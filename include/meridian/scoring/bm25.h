// BM25 term weights.
//
// Bm25 is the weight of one term in one field with index-wide statistics:
//   score(tf, len) = boost * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len))
//   idf            = ln(1 + (N - df + 0.5) / (df + 0.5))
// (Lucene's BM25Similarity without the constant (k1+1) removal). When the
// field keeps no lengths (avg_len == 0) the length factor is 1. The score
// grows with tf and shrinks with len, so score(max_tf, min_len) bounds every
// document of a block or posting list (used by MaxScore pruning).
//
// A value type; no shared state. (The top-k heaps are the collectors',
// src/query/collectors.h.)
#pragma once

#include <cstdint>

#include "meridian/base/json.h"

namespace meridian::scoring {

struct Bm25Params {
  double k1 = 1.2;
  double b = 0.75;
};

class Bm25 {
 public:
  Bm25() = default;
  Bm25(Bm25Params p, uint64_t total_docs, uint64_t doc_freq, double avg_len, double boost);
  double idf() const { return idf_; }
  double boost() const { return boost_; }
  // Inline: called once per scored (document, term).
  double score(uint32_t tf, uint32_t len) const {
    if (tf == 0) return 0;
    const double t = tf;
    const double norm = avg_len_ > 0 ? (1 - p_.b + p_.b * static_cast<double>(len) / avg_len_) : 1.0;
    return boost_ * idf_ * t * (p_.k1 + 1) / (t + p_.k1 * norm);
  }
  // Bound for any document with tf <= max_tf and len >= min_len.
  double upper_bound(uint32_t max_tf, uint32_t min_len) const { return score(max_tf, min_len); }
  // {"value", "description", "details":[boost, idf(n, N), tf, len, avg_len, k1, b]}
  Json explain(uint32_t tf, uint32_t len) const;

 private:
  Bm25Params p_;
  double idf_ = 0, avg_len_ = 0, boost_ = 1;
  uint64_t n_ = 0, df_ = 0;
};

}  // namespace meridian::scoring

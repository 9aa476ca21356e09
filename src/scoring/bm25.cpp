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

bool TopK::push(const Scored& s) {
  if (k_ == 0) return false;
  if (heap_.size() < k_) {
    heap_.push(s);
    return true;
  }
  if (!ranks_before(s, heap_.top())) return false;
  heap_.pop();
  heap_.push(s);
  return true;
}

double TopK::threshold() const {
  return full() ? heap_.top().score : -std::numeric_limits<double>::infinity();
}

std::vector<Scored> TopK::take_sorted() {
  std::vector<Scored> out;
  out.reserve(heap_.size());
  while (!heap_.empty()) {
    out.push_back(heap_.top());
    heap_.pop();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace meridian::scoring

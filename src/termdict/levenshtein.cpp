#include "meridian/termdict/levenshtein.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "meridian/termdict/automaton_nfa.h"

namespace meridian::termdict {

namespace {

// Code points of s; invalid bytes become values above the Unicode range so
// that they only equal themselves.
std::vector<uint32_t> code_points(std::string_view s, bool* valid) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t at = pos;
    int32_t cp = decode_utf8(s, &pos);
    if (cp < 0) {
      if (valid) *valid = false;
      out.push_back(0x110000u + static_cast<uint8_t>(s[at]));
    } else {
      out.push_back(static_cast<uint32_t>(cp));
    }
  }
  return out;
}

constexpr size_t kMaxDfaStates = 200000;

// Built automata by (term, edits, transpositions, prefix length). The same
// words come back (every q search of a word expands it, its "did you mean"
// walks it again, a watch compiles it), and determinizing dominates a small
// fuzzy query: about half the CPU of a zero-hit q search of a 5-letter word.
// First in, first out; at most kMaxEntries automata and kMaxBytes of tables.
class AutomatonCache {
 public:
  std::optional<Automaton> get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const Automaton& a) {
    const size_t bytes = a.memory_bytes();
    if (bytes > kMaxBytes / 16) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.count(key)) return;
    while (!order_.empty() && (map_.size() >= kMaxEntries || bytes_ + bytes > kMaxBytes)) {
      auto old = map_.find(order_.front());
      bytes_ -= old->second.memory_bytes();
      map_.erase(old);
      order_.pop_front();
    }
    map_.emplace(key, a);
    order_.push_back(key);
    bytes_ += bytes;
  }

 private:
  static constexpr size_t kMaxEntries = 1024;
  static constexpr size_t kMaxBytes = size_t{32} << 20;
  std::mutex mu_;
  std::unordered_map<std::string, Automaton> map_;  // GUARDED_BY(mu_)
  std::deque<std::string> order_;                   // GUARDED_BY(mu_): keys, oldest first
  size_t bytes_ = 0;                                // GUARDED_BY(mu_)
};

AutomatonCache& cache() {
  static AutomatonCache* c = new AutomatonCache();  // never destroyed: used from any thread until exit
  return *c;
}

Result<Automaton> build_levenshtein(const std::vector<uint32_t>& cps, int max_edits, bool transpositions,
                                    size_t prefix_length) {
  const size_t n = cps.size(), k = static_cast<size_t>(max_edits);
  const size_t p = std::min(prefix_length, n);
  Nfa nfa;
  // L(i, e): i characters of the term consumed with e edits so far.
  std::vector<Nfa::Id> lev((n + 1) * (k + 1));
  for (auto& s : lev) s = nfa.add_state();
  auto L = [&](size_t i, size_t e) { return lev[i * (k + 1) + e]; };
  nfa.set_start(L(0, 0));
  for (size_t i = 0; i <= n; ++i) {
    for (size_t e = 0; e <= k; ++e) {
      if (i < n) nfa.add_code_points(L(i, e), cps[i], cps[i], L(i + 1, e));
      if (i < p || e == k) continue;  // no edits inside the exact prefix or past k
      nfa.add_any_code_point(L(i, e), L(i, e + 1));  // insertion
      if (i < n) {
        nfa.add_any_code_point(L(i, e), L(i + 1, e + 1));  // substitution
        nfa.add_epsilon(L(i, e), L(i + 1, e + 1));          // deletion
      }
      if (transpositions && i + 1 < n && cps[i] != cps[i + 1]) {
        // Read term[i+1] then term[i]: one edit.
        Nfa::Id t = nfa.add_state();
        nfa.add_code_points(L(i, e), cps[i + 1], cps[i + 1], t);
        nfa.add_code_points(t, cps[i], cps[i], L(i + 2, e + 1));
      }
    }
  }
  for (size_t e = 0; e <= k; ++e) nfa.set_accept(L(n, e), static_cast<uint8_t>(e));
  return determinize(nfa, kMaxDfaStates, "fuzzy term");
}

}  // namespace

Result<Automaton> levenshtein_automaton(std::string_view term, int max_edits, bool transpositions,
                                        size_t prefix_length) {
  if (max_edits < 0 || max_edits > kMaxLevenshteinEdits) {
    return Status::invalid("fuzzy: max_edits must be between 0 and 2, got " + std::to_string(max_edits));
  }
  // A cached automaton was built from this very term: it passed the checks below.
  std::string key(term);
  key.push_back('\0');
  key += std::to_string(max_edits) + (transpositions ? "t" : "l") + std::to_string(prefix_length);
  if (auto hit = cache().get(key)) return std::move(*hit);
  bool valid = true;
  std::vector<uint32_t> cps = code_points(term, &valid);
  if (!valid) return Status::invalid("fuzzy: term is not valid UTF-8");
  if (cps.size() > kMaxLevenshteinTermLength) {
    return Status::invalid("fuzzy: term longer than " + std::to_string(kMaxLevenshteinTermLength) +
                           " characters");
  }
  auto built = build_levenshtein(cps, max_edits, transpositions, prefix_length);
  if (built) cache().put(key, *built);
  return built;
}


int edit_distance(std::string_view a_bytes, std::string_view b_bytes, bool transpositions) {
  std::vector<uint32_t> a = code_points(a_bytes, nullptr), b = code_points(b_bytes, nullptr);
  const size_t n = a.size(), m = b.size();
  // Three rolling rows: d[i-2], d[i-1], d[i].
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int d = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d = std::min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
    }
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[m];
}

}  // namespace meridian::termdict

// Nfa: the construction-time automaton shared by the builders in levenshtein.h,
// wildcard.h and regex.h, and determinize(), which turns it into an Automaton.
//
// An Nfa has epsilon edges and byte-range edges. Code-point ranges are added
// with add_code_points(), which compiles the range into its UTF-8 byte
// sequences (surrogates excluded, shortest form only); the intermediate states
// of those sequences are shared through a suffix cache, so "any code point"
// edges into the same target cost a handful of states, not one set per edge.
//
// determinize() is a subset construction over byte classes, followed by
// pruning of dead states (every state that cannot reach an accepting state
// becomes Automaton::kDead) and merging of byte classes that became identical.
//
// Ownership: plain value type. Thread-safety: none (a builder-local object).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/termdict/automaton.h"

namespace meridian::termdict {

class Nfa {
 public:
  using Id = uint32_t;
  static constexpr uint32_t kMaxCodePoint = 0x10FFFF;

  Id add_state();
  void set_start(Id s) { start_ = s; }
  // Accept in `s`, tagging matches with `value` (0..254). When a DFA state holds
  // several accepting NFA states, the smallest value wins.
  void set_accept(Id s, uint8_t value = 0);
  void add_epsilon(Id from, Id to);
  void add_byte_range(Id from, uint8_t lo, uint8_t hi, Id to);
  // Every valid UTF-8 encoding of a code point in [lo, hi]; lo <= hi <= kMaxCodePoint.
  void add_code_points(Id from, uint32_t lo, uint32_t hi, Id to);
  void add_any_code_point(Id from, Id to) { add_code_points(from, 0, kMaxCodePoint, to); }

  size_t num_states() const { return accept_.size(); }

  struct Edge {
    uint8_t lo, hi;
    Id to;
  };
  Id start() const { return start_; }
  const std::vector<Edge>& edges(Id s) const { return edges_[s]; }
  const std::vector<Id>& epsilons(Id s) const { return eps_[s]; }
  uint8_t accept_value(Id s) const { return accept_[s]; }
  static constexpr uint8_t kNotAccepting = 0xff;

 private:
  void add_utf8_sequence(Id from, const uint8_t* lo, const uint8_t* hi, int len, Id to);
  void split_code_points(Id from, uint32_t lo, uint32_t hi, Id to);

  Id start_ = 0;
  std::vector<std::vector<Edge>> edges_;
  std::vector<std::vector<Id>> eps_;
  std::vector<uint8_t> accept_;
  // (lo, hi, to) -> state whose only edge is [lo, hi] -> to.
  std::unordered_map<uint64_t, Id> suffix_cache_;
};

// Subset construction. Fails with Status::too_large("<what> too complex ...")
// when more than max_states DFA states would be needed.
Result<Automaton> determinize(const Nfa& nfa, size_t max_states, std::string_view what);

// The automaton determinize() makes of "prefix, then any bytes", built
// directly (prefix_automaton() uses it; no subset construction).
Automaton literal_prefix_automaton(std::string_view prefix);

// Decodes one code point of UTF-8 at s[*pos], advancing *pos. Returns -1 (and
// advances by one byte) on an invalid, overlong or surrogate sequence.
int32_t decode_utf8(std::string_view s, size_t* pos);
// Appends the UTF-8 encoding of cp (<= kMaxCodePoint, not a surrogate).
void append_utf8(uint32_t cp, std::string* out);

}  // namespace meridian::termdict

// Automaton: a deterministic finite automaton over the BYTES of a term, used to
// expand fuzzy, prefix, wildcard and regex queries against the term dictionary
// (see automaton_walk.h for the walk, levenshtein.h / wildcard.h / regex.h for
// the builders).
//
// Patterns are defined over Unicode code points; builders compile every
// code-point range into its UTF-8 byte sequences, so one multibyte character is
// one step of the pattern (one edit for Levenshtein) while the DFA itself only
// ever consumes bytes. Terms that are not valid UTF-8 never match a code-point
// pattern (the prefix automaton, which is byte-wise, is the exception).
//
// Representation: bytes are mapped to equivalence classes (contiguous byte
// ranges that behave identically in every state) and transitions live in one
// dense table [state][class]. State kDead (0) is the only state from which no
// accepted string is reachable: builders prune every other dead state, so
// can_match(s) is exactly s != kDead.
//
// Ownership: an Automaton owns its tables (plain vectors; copy/move freely).
// Thread-safety: immutable after build; any number of threads may call the
// const methods concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace meridian::termdict {

class Automaton {
 public:
  using State = uint32_t;
  static constexpr State kDead = 0;
  // match_value() of a state that does not accept.
  static constexpr int kNoMatch = -1;

  // The empty automaton: accepts nothing, start() == kDead.
  Automaton();

  State start() const { return start_; }
  State step(State s, uint8_t byte) const { return table_[s * num_classes_ + class_of_[byte]]; }
  bool is_match(State s) const { return value_[s] != kValueNone; }
  // False only for kDead: no continuation of the bytes read so far can match.
  bool can_match(State s) const { return s != kDead; }
  // For an accepting state: the builder's tag. Levenshtein automata store the
  // smallest number of edits of any accepted alignment (so 0 = exact match);
  // other builders store 0. kNoMatch for non-accepting states.
  int match_value(State s) const { return is_match(s) ? value_[s] : kNoMatch; }

  // Smallest byte c >= from (0 <= from <= 256) with step(s, c) != kDead, or -1.
  int next_live_byte(State s, int from) const;

  // Runs the whole string from start(); kDead as soon as the automaton dies.
  State run(std::string_view bytes) const;
  bool matches(std::string_view bytes) const { return is_match(run(bytes)); }

  size_t num_states() const { return value_.size(); }
  size_t num_classes() const { return num_classes_; }
  size_t memory_bytes() const;

 private:
  static constexpr uint8_t kValueNone = 0xff;
  friend class AutomatonTables;  // the only writer, in automaton_nfa.cpp

  State start_ = kDead;
  uint32_t num_classes_ = 1;
  std::array<uint8_t, 256> class_of_{};    // byte -> class
  std::vector<uint8_t> class_start_;       // class -> its first byte (ascending)
  std::vector<State> table_;               // num_states * num_classes
  std::vector<uint8_t> value_;             // per state: kValueNone or the match tag
};

}  // namespace meridian::termdict

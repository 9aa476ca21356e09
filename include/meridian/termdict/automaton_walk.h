// The automaton walk: intersect an Automaton with a sorted term source by
// seeking forward, never testing every term (the algorithm of Lucene's
// AutomatonTermsEnum and tantivy-fst's streams).
//
// Each step runs the automaton over the current term. An accepted term is
// reported and the source advances with next(). A rejected term t yields the
// smallest string x > t that the automaton could still extend into a match:
// keep the longest live prefix of t, raise the byte after it to the smallest
// live byte above it (backing up one byte at a time when there is none), then
// append smallest live bytes until an accepting state, a repeated state or 64
// bytes. Every accepted string > t is >= x, so seek(x) skips only terms that
// cannot match.
//
// The source is any TermIterator: terms in ascending unsigned-byte order
// (std::string order), seek(s) positions on the first term >= s (it is only
// ever asked to move forward). TermDictReader::Iterator satisfies it, and so do
// the vector-backed sources in the tests.
//
// The callback may take (std::string_view term), (term, Automaton::State) or
// (term, Automaton::State, const It& iterator) — the state gives
// Automaton::match_value() (edit distance for fuzzy), the iterator gives access
// to the term's postings. It returns void or something convertible to bool
// (false = stop). `term` is valid only during the call.
//
// A small source (at most kScanTerms terms, as a one-document segment's
// dictionary: live queries match each changed document on one) is better
// scanned: running the automaton over every term in order costs tens of
// instructions per term, while each seek of the walk costs thousands
// (computing the target, then decoding a block anew). The callers that know
// their dictionary's size pass WalkMode::kScan for it: the same terms are
// reported, in the same order, with the same limit.
//
// Errors: a source that reports failures through `Status status() const`
// (TermDictReader::Iterator does, for a damaged block) ends the walk when it
// turns invalid, and intersect() returns that status, so a corrupt dictionary
// is never mistaken for "no more matches". Other sources always give ok.
//
// Thread-safety: the walk uses only its arguments; the Automaton may be shared
// between threads, the iterator may not.
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "meridian/base/status.h"
#include "meridian/termdict/automaton.h"

namespace meridian::termdict {

template <class It>
concept TermIterator = requires(It it, std::string_view s) {
  { it.valid() } -> std::convertible_to<bool>;
  { it.term() } -> std::convertible_to<std::string_view>;
  it.next();
  it.seek(s);  // to the first term >= s
};

enum class WalkMode { kSeek, kScan };
inline constexpr size_t kScanTerms = 512;
// kScan for a dictionary of at most kScanTerms terms, else kSeek.
inline WalkMode walk_mode_for(size_t dictionary_terms) {
  return dictionary_terms <= kScanTerms ? WalkMode::kScan : WalkMode::kSeek;
}

namespace detail {

// The first seek target of a walk: the smallest string the automaton can
// extend into a match (see above). False when the automaton matches nothing.
bool first_seek_target(const Automaton& a, std::string* target);
// The seek target after `term` was rejected, strictly greater than `term`.
// False when no string > term can match (the walk is over).
bool next_seek_target(const Automaton& a, std::string_view term, std::string* target);

template <class Fn, class It>
bool report(Fn& fn, std::string_view term, Automaton::State s, const It& it) {
  if constexpr (std::is_invocable_v<Fn&, std::string_view, Automaton::State, const It&>) {
    using R = std::invoke_result_t<Fn&, std::string_view, Automaton::State, const It&>;
    if constexpr (std::is_void_v<R>) { fn(term, s, it); return true; }
    else return static_cast<bool>(fn(term, s, it));
  } else if constexpr (std::is_invocable_v<Fn&, std::string_view, Automaton::State>) {
    using R = std::invoke_result_t<Fn&, std::string_view, Automaton::State>;
    if constexpr (std::is_void_v<R>) { fn(term, s); return true; }
    else return static_cast<bool>(fn(term, s));
  } else {
    using R = std::invoke_result_t<Fn&, std::string_view>;
    if constexpr (std::is_void_v<R>) { fn(term); return true; }
    else return static_cast<bool>(fn(term));
  }
}

// The source's own error, if it has a status().
template <class It>
Status source_status(const It& it) {
  if constexpr (requires { { it.status() } -> std::convertible_to<Status>; }) {
    return it.status();
  } else {
    return Status::ok();
  }
}

// The walk itself; emit(term, state) returns false to stop.
template <class It, class Emit>
void walk(const Automaton& a, It& it, Emit&& emit, size_t max_expansions, WalkMode mode) {
  std::string target;
  if (max_expansions == 0 || !detail::first_seek_target(a, &target)) return;
  it.seek(target);
  size_t found = 0;
  if (mode == WalkMode::kScan) {
    for (; it.valid(); it.next()) {
      std::string_view term = it.term();
      Automaton::State s = a.run(term);
      if (a.is_match(s) && (!emit(term, s) || ++found >= max_expansions)) return;
    }
    return;
  }
  while (it.valid()) {
    std::string_view term = it.term();
    Automaton::State s = a.run(term);
    if (a.is_match(s)) {
      if (!emit(term, s) || ++found >= max_expansions) return;
      it.next();
      continue;
    }
    if (!detail::next_seek_target(a, term, &target)) return;
    it.seek(target);
  }
}

// Presents the terms that start with `prefix`, without it; invalid past them.
template <TermIterator It>
class KeyPrefixIterator {
 public:
  KeyPrefixIterator(It it, std::string_view prefix) : it_(std::move(it)), prefix_(prefix) {}
  bool valid() { return it_.valid() && std::string_view(it_.term()).starts_with(prefix_); }
  std::string_view term() { return std::string_view(it_.term()).substr(prefix_.size()); }
  void next() { it_.next(); }
  void seek(std::string_view s) {
    key_.assign(prefix_);
    key_.append(s);
    it_.seek(key_);
  }
  const It& inner() const { return it_; }
  Status status() const { return source_status(it_); }

 private:
  It it_;
  std::string prefix_, key_;
};

}  // namespace detail

// Calls fn for each term of `it` accepted by `a`, in term order; stops after
// max_expansions calls or when fn returns false. Returns the source's error
// (see above) or ok.
template <TermIterator It, class Fn>
Status intersect(const Automaton& a, It it, Fn fn, size_t max_expansions, WalkMode mode = WalkMode::kSeek) {
  detail::walk(
      a, it, [&](std::string_view term, Automaton::State s) { return detail::report(fn, term, s, it); },
      max_expansions, mode);
  return detail::source_status(it);
}

// The same within the terms that start with key_prefix (the index keys terms
// as "<field>\0<term>"): the automaton sees, and fn receives, the rest of the
// term after key_prefix; the three-argument callback gets the underlying
// iterator, positioned on the full key.
template <TermIterator It, class Fn>
Status intersect_with_prefix(const Automaton& a, std::string_view key_prefix, It it, Fn fn,
                             size_t max_expansions, WalkMode mode = WalkMode::kSeek) {
  detail::KeyPrefixIterator<It> sub(std::move(it), key_prefix);
  detail::walk(
      a, sub,
      [&](std::string_view term, Automaton::State s) { return detail::report(fn, term, s, sub.inner()); },
      max_expansions, mode);
  return sub.status();
}

}  // namespace meridian::termdict

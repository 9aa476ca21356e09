#include "meridian/termdict/automaton_walk.h"

#include <algorithm>
#include <vector>

namespace meridian::termdict::detail {

namespace {

constexpr size_t kMaxExtension = 64;

// Appends smallest live bytes to *target (whose state is s) until s accepts,
// repeats, or kMaxExtension bytes were added. Each appended byte keeps the
// invariant "every accepted string >= the old target is >= the new target",
// because s does not accept and the byte is the smallest live one.
void extend(const Automaton& a, Automaton::State s, std::string* target) {
  Automaton::State seen[kMaxExtension];
  for (size_t n = 0; n < kMaxExtension && !a.is_match(s); ++n) {
    if (std::find(seen, seen + n, s) != seen + n) return;
    seen[n] = s;
    int c = a.next_live_byte(s, 0);
    if (c < 0) return;  // cannot happen for a live, non-accepting state
    target->push_back(static_cast<char>(c));
    s = a.step(s, static_cast<uint8_t>(c));
  }
}

}  // namespace

bool first_seek_target(const Automaton& a, std::string* target) {
  target->clear();
  if (!a.can_match(a.start())) return false;
  extend(a, a.start(), target);
  return true;
}

bool next_seek_target(const Automaton& a, std::string_view term, std::string* target) {
  // path[j] = state after term[0, j); path.size() - 1 = length of the live prefix.
  thread_local std::vector<Automaton::State> path;
  path.clear();
  Automaton::State s = a.start();
  if (!a.can_match(s)) return false;
  path.push_back(s);
  for (char ch : term) {
    s = a.step(s, static_cast<uint8_t>(ch));
    if (!a.can_match(s)) break;
    path.push_back(s);
  }
  size_t live = path.size() - 1;
  if (live == term.size()) {  // the whole term is live: its smallest extension
    int c = a.next_live_byte(path[live], 0);
    if (c >= 0) {
      target->assign(term);
      target->push_back(static_cast<char>(c));
      extend(a, a.step(path[live], static_cast<uint8_t>(c)), target);
      return true;
    }
  }
  // Raise the byte at position j (the first dead byte, or an earlier one).
  if (term.empty()) return false;
  for (size_t j = std::min(live, term.size() - 1) + 1; j-- > 0;) {
    int c = a.next_live_byte(path[j], static_cast<uint8_t>(term[j]) + 1);
    if (c < 0) continue;
    target->assign(term.substr(0, j));
    target->push_back(static_cast<char>(c));
    extend(a, a.step(path[j], static_cast<uint8_t>(c)), target);
    return true;
  }
  return false;
}

}  // namespace meridian::termdict::detail

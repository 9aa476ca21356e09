#include "meridian/termdict/wildcard.h"

#include <string>

#include "meridian/termdict/automaton_nfa.h"

namespace meridian::termdict {

namespace {
constexpr size_t kMaxDfaStates = 100000;

std::string column_error(std::string_view what, size_t column) {
  return "wildcard syntax error at column " + std::to_string(column) + ": " + std::string(what);
}
}  // namespace

Result<Automaton> prefix_automaton(std::string_view prefix) { return literal_prefix_automaton(prefix); }

Result<Automaton> prefix_automaton_by_subsets(std::string_view prefix) {
  Nfa nfa;
  Nfa::Id cur = nfa.add_state();
  nfa.set_start(cur);
  for (char ch : prefix) {
    Nfa::Id next = nfa.add_state();
    auto b = static_cast<uint8_t>(ch);
    nfa.add_byte_range(cur, b, b, next);
    cur = next;
  }
  nfa.add_byte_range(cur, 0x00, 0xff, cur);
  nfa.set_accept(cur);
  return determinize(nfa, kMaxDfaStates, "prefix");
}

Result<Automaton> wildcard_automaton(std::string_view pattern) {
  Nfa nfa;
  Nfa::Id cur = nfa.add_state();
  nfa.set_start(cur);
  size_t pos = 0, column = 0;
  while (pos < pattern.size()) {
    ++column;
    int32_t cp = decode_utf8(pattern, &pos);
    if (cp < 0) return Status::invalid(column_error("invalid UTF-8", column));
    if (cp == '*') {
      nfa.add_any_code_point(cur, cur);  // a loop on the current state: any run
      continue;
    }
    Nfa::Id next = nfa.add_state();
    if (cp == '?') {
      nfa.add_any_code_point(cur, next);
    } else {
      if (cp == '\\') {
        if (pos >= pattern.size()) return Status::invalid(column_error("dangling backslash", column));
        ++column;
        cp = decode_utf8(pattern, &pos);
        if (cp < 0) return Status::invalid(column_error("invalid UTF-8", column));
      }
      auto c = static_cast<uint32_t>(cp);
      nfa.add_code_points(cur, c, c, next);
    }
    cur = next;
  }
  nfa.set_accept(cur);
  return determinize(nfa, kMaxDfaStates, "wildcard");
}

}  // namespace meridian::termdict

#include "meridian/termdict/automaton.h"

namespace meridian::termdict {

Automaton::Automaton() : class_start_{0}, table_{kDead}, value_{kValueNone} {}

int Automaton::next_live_byte(State s, int from) const {
  if (from < 0) from = 0;
  if (from > 255 || s == kDead) return -1;
  const State* row = &table_[static_cast<size_t>(s) * num_classes_];
  uint32_t c = class_of_[static_cast<uint8_t>(from)];
  if (row[c] != kDead) return from;
  for (++c; c < num_classes_; ++c) {
    if (row[c] != kDead) return class_start_[c];
  }
  return -1;
}

Automaton::State Automaton::run(std::string_view bytes) const {
  State s = start_;
  for (char ch : bytes) {
    s = step(s, static_cast<uint8_t>(ch));
    if (s == kDead) break;
  }
  return s;
}

size_t Automaton::memory_bytes() const {
  return sizeof(*this) + class_start_.capacity() + table_.capacity() * sizeof(State) + value_.capacity();
}

}  // namespace meridian::termdict

#include "meridian/index/term_table.h"

#include <functional>

namespace meridian::index {

TermTable::TermTable() : slots_(1024), starts_{0} {}

uint32_t TermTable::hash_of(std::string_view key) {
  const uint64_t h = std::hash<std::string_view>{}(key);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint32_t TermTable::find(std::string_view key) const {
  const uint32_t h = hash_of(key);
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.term_plus1) return kNone;
    if (s.hash == h && this->key(s.term_plus1 - 1) == key) return s.term_plus1 - 1;
  }
}

uint32_t TermTable::find_or_insert(std::string_view key, uint32_t h, bool* inserted) {
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.term_plus1) break;
    if (s.hash == h && this->key(s.term_plus1 - 1) == key) {
      *inserted = false;
      return s.term_plus1 - 1;
    }
  }
  const uint32_t term = size();
  arena_.append(key);
  starts_.push_back(arena_.size());
  slots_[i] = Slot{h, term + 1};
  *inserted = true;
  if (static_cast<size_t>(term + 1) * 2 > slots_.size()) grow();
  return term;
}

void TermTable::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (!s.term_plus1) continue;
    size_t i = s.hash & mask;
    while (slots_[i].term_plus1) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

}  // namespace meridian::index

// determinize(): subset construction from an Nfa to an Automaton, then pruning
// of dead states and merging of equivalent adjacent byte classes.
#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

#include "meridian/termdict/automaton_nfa.h"

namespace meridian::termdict {

// Writes Automaton's private tables; the only code that does.
class AutomatonTables {
 public:
  using State = Automaton::State;
  struct Raw {
    State start = 0;
    uint32_t num_classes = 1;
    std::array<uint8_t, 256> class_of{};
    std::vector<uint8_t> class_start;
    std::vector<State> table;     // states * num_classes, state 0 = dead
    std::vector<uint8_t> value;   // Nfa::kNotAccepting or the match tag
  };
  static Automaton finish(Raw raw);
  static Automaton literal_prefix(std::string_view prefix);

 private:
  static std::vector<bool> live_states(const Raw& raw);
  static void merge_classes(Raw* raw);
};

std::vector<bool> AutomatonTables::live_states(const Raw& raw) {
  size_t n = raw.value.size(), k = raw.num_classes;
  // Reverse edges in CSR form.
  std::vector<uint32_t> count(n + 1, 0);
  for (size_t i = 0; i < n * k; ++i) ++count[raw.table[i] + 1];
  for (size_t i = 0; i < n; ++i) count[i + 1] += count[i];
  std::vector<State> rev(n * k);
  std::vector<uint32_t> fill(count.begin(), count.end() - 1);
  for (size_t s = 0; s < n; ++s)
    for (size_t c = 0; c < k; ++c) rev[fill[raw.table[s * k + c]]++] = static_cast<State>(s);
  std::vector<bool> live(n, false);
  std::vector<State> stack;
  for (size_t s = 1; s < n; ++s)
    if (raw.value[s] != Nfa::kNotAccepting) { live[s] = true; stack.push_back(static_cast<State>(s)); }
  while (!stack.empty()) {
    State t = stack.back();
    stack.pop_back();
    for (uint32_t i = count[t]; i < count[t + 1]; ++i) {
      State s = rev[i];
      if (s != 0 && !live[s]) { live[s] = true; stack.push_back(s); }
    }
  }
  return live;
}

void AutomatonTables::merge_classes(Raw* raw) {
  size_t n = raw->value.size(), k = raw->num_classes;
  std::vector<uint32_t> remap(k, 0);
  std::vector<uint32_t> keep{0};
  for (size_t c = 1; c < k; ++c) {
    bool same = true;
    for (size_t s = 0; s < n && same; ++s) same = raw->table[s * k + c] == raw->table[s * k + c - 1];
    if (!same) keep.push_back(static_cast<uint32_t>(c));
    remap[c] = static_cast<uint32_t>(keep.size() - 1);
  }
  if (keep.size() == k) return;
  std::vector<State> table(n * keep.size());
  for (size_t s = 0; s < n; ++s)
    for (size_t j = 0; j < keep.size(); ++j) table[s * keep.size() + j] = raw->table[s * k + keep[j]];
  std::vector<uint8_t> starts;
  for (uint32_t c : keep) starts.push_back(raw->class_start[c]);
  for (auto& c : raw->class_of) c = static_cast<uint8_t>(remap[c]);
  raw->table.swap(table);
  raw->class_start.swap(starts);
  raw->num_classes = static_cast<uint32_t>(keep.size());
}

Automaton AutomatonTables::finish(Raw raw) {
  std::vector<bool> live = live_states(raw);
  Automaton a;
  if (raw.start == 0 || !live[raw.start]) return a;
  // Renumber live states reachable from start, breadth first; dead -> 0.
  size_t k = raw.num_classes;
  std::vector<State> id(raw.value.size(), 0);
  std::vector<State> order{0, raw.start};
  id[raw.start] = 1;
  for (size_t i = 1; i < order.size(); ++i) {
    for (size_t c = 0; c < k; ++c) {
      State t = raw.table[order[i] * k + c];
      if (t != 0 && live[t] && id[t] == 0) {
        id[t] = static_cast<State>(order.size());
        order.push_back(t);
      }
    }
  }
  Raw out;
  out.start = 1;
  out.num_classes = raw.num_classes;
  out.class_of = raw.class_of;
  out.class_start = raw.class_start;
  out.table.assign(order.size() * k, 0);
  out.value.assign(order.size(), Nfa::kNotAccepting);
  for (size_t i = 1; i < order.size(); ++i) {
    for (size_t c = 0; c < k; ++c) out.table[i * k + c] = id[raw.table[order[i] * k + c]];
    out.value[i] = raw.value[order[i]];
  }
  merge_classes(&out);
  a.start_ = out.start;
  a.num_classes_ = out.num_classes;
  a.class_of_ = out.class_of;
  a.class_start_ = std::move(out.class_start);
  a.table_ = std::move(out.table);
  a.value_ = std::move(out.value);  // Nfa::kNotAccepting == Automaton::kValueNone
  static_assert(Nfa::kNotAccepting == 0xff);
  return a;
}

// States: 1 + (bytes of the prefix matched so far), the last one accepting
// with a loop on every byte; byte classes: each byte of the prefix alone and
// the runs between them. That is what determinize() of the prefix Nfa
// yields (minimal, breadth-first numbering), without the subset
// construction: a search box's last word costs a prefix automaton per query.
Automaton AutomatonTables::literal_prefix(std::string_view prefix) {
  std::array<bool, 257> cut{};
  cut[0] = true;
  for (char ch : prefix) {
    auto b = static_cast<uint8_t>(ch);
    cut[b] = true;
    cut[b + 1] = true;
  }
  Automaton a;
  int cls = -1;
  a.class_start_.clear();
  for (int b = 0; b < 256; ++b) {
    if (cut[b]) {
      ++cls;
      a.class_start_.push_back(static_cast<uint8_t>(b));
    }
    a.class_of_[b] = static_cast<uint8_t>(cls);
  }
  const size_t k = static_cast<size_t>(cls) + 1, n = prefix.size() + 2;
  a.num_classes_ = static_cast<uint32_t>(k);
  a.start_ = 1;
  a.table_.assign(n * k, Automaton::kDead);
  a.value_.assign(n, Automaton::kValueNone);
  for (size_t i = 0; i < prefix.size(); ++i)
    a.table_[(i + 1) * k + a.class_of_[static_cast<uint8_t>(prefix[i])]] = static_cast<State>(i + 2);
  for (size_t c = 0; c < k; ++c) a.table_[(n - 1) * k + c] = static_cast<State>(n - 1);
  a.value_[n - 1] = 0;
  return a;
}

Automaton literal_prefix_automaton(std::string_view prefix) { return AutomatonTables::literal_prefix(prefix); }

namespace {

struct SetHash {
  size_t operator()(const std::vector<Nfa::Id>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (Nfa::Id x : v) h = (h ^ x) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

// Epsilon closure of `seeds`, returned sorted and unique in `seeds`.
class Closure {
 public:
  explicit Closure(const Nfa& nfa) : nfa_(nfa), stamp_(nfa.num_states(), 0) {}
  void close(std::vector<Nfa::Id>* seeds) {
    ++epoch_;
    out_.clear();
    stack_.clear();
    for (Nfa::Id x : *seeds) push(x);
    while (!stack_.empty()) {
      Nfa::Id x = stack_.back();
      stack_.pop_back();
      out_.push_back(x);
      for (Nfa::Id y : nfa_.epsilons(x)) push(y);
    }
    std::sort(out_.begin(), out_.end());
    seeds->assign(out_.begin(), out_.end());
  }

 private:
  void push(Nfa::Id x) {
    if (stamp_[x] != epoch_) { stamp_[x] = epoch_; stack_.push_back(x); }
  }
  const Nfa& nfa_;
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 0;
  std::vector<Nfa::Id> out_, stack_;
};

}  // namespace

Result<Automaton> determinize(const Nfa& nfa, size_t max_states, std::string_view what) {
  using Raw = AutomatonTables::Raw;
  Raw raw;
  // Byte classes: cut the byte line at every edge boundary.
  std::array<bool, 257> cut{};
  cut[0] = true;
  for (Nfa::Id s = 0; s < nfa.num_states(); ++s)
    for (const auto& e : nfa.edges(s)) { cut[e.lo] = true; cut[e.hi + 1] = true; }
  int cls = -1;
  for (int b = 0; b < 256; ++b) {
    if (cut[b]) { ++cls; raw.class_start.push_back(static_cast<uint8_t>(b)); }
    raw.class_of[b] = static_cast<uint8_t>(cls);
  }
  const size_t k = static_cast<size_t>(cls) + 1;
  raw.num_classes = static_cast<uint32_t>(k);

  Closure closure(nfa);
  std::unordered_map<std::vector<Nfa::Id>, Automaton::State, SetHash> ids;
  std::vector<std::vector<Nfa::Id>> sets{{}};
  ids.emplace(std::vector<Nfa::Id>{}, 0);
  bool too_many = false;
  auto intern = [&](std::vector<Nfa::Id>& set) -> Automaton::State {
    if (set.empty()) return 0;
    closure.close(&set);
    auto it = ids.find(set);
    if (it != ids.end()) return it->second;
    if (sets.size() > max_states) { too_many = true; return 0; }
    auto id = static_cast<Automaton::State>(sets.size());
    ids.emplace(set, id);
    sets.push_back(set);
    return id;
  };
  std::vector<Nfa::Id> start{nfa.start()};
  raw.start = intern(start);
  std::vector<std::vector<Nfa::Id>> buckets(k);
  std::vector<Nfa::Id> members;
  for (size_t s = 1; s < sets.size() && !too_many; ++s) {
    members = sets[s];
    for (auto& b : buckets) b.clear();
    for (Nfa::Id x : members)
      for (const auto& e : nfa.edges(x))
        for (size_t c = raw.class_of[e.lo]; c <= raw.class_of[e.hi]; ++c) buckets[c].push_back(e.to);
    raw.table.resize(sets.size() * k, 0);
    for (size_t c = 0; c < k; ++c) {
      Automaton::State t;
      if (c > 0 && buckets[c] == buckets[c - 1]) t = raw.table[s * k + c - 1];
      else { std::vector<Nfa::Id> set = buckets[c]; t = intern(set); }
      raw.table[s * k + c] = t;
    }
  }
  if (too_many) {
    return Status::too_large(std::string(what) + " too complex: more than " + std::to_string(max_states) +
                             " automaton states");
  }
  raw.table.resize(sets.size() * k, 0);
  raw.value.assign(sets.size(), Nfa::kNotAccepting);
  for (size_t s = 1; s < sets.size(); ++s)
    for (Nfa::Id x : sets[s]) raw.value[s] = std::min(raw.value[s], nfa.accept_value(x));
  return AutomatonTables::finish(std::move(raw));
}

}  // namespace meridian::termdict

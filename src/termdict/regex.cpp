// regex_automaton(): a recursive-descent parser producing a small AST, a
// Thompson construction into an Nfa, then determinize().
#include "meridian/termdict/regex.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "meridian/termdict/automaton_nfa.h"

namespace meridian::termdict {

namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;
constexpr int kMaxRepeat = 1000;
constexpr int kMaxDepth = 200;

struct Node {
  enum Kind { kEmpty, kSet, kConcat, kAlt, kRepeat } kind = kEmpty;
  Ranges ranges;          // kSet
  std::vector<int> kids;  // kConcat, kAlt; kRepeat has one
  int min = 0, max = -1;  // kRepeat; max -1 = unbounded
};

Ranges normalize(Ranges r, bool negate) {
  std::sort(r.begin(), r.end());
  Ranges merged;
  for (auto [lo, hi] : r) {
    if (!merged.empty() && lo <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, hi);
    } else {
      merged.emplace_back(lo, hi);
    }
  }
  if (!negate) return merged;
  Ranges out;
  uint32_t next = 0;
  for (auto [lo, hi] : merged) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= Nfa::kMaxCodePoint) out.emplace_back(next, Nfa::kMaxCodePoint);
  return out;
}

bool is_ascii_alnum(uint32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

class Parser {
 public:
  explicit Parser(std::vector<uint32_t> cps) : cps_(std::move(cps)) {}

  // Returns the root node, or -1 with error() set.
  int parse() {
    int root = parse_alt(0);
    if (root >= 0 && pos_ < cps_.size()) return fail("unmatched ')'");
    return root;
  }
  const Status& error() const { return error_; }
  const std::vector<Node>& nodes() const { return nodes_; }

 private:
  bool eof() const { return pos_ >= cps_.size(); }
  uint32_t peek() const { return cps_[pos_]; }

  int fail(std::string_view what) { return fail_at(pos_, what); }
  int fail_at(size_t at, std::string_view what) {
    if (error_.is_ok()) {
      error_ = Status::invalid("regex syntax error at column " + std::to_string(at + 1) + ": " +
                               std::string(what));
    }
    return -1;
  }
  int add(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size() - 1);
  }
  int add_set(Ranges r, bool negate = false) {
    Node n;
    n.kind = Node::kSet;
    n.ranges = normalize(std::move(r), negate);
    return add(std::move(n));
  }

  int parse_alt(int depth) {
    if (depth > kMaxDepth) return fail("groups nested too deeply");
    Node alt;
    alt.kind = Node::kAlt;
    for (;;) {
      int k = parse_concat(depth);
      if (k < 0) return -1;
      alt.kids.push_back(k);
      if (eof() || peek() != '|') break;
      ++pos_;
    }
    return alt.kids.size() == 1 ? alt.kids[0] : add(std::move(alt));
  }

  int parse_concat(int depth) {
    Node cat;
    cat.kind = Node::kConcat;
    while (!eof() && peek() != '|' && peek() != ')') {
      int k = parse_repeat(depth);
      if (k < 0) return -1;
      cat.kids.push_back(k);
    }
    if (cat.kids.empty()) return add(Node{});
    return cat.kids.size() == 1 ? cat.kids[0] : add(std::move(cat));
  }

  static bool is_quantifier(uint32_t c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

  int parse_repeat(int depth) {
    int atom = parse_atom(depth);
    if (atom < 0 || eof() || !is_quantifier(peek())) return atom;
    Node rep;
    rep.kind = Node::kRepeat;
    rep.kids.push_back(atom);
    uint32_t q = peek();
    size_t at = pos_++;
    if (q == '*') { rep.min = 0; rep.max = -1; }
    else if (q == '+') { rep.min = 1; rep.max = -1; }
    else if (q == '?') { rep.min = 0; rep.max = 1; }
    else if (!parse_braces(at, &rep.min, &rep.max)) return -1;
    if (!eof() && is_quantifier(peek())) return fail("stacked or lazy quantifiers are not supported");
    return add(std::move(rep));
  }

  // After '{': n}, n,} or n,m}. Returns false with the error set.
  bool parse_braces(size_t open, int* min, int* max) {
    int n = parse_number();
    if (n == -2) return fail("repetition count above 1000") , false;
    if (n < 0) return fail("expected a number in {n,m}"), false;
    *min = *max = n;
    if (!eof() && peek() == ',') {
      ++pos_;
      *max = -1;
      if (!eof() && peek() != '}') {
        int m = parse_number();
        if (m == -2) return fail("repetition count above 1000"), false;
        if (m < 0) return fail("expected a number or '}' in {n,m}"), false;
        if (m < n) return fail_at(open, "repetition {n,m} with m < n"), false;
        *max = m;
      }
    }
    if (eof() || peek() != '}') return fail_at(open, "missing '}'"), false;
    ++pos_;
    return true;
  }

  // -1: no digits; -2: too large.
  int parse_number() {
    int v = -1;
    while (!eof() && peek() >= '0' && peek() <= '9') {
      v = (v < 0 ? 0 : v) * 10 + static_cast<int>(peek() - '0');
      ++pos_;
      if (v > kMaxRepeat) return -2;
    }
    return v;
  }

  int parse_atom(int depth) {
    uint32_t c = peek();
    size_t at = pos_;
    switch (c) {
      case '(': {
        ++pos_;
        int inner = parse_alt(depth + 1);
        if (inner < 0) return -1;
        if (eof()) return fail_at(at, "missing ')'");
        ++pos_;
        return inner;
      }
      case '*': case '+': case '?': case '{':
        return fail("nothing to repeat");
      case '^': case '$':
        return fail("anchors are not supported (patterns always match the whole term)");
      case '.':
        ++pos_;
        return add_set({{0, Nfa::kMaxCodePoint}});
      case '[':
        return parse_class();
      case '\\': {
        Ranges r;
        if (!parse_escape(&r)) return -1;
        return add_set(std::move(r));
      }
      default:
        ++pos_;
        return add_set({{c, c}});
    }
  }

  // At '\\'. Appends the escaped set to *r. *single is set when the escape
  // denotes one character (usable as a class range end point).
  bool parse_escape(Ranges* r, bool* single = nullptr) {
    size_t at = pos_++;
    if (eof()) return fail_at(at, "dangling backslash"), false;
    uint32_t c = cps_[pos_++];
    if (single) *single = false;
    Ranges digit{{'0', '9'}}, word{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    Ranges space{{'\t', '\r'}, {' ', ' '}};
    switch (c) {
      case 'd': case 'D': case 'w': case 'W': case 's': case 'S': {
        Ranges base = (c == 'd' || c == 'D') ? digit : (c == 'w' || c == 'W') ? word : space;
        Ranges set = normalize(base, c == 'D' || c == 'W' || c == 'S');
        r->insert(r->end(), set.begin(), set.end());
        return true;
      }
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'f': c = '\f'; break;
      case 'v': c = '\v'; break;
      default:
        if (is_ascii_alnum(c)) return fail_at(at, "unknown escape"), false;
    }
    if (single) *single = true;
    r->emplace_back(c, c);
    return true;
  }

  // One class member at pos_: a character (escaped or not) or a class escape.
  bool parse_class_char(Ranges* r, bool* single, uint32_t* ch) {
    if (peek() == '\\') {
      Ranges tmp;
      if (!parse_escape(&tmp, single)) return false;
      *ch = tmp.front().first;
      r->insert(r->end(), tmp.begin(), tmp.end());
      return true;
    }
    *single = true;
    *ch = cps_[pos_++];
    r->emplace_back(*ch, *ch);
    return true;
  }

  int parse_class() {
    size_t open = pos_++;
    bool negate = !eof() && peek() == '^';
    if (negate) ++pos_;
    if (!eof() && peek() == ']') return fail("empty character class");
    Ranges r;
    while (!eof() && peek() != ']') {
      size_t item = pos_;
      bool single = false;
      uint32_t lo = 0;
      if (!parse_class_char(&r, &single, &lo)) return -1;
      if (pos_ + 1 < cps_.size() && peek() == '-' && cps_[pos_ + 1] != ']') {
        ++pos_;
        bool single_hi = false;
        uint32_t hi = 0;
        Ranges hi_set;
        if (!parse_class_char(&hi_set, &single_hi, &hi)) return -1;
        if (!single || !single_hi) return fail_at(item, "a class escape cannot bound a range");
        if (lo > hi) return fail_at(item, "range out of order");
        r.back() = {lo, hi};
      }
    }
    if (eof()) return fail_at(open, "missing ']'");
    ++pos_;
    return add_set(std::move(r), negate);
  }

  std::vector<uint32_t> cps_;
  size_t pos_ = 0;
  std::vector<Node> nodes_;
  Status error_;
};

// Thompson construction; stops (returns false) once the NFA exceeds max_nfa.
class Emitter {
 public:
  Emitter(const std::vector<Node>& nodes, Nfa* nfa, size_t max_nfa)
      : nodes_(nodes), nfa_(nfa), max_nfa_(max_nfa) {}
  struct Frag {
    Nfa::Id in, out;
  };

  bool emit(int id, Frag* f) {
    if (nfa_->num_states() > max_nfa_) return false;
    const Node& n = nodes_[id];
    switch (n.kind) {
      case Node::kEmpty: {
        Nfa::Id s = nfa_->add_state();
        *f = {s, s};
        return true;
      }
      case Node::kSet: {
        *f = {nfa_->add_state(), nfa_->add_state()};
        for (auto [lo, hi] : n.ranges) nfa_->add_code_points(f->in, lo, hi, f->out);
        return true;
      }
      case Node::kConcat: {
        if (!emit(n.kids[0], f)) return false;
        for (size_t i = 1; i < n.kids.size(); ++i) {
          Frag g;
          if (!emit(n.kids[i], &g)) return false;
          nfa_->add_epsilon(f->out, g.in);
          f->out = g.out;
        }
        return true;
      }
      case Node::kAlt: {
        *f = {nfa_->add_state(), nfa_->add_state()};
        for (int k : n.kids) {
          Frag g;
          if (!emit(k, &g)) return false;
          nfa_->add_epsilon(f->in, g.in);
          nfa_->add_epsilon(g.out, f->out);
        }
        return true;
      }
      case Node::kRepeat:
        return emit_repeat(n, f);
    }
    return false;
  }

 private:
  bool emit_repeat(const Node& n, Frag* f) {
    Nfa::Id s = nfa_->add_state();
    *f = {s, s};
    for (int i = 0; i < n.min; ++i) {
      Frag g;
      if (!emit(n.kids[0], &g)) return false;
      nfa_->add_epsilon(f->out, g.in);
      f->out = g.out;
    }
    Nfa::Id end = nfa_->add_state();
    if (n.max < 0) {  // a loop: out -> body -> out
      Frag g;
      if (!emit(n.kids[0], &g)) return false;
      nfa_->add_epsilon(f->out, g.in);
      nfa_->add_epsilon(g.out, f->out);
    } else {
      for (int i = n.min; i < n.max; ++i) {  // optional copies, each may stop early
        Frag g;
        if (!emit(n.kids[0], &g)) return false;
        nfa_->add_epsilon(f->out, end);
        nfa_->add_epsilon(f->out, g.in);
        f->out = g.out;
      }
    }
    nfa_->add_epsilon(f->out, end);
    f->out = end;
    return true;
  }

  const std::vector<Node>& nodes_;
  Nfa* nfa_;
  size_t max_nfa_;
};

}  // namespace

Result<Automaton> regex_automaton(std::string_view pattern, const RegexLimits& lim) {
  std::vector<uint32_t> cps;
  size_t pos = 0;
  while (pos < pattern.size()) {
    int32_t cp = decode_utf8(pattern, &pos);
    if (cp < 0) {
      return Status::invalid("regex syntax error at column " + std::to_string(cps.size() + 1) +
                             ": invalid UTF-8");
    }
    cps.push_back(static_cast<uint32_t>(cp));
  }
  Parser parser(std::move(cps));
  int root = parser.parse();
  if (root < 0) return parser.error();
  Nfa nfa;
  const size_t max_nfa = std::max<size_t>(100000, 20 * lim.max_states);
  Emitter emitter(parser.nodes(), &nfa, max_nfa);
  Emitter::Frag f;
  if (!emitter.emit(root, &f)) {
    return Status::too_large("regex too complex: more than " + std::to_string(max_nfa) + " NFA states");
  }
  nfa.set_start(f.in);
  nfa.set_accept(f.out);
  return determinize(nfa, lim.max_states, "regex");
}

}  // namespace meridian::termdict

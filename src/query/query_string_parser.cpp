#include "meridian/query/query_string_parser.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>

#include "meridian/base/utf8.h"

namespace meridian::query {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A word as read: `text` with escapes resolved, `pattern` keeping '\' before
// a literal '*', '?' or '\' (the Wildcard syntax).
struct Word {
  std::string text;
  std::string pattern;
  int wild = 0;             // unescaped '*' and '?'
  bool trailing_star = false;  // the only wildcard is one '*' at the end
};

// How a clause joins its list: plain, +must, -must_not, or NOT (logical).
enum class Mod { kNone, kMust, kMustNot, kNot };
struct Clause {
  Query q;
  Mod mod = Mod::kNone;
};
enum class Op { kNone, kAnd, kOr, kNot };

Json typed_value(const std::string& s) {
  int64_t i = 0;
  auto ri = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ri.ec == std::errc() && ri.ptr == s.data() + s.size()) return Json(i);
  double d = 0;
  auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
  if (rd.ec == std::errc() && rd.ptr == s.data() + s.size() && std::isfinite(d)) return Json(d);
  return Json(s);
}

Query finalize(Clause c) {
  if (c.mod == Mod::kMustNot || c.mod == Mod::kNot) {
    Bool b;
    b.must_not.push_back(std::move(c.q));
    return b;
  }
  return std::move(c.q);
}

Query combine(std::vector<Clause> items, bool is_and) {
  if (items.size() == 1) return finalize(std::move(items[0]));
  Bool b;
  for (auto& c : items) {
    switch (c.mod) {
      case Mod::kNone: (is_and ? b.must : b.should).push_back(std::move(c.q)); break;
      case Mod::kMust: b.must.push_back(std::move(c.q)); break;
      case Mod::kMustNot: b.must_not.push_back(std::move(c.q)); break;
      case Mod::kNot:
        if (is_and) b.must_not.push_back(std::move(c.q));
        else b.should.push_back(finalize(std::move(c)));
        break;
    }
  }
  return b;
}

class Parser {
 public:
  Parser(std::string_view s, const QueryStringOptions& opt) : s_(s), opt_(opt) {
    fields_ = opt.default_fields.empty() ? std::vector<FieldBoost>{{"*", 1}} : opt.default_fields;
  }

  Result<Query> run() {
    skip_ws();
    if (at_end()) return Query(MatchAll{});
    MERIDIAN_ASSIGN_OR_RETURN(Query q, parse_or());
    skip_ws();
    if (!at_end()) return err("end of query", pos_);
    return q;
  }

 private:
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return s_[pos_]; }
  void skip_ws() { while (!at_end() && is_space(peek())) ++pos_; }

  size_t column(size_t at) const {
    size_t c = 1;
    for (size_t i = 0; i < at && i < s_.size(); ++i)
      if ((static_cast<unsigned char>(s_[i]) & 0xC0) != 0x80) ++c;
    return c;
  }
  Status err(const std::string& what, size_t at) const {
    return Status::invalid("expected " + what + " at column " + std::to_string(column(at)));
  }
  // Whether the clause list ends here (end of input or of a group).
  bool at_list_end() const { return at_end() || peek() == ')'; }

  Op peek_op(size_t* len) const {
    std::string_view rest = s_.substr(pos_);
    if (rest.starts_with("&&")) { *len = 2; return Op::kAnd; }
    if (rest.starts_with("||")) { *len = 2; return Op::kOr; }
    if (rest.starts_with("!")) { *len = 1; return Op::kNot; }
    auto keyword = [&](std::string_view w) {
      if (!rest.starts_with(w)) return false;
      if (rest.size() == w.size()) return true;
      char c = rest[w.size()];
      return is_space(c) || c == '(' || c == '"' || c == '/' || c == '[' || c == '{';
    };
    if (keyword("AND")) { *len = 3; return Op::kAnd; }
    if (keyword("OR")) { *len = 2; return Op::kOr; }
    if (keyword("NOT")) { *len = 3; return Op::kNot; }
    return Op::kNone;
  }

  // After an operator: a term must follow.
  Status expect_operand(size_t op_at, size_t len) {
    pos_ = op_at + len;
    skip_ws();
    if (at_list_end()) return err("a term after '" + std::string(s_.substr(op_at, len)) + "'", pos_);
    return Status::ok();
  }

  Result<Query> parse_or() {
    std::vector<Clause> items;
    MERIDIAN_ASSIGN_OR_RETURN(Clause first, parse_and());
    items.push_back(std::move(first));
    for (;;) {
      skip_ws();
      if (at_list_end()) break;
      size_t len = 0;
      Op op = peek_op(&len);
      if (op == Op::kOr) {
        MERIDIAN_RETURN_IF_ERROR(expect_operand(pos_, len));
        MERIDIAN_ASSIGN_OR_RETURN(Clause c, parse_and());
        items.push_back(std::move(c));
      } else if (opt_.default_operator == Operator::kOr) {
        MERIDIAN_ASSIGN_OR_RETURN(Clause c, parse_and());
        if (c.mod == Mod::kNot) c.mod = Mod::kMustNot;  // "a NOT b" reads as "a -b"
        items.push_back(std::move(c));
      } else {
        break;
      }
    }
    return combine(std::move(items), false);
  }

  Result<Clause> parse_and() {
    std::vector<Clause> items;
    MERIDIAN_ASSIGN_OR_RETURN(Clause first, parse_unary());
    items.push_back(std::move(first));
    for (;;) {
      skip_ws();
      if (at_list_end()) break;
      size_t len = 0;
      Op op = peek_op(&len);
      if (op == Op::kOr) break;
      if (op == Op::kAnd) {
        MERIDIAN_RETURN_IF_ERROR(expect_operand(pos_, len));
      } else if (opt_.default_operator != Operator::kAnd) {
        break;
      }
      MERIDIAN_ASSIGN_OR_RETURN(Clause c, parse_unary());
      items.push_back(std::move(c));
    }
    if (items.size() == 1) return std::move(items[0]);
    return Clause{combine(std::move(items), true), Mod::kNone};
  }

  Result<Clause> parse_unary() {
    skip_ws();
    if (at_end()) return err("a term", pos_);
    size_t len = 0;
    Op op = peek_op(&len);
    if (op == Op::kAnd || op == Op::kOr) return err("a term", pos_);
    if (op == Op::kNot) {
      if (++depth_ > opt_.max_depth) return err("at most " + std::to_string(opt_.max_depth) + " nested groups", pos_);
      MERIDIAN_RETURN_IF_ERROR(expect_operand(pos_, len));
      MERIDIAN_ASSIGN_OR_RETURN(Clause inner, parse_unary());
      --depth_;
      return Clause{finalize(std::move(inner)), Mod::kNot};
    }
    char c = peek();
    if (c == '+' || c == '-') {
      ++pos_;
      if (at_end() || is_space(peek()) || peek() == ')') return err(std::string("a term after '") + c + "'", pos_);
      MERIDIAN_ASSIGN_OR_RETURN(Query q, parse_boosted());
      return Clause{std::move(q), c == '+' ? Mod::kMust : Mod::kMustNot};
    }
    MERIDIAN_ASSIGN_OR_RETURN(Query q, parse_boosted());
    return Clause{std::move(q), Mod::kNone};
  }

  Result<Query> parse_boosted() {
    MERIDIAN_ASSIGN_OR_RETURN(Query q, parse_primary());
    if (!at_end() && peek() == '^') {
      ++pos_;
      size_t start = pos_;
      while (!at_end() && (is_digit(peek()) || peek() == '.')) ++pos_;
      double b = 0;
      auto r = std::from_chars(s_.data() + start, s_.data() + pos_, b);
      if (start == pos_ || r.ptr != s_.data() + pos_ || !std::isfinite(b)) return err("a number after '^'", start);
      q.set_boost(q.boost() * b);
    }
    return q;
  }

  Result<Query> parse_primary() {
    char c = peek();
    if (c == '(' || c == '"' || c == '/' || c == '[' || c == '{' || c == '>' || c == '<')
      return parse_value(fields_, false);
    if (std::strchr(")]}:^~+-!", c)) return err("a term", pos_);
    size_t start = pos_;
    MERIDIAN_ASSIGN_OR_RETURN(Word w, read_word(false));
    if (at_end() || peek() != ':') return word_query(w, fields_, false);
    size_t colon = pos_++;
    skip_ws();
    size_t len = 0;
    if (at_end() || std::strchr(")]}:^~", peek()) || peek_op(&len) != Op::kNone)
      return err("a value after '" + std::string(s_.substr(start, colon + 1 - start)) + "'", pos_);
    if (w.text == "_exists_") {
      MERIDIAN_ASSIGN_OR_RETURN(Word f, read_word(false));
      return Query(Exists{f.text});
    }
    return parse_value({FieldBoost{w.text, 1}}, true);
  }

  // The value after "field:" (explicit) or a non-word leaf on default fields.
  Result<Query> parse_value(const std::vector<FieldBoost>& fields, bool explicit_field) {
    switch (peek()) {
      case '(': return parse_group(fields);
      case '"': return parse_phrase(fields);
      case '/': return parse_regex(fields);
      case '[': case '{': return parse_range(fields);
      case '>': case '<': return parse_comparison(fields);
      default: break;
    }
    MERIDIAN_ASSIGN_OR_RETURN(Word w, read_word(false));
    return word_query(w, fields, explicit_field);
  }

  Result<Word> read_word(bool in_range) {
    Word w;
    size_t star_at = std::string::npos;
    while (!at_end()) {
      char c = peek();
      if (is_space(c) || c == ']' || c == '}') break;
      if (!in_range && std::strchr("()[{\":^~", c)) break;
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) return err("a character after '\\'", pos_ + 1);
        char e = s_[pos_ + 1];
        w.text += e;
        if (e == '*' || e == '?' || e == '\\') w.pattern += '\\';
        w.pattern += e;
        pos_ += 2;
        continue;
      }
      if (c == '*' || c == '?') {
        ++w.wild;
        if (c == '*') star_at = w.pattern.size();
      }
      w.text += c;
      w.pattern += c;
      ++pos_;
    }
    w.trailing_star = w.wild == 1 && star_at != std::string::npos && star_at + 1 == w.pattern.size();
    if (w.text.empty()) return err("a term", pos_);
    return w;
  }

  // Applies `make` to each field: one field keeps its node (boost multiplied
  // by the field's), several become bool(should=[...]).
  static Query per_field(const std::vector<FieldBoost>& fields, const std::function<Query(const std::string&)>& make) {
    auto one = [&](const FieldBoost& f) {
      Query q = make(f.field);
      if (f.boost != 1) q.set_boost(q.boost() * f.boost);
      return q;
    };
    if (fields.size() == 1) return one(fields[0]);
    Bool b;
    for (const auto& f : fields) b.should.push_back(one(f));
    return b;
  }

  Result<Query> word_query(const Word& w, const std::vector<FieldBoost>& fields, bool explicit_field) {
    bool tilde = !at_end() && peek() == '~';
    if (w.wild > 0 && tilde) return err("a plain term before '~'", pos_);
    if (w.pattern == "*") {
      if (explicit_field && fields[0].field != "*") return Query(Exists{fields[0].field});
      return Query(MatchAll{});
    }
    if (w.trailing_star) {
      std::string v = w.text.substr(0, w.text.size() - 1);
      return per_field(fields, [&](const std::string& f) { return Query(Prefix{f, v}); });
    }
    if (w.wild > 0) return per_field(fields, [&](const std::string& f) { return Query(Wildcard{f, w.pattern}); });
    Fuzziness fz;
    if (tilde) {
      ++pos_;
      if (!at_end() && is_digit(peek())) {
        size_t start = pos_;
        while (!at_end() && is_digit(peek())) ++pos_;
        std::string_view digits = s_.substr(start, pos_ - start);
        if (digits.size() != 1 || digits[0] > '2') return err("fuzziness 0, 1 or 2", start);
        fz = Fuzziness::fixed(digits[0] - '0');
      } else {
        fz = Fuzziness::automatic();
      }
    }
    if (fields.size() == 1) {
      Match m;
      m.field = fields[0].field;
      m.text = w.text;
      m.fuzziness = fz;
      m.boost = fields[0].boost;
      return Query(std::move(m));
    }
    MultiMatch mm;
    mm.fields = fields;
    mm.text = w.text;
    mm.fuzziness = fz;
    return Query(std::move(mm));
  }

  Result<Query> parse_group(const std::vector<FieldBoost>& fields) {
    size_t open = pos_++;
    if (++depth_ > opt_.max_depth) return err("at most " + std::to_string(opt_.max_depth) + " nested groups", open);
    std::vector<FieldBoost> saved = fields_;
    fields_ = fields;
    skip_ws();
    if (at_end()) return err("a term", pos_);
    if (peek() == ')') return err("a term", pos_);
    MERIDIAN_ASSIGN_OR_RETURN(Query q, parse_or());
    skip_ws();
    if (at_end() || peek() != ')') return err("')'", pos_);
    ++pos_;
    fields_ = std::move(saved);
    --depth_;
    return q;
  }

  // A "quoted" string starting at pos_; resolves \x escapes.
  Result<std::string> read_quoted() {
    ++pos_;
    std::string text;
    while (!at_end() && peek() != '"') {
      if (peek() == '\\' && pos_ + 1 < s_.size()) ++pos_;
      text += s_[pos_++];
    }
    if (at_end()) return err("closing '\"'", pos_);
    ++pos_;
    return text;
  }

  Result<Query> parse_phrase(const std::vector<FieldBoost>& fields) {
    MERIDIAN_ASSIGN_OR_RETURN(std::string text, read_quoted());
    int slop = 0;
    if (!at_end() && peek() == '~') {
      size_t start = ++pos_;
      while (!at_end() && is_digit(peek())) ++pos_;
      auto r = std::from_chars(s_.data() + start, s_.data() + pos_, slop);
      if (start == pos_ || r.ec != std::errc()) return err("a slop number after '~'", start);
    }
    return per_field(fields, [&](const std::string& f) { return Query(MatchPhrase{f, text, slop}); });
  }

  Result<Query> parse_regex(const std::vector<FieldBoost>& fields) {
    ++pos_;
    std::string re;
    while (!at_end() && peek() != '/') {
      if (peek() == '\\' && pos_ + 1 < s_.size()) {
        if (s_[pos_ + 1] != '/') re += '\\';
        ++pos_;
      }
      re += s_[pos_++];
    }
    if (at_end()) return err("closing '/'", pos_);
    ++pos_;
    return per_field(fields, [&](const std::string& f) { return Query(Regexp{f, re}); });
  }

  // One end of [a TO b]: nullopt for an unescaped '*'.
  Result<std::optional<Json>> range_bound() {
    if (at_end() || peek() == ']' || peek() == '}') return err("a range bound", pos_);
    if (peek() == '"') {
      MERIDIAN_ASSIGN_OR_RETURN(std::string s, read_quoted());
      return std::optional<Json>(Json(s));
    }
    MERIDIAN_ASSIGN_OR_RETURN(Word w, read_word(true));
    if (w.pattern == "*") return std::optional<Json>();
    return std::optional<Json>(typed_value(w.text));
  }

  Result<Query> parse_range(const std::vector<FieldBoost>& fields) {
    char open = s_[pos_++];
    skip_ws();
    MERIDIAN_ASSIGN_OR_RETURN(std::optional<Json> lower, range_bound());
    skip_ws();
    if (!(s_.substr(pos_).starts_with("TO") && (pos_ + 2 == s_.size() || is_space(s_[pos_ + 2]))))
      return err("'TO'", pos_);
    pos_ += 2;
    skip_ws();
    MERIDIAN_ASSIGN_OR_RETURN(std::optional<Json> upper, range_bound());
    skip_ws();
    if (at_end() || (peek() != ']' && peek() != '}')) return err("']' or '}'", pos_);
    char close = s_[pos_++];
    Range r;
    if (lower) (open == '[' ? r.gte : r.gt) = *lower;
    if (upper) (close == ']' ? r.lte : r.lt) = *upper;
    return per_field(fields, [&](const std::string& f) { Range x = r; x.field = f; return Query(std::move(x)); });
  }

  Result<Query> parse_comparison(const std::vector<FieldBoost>& fields) {
    size_t start = pos_;
    bool greater = peek() == '>';
    ++pos_;
    bool inclusive = !at_end() && peek() == '=';
    if (inclusive) ++pos_;
    std::string op(s_.substr(start, pos_ - start));
    skip_ws();
    if (at_end() || is_space(peek()) || std::strchr("()[]{}:^~*", peek())) return err("a value after '" + op + "'", pos_);
    Json v;
    if (peek() == '"') {
      MERIDIAN_ASSIGN_OR_RETURN(std::string s, read_quoted());
      v = Json(s);
    } else {
      MERIDIAN_ASSIGN_OR_RETURN(Word w, read_word(false));
      v = typed_value(w.text);
    }
    Range r;
    (greater ? (inclusive ? r.gte : r.gt) : (inclusive ? r.lte : r.lt)) = v;
    return per_field(fields, [&](const std::string& f) { Range x = r; x.field = f; return Query(std::move(x)); });
  }

  std::string_view s_;
  const QueryStringOptions& opt_;
  std::vector<FieldBoost> fields_;
  size_t pos_ = 0;
  int depth_ = 0;
};


}  // namespace

Result<Query> parse_query_string(std::string_view text, const QueryStringOptions& opt) {
  return Parser(text, opt).run();
}

bool plain_ascii_word(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

std::string simple_clean(std::string_view text) {
  // The usual q, one word of ASCII letters and digits: no separator, no
  // hyphen, so it comes back as it is (what the walk below gives).
  if (plain_ascii_word(text)) return std::string(text);
  // Split into code points classified as word / separator / hyphen.
  enum Cls { kWordCp, kSep, kHyphen };
  std::vector<std::pair<std::string_view, Cls>> cps;
  cps.reserve(text.size());  // at most one code point per byte
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_seq_len(p + i, text.size() - i);
    if (n == 0) { cps.emplace_back("", kSep); ++i; continue; }
    unsigned char c = p[i];
    Cls cls = kWordCp;
    if (n == 1 && (c < 0x20 || c == 0x7f || is_space(static_cast<char>(c)) ||
                   std::strchr("+!(){}[]^\"~*?:\\/&|<>=", static_cast<char>(c))))
      cls = kSep;
    if (n == 1 && c == '-') cls = kHyphen;
    cps.emplace_back(text.substr(i, n), cls);
    i += n;
  }
  std::string out;
  bool pending_space = false;
  for (size_t i = 0; i < cps.size(); ++i) {
    Cls cls = cps[i].second;
    if (cls == kHyphen)
      cls = (i > 0 && i + 1 < cps.size() && cps[i - 1].second == kWordCp && cps[i + 1].second == kWordCp) ? kWordCp : kSep;
    if (cls == kSep) { pending_space = !out.empty(); continue; }
    if (pending_space) out += ' ';
    pending_space = false;
    out += cps[i].first;
  }
  return out;
}

Query parse_simple(std::string_view text, const std::vector<FieldBoost>& fields, Operator op, const TypoBudget& typos) {
  std::string clean = simple_clean(text);
  if (clean.empty()) return MatchAll{};
  std::vector<FieldBoost> fs = fields.empty() ? std::vector<FieldBoost>{{"*", 1}} : fields;
  if (fs.size() == 1) {
    Match m;
    m.field = fs[0].field;
    m.text = std::move(clean);
    m.op = op;
    m.fuzziness = typos.fuzziness();
    m.prefix_last = true;
    m.boost = fs[0].boost;
    m.q_words = QWords{0, 0};
    return m;
  }
  MultiMatch mm;
  mm.fields = std::move(fs);
  mm.text = std::move(clean);
  mm.op = op;
  mm.fuzziness = typos.fuzziness();
  mm.prefix_last = true;
  mm.q_words = QWords{0, 0};
  return mm;
}

}  // namespace meridian::query

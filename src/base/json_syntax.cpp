#include "meridian/base/json_syntax.h"

#include <cctype>
#include <vector>

namespace meridian {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view t) : t_(t) {}

  // Offset and reason of the first error, or false.
  bool scan(size_t* at, std::string* what) {
    ws();
    if (p_ == t_.size()) return fail(at, what, "empty JSON input");
    enum class Need { kValue, kAfterValue };
    Need need = Need::kValue;
    for (;;) {
      if (need == Need::kValue) {
        if (p_ == t_.size()) return fail(at, what, "unexpected end of input, expected a value");
        char c = t_[p_];
        if (c == '{' || c == '[') {
          stack_.push_back(c);
          ++p_;
          ws();
          char close = c == '{' ? '}' : ']';
          if (p_ < t_.size() && t_[p_] == close) {
            ++p_;
            stack_.pop_back();
            need = Need::kAfterValue;
            continue;
          }
          if (c == '{' && !member_name(at, what, false)) return true;
          continue;  // a value next (array) or after the member name
        }
        if (!scalar(at, what)) return true;
        need = Need::kAfterValue;
        continue;
      }
      ws();
      if (stack_.empty()) {
        if (p_ == t_.size()) return false;
        return fail(at, what, "unexpected '" + std::string(1, t_[p_]) + "' after the end of the JSON value");
      }
      char top = stack_.back();
      char close = top == '{' ? '}' : ']';
      if (p_ == t_.size())
        return fail(at, what, std::string("unexpected end of input, expected ',' or '") + close + "'");
      char c = t_[p_];
      if (c == close) {
        ++p_;
        stack_.pop_back();
        continue;
      }
      if (c != ',')
        return fail(at, what, std::string("expected ',' or '") + close + "', got '" + std::string(1, c) + "'");
      size_t comma = p_++;
      ws();
      if (p_ < t_.size() && t_[p_] == close) {
        p_ = comma;
        return fail(at, what, std::string("trailing comma before '") + close + "'");
      }
      if (top == '{' && !member_name(at, what, true)) return true;
      need = Need::kValue;
    }
  }

 private:
  bool fail(size_t* at, std::string* what, std::string w) {
    *at = p_;
    *what = std::move(w);
    return true;
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  // "name" ws ':' ws; false (with the error set) if not.
  bool member_name(size_t* at, std::string* what, bool after_comma) {
    if (p_ == t_.size() || t_[p_] != '"') {
      fail(at, what, std::string("expected a member name in double quotes") + (after_comma ? " after ','" : ""));
      return false;
    }
    if (!string(at, what)) return false;
    ws();
    if (p_ == t_.size() || t_[p_] != ':') {
      fail(at, what, "expected ':' after a member name");
      return false;
    }
    ++p_;
    ws();
    return true;
  }
  bool string(size_t* at, std::string* what) {
    size_t start = p_++;
    while (p_ < t_.size()) {
      unsigned char c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) {
        fail(at, what, "control character in a string (escape it, e.g. \\n)");
        return false;
      }
      if (c == '\\') {
        if (p_ + 1 >= t_.size()) break;
        char e = t_[p_ + 1];
        if (e == 'u') {
          for (size_t i = 2; i < 6; ++i) {
            if (p_ + i >= t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[p_ + i]))) {
              fail(at, what, "\\u needs four hex digits");
              return false;
            }
          }
          p_ += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          fail(at, what, "invalid escape '\\" + std::string(1, e) + "'");
          return false;
        }
        p_ += 2;
        continue;
      }
      ++p_;
    }
    p_ = start;
    fail(at, what, "unterminated string");
    return false;
  }
  bool digits() {
    size_t s = p_;
    while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    return p_ > s;
  }
  bool scalar(size_t* at, std::string* what) {
    char c = t_[p_];
    if (c == '"') return string(at, what);
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t start = p_;
      if (c == '-') ++p_;
      if (p_ < t_.size() && t_[p_] == '0') {
        ++p_;
      } else if (!digits()) {
        p_ = start;
        fail(at, what, "invalid number");
        return false;
      }
      if (p_ < t_.size() && t_[p_] == '.') {
        ++p_;
        if (!digits()) return fail(at, what, "invalid number: digits expected after '.'"), false;
      }
      if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
        ++p_;
        if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
        if (!digits()) return fail(at, what, "invalid number: digits expected in the exponent"), false;
      }
      return true;
    }
    for (std::string_view lit : {"true", "false", "null"}) {
      if (t_.substr(p_, lit.size()) == lit) {
        p_ += lit.size();
        return true;
      }
    }
    if (c == '\'') return fail(at, what, "strings take double quotes, not single quotes"), false;
    fail(at, what, "unexpected '" + std::string(1, c) + "', expected a value");
    return false;
  }

  std::string_view t_;
  size_t p_ = 0;
  std::vector<char> stack_;
};

}  // namespace

JsonSyntaxError find_json_syntax_error(std::string_view text) {
  JsonSyntaxError e;
  Scanner s(text);
  if (!s.scan(&e.offset, &e.what)) return e;
  e.found = true;
  e.line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < e.offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++e.line;
      line_start = i + 1;
    }
  }
  e.column = e.offset - line_start + 1;
  return e;
}

}  // namespace meridian

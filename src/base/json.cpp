#include "meridian/base/json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "meridian/base/json_syntax.h"
#include "meridian/base/utf8.h"

namespace meridian {

Json::Json(uint64_t i) {
  if (i <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    v_ = static_cast<int64_t>(i);
  else
    v_ = static_cast<double>(i);
}

std::string_view Json::type_name(Type t) {
  switch (t) {
    case Type::kNull: return "null";
    case Type::kBool: return "bool";
    case Type::kInt: return "integer";
    case Type::kDouble: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "?";
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object())
    if (k == key) return &v;
  return nullptr;
}

Json* Json::find(std::string_view key) {
  return const_cast<Json*>(static_cast<const Json*>(this)->find(key));
}

Json& Json::set(std::string key, Json value) {
  if (is_null()) v_ = Object{};
  for (auto& [k, v] : as_object())
    if (k == key) { v = std::move(value); return v; }
  as_object().emplace_back(std::move(key), std::move(value));
  return as_object().back().second;
}

bool Json::erase(std::string_view key) {
  if (!is_object()) return false;
  auto& o = as_object();
  for (auto it = o.begin(); it != o.end(); ++it)
    if (it->first == key) { o.erase(it); return true; }
  return false;
}

void Json::push(Json value) {
  if (is_null()) v_ = Array{};
  as_array().push_back(std::move(value));
}

size_t Json::size() const {
  if (is_array()) return as_array().size();
  if (is_object()) return as_object().size();
  return 0;
}

bool operator==(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number() && a.type() != b.type()) return a.as_double() == b.as_double();
  return a.v_ == b.v_;
}

void append_json_string(std::string* out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // A run of characters that need no escaping leaves in one append.
    const size_t j = i + json_plain_prefix(s.substr(i));
    if (j > i) {
      out->append(s.data() + i, j - i);
      i = j;
      continue;
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default:
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
      }
      ++i;
      continue;
    }
    size_t len = utf8_seq_len(p + i, n - i);
    if (len == 0) { out->append("\xEF\xBF\xBD"); ++i; continue; }
    out->append(reinterpret_cast<const char*>(p + i), len);
    i += len;
  }
  out->push_back('"');
}

size_t json_plain_prefix(std::string_view s) {
  size_t j = 0;
  for (const unsigned char c : s) {
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
    ++j;
  }
  return j;
}

char* format_json_number(char* p, double d) {
  if (!std::isfinite(d)) return std::copy_n("null", 4, p);
  // A small whole number (a constant score, a count): its digits, then ".0".
  // Below 10^5 the shortest form to_chars picks is the plain one (10^5 would
  // be "1e+05"); -0.0 keeps its sign below.
  if (d >= 0 && d < 1e5 && !(d == 0 && std::signbit(d))) {
    const auto w = static_cast<uint32_t>(d);
    if (static_cast<double>(w) == d) return std::copy_n(".0", 2, std::to_chars(p, p + 8, w).ptr);
  }
  auto r = std::to_chars(p, p + kJsonNumberMax - 2, d);
  // Keep a double a double when read back: "1e+20" is fine, "100000000000000000000" is not.
  if (std::find_if(p, r.ptr, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == r.ptr)
    return std::copy_n(".0", 2, r.ptr);
  return r.ptr;
}

void append_json_number(std::string* out, double d) {
  char buf[kJsonNumberMax];
  out->append(buf, format_json_number(buf, d));
}

void Json::dump_to(std::string* out) const {
  switch (type()) {
    case Type::kNull: out->append("null"); break;
    case Type::kBool: out->append(as_bool() ? "true" : "false"); break;
    case Type::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, as_int());
      out->append(buf, r.ptr);
      break;
    }
    case Type::kDouble: append_json_number(out, std::get<double>(v_)); break;
    case Type::kString: append_json_string(out, as_string()); break;
    case Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : as_array()) {
        if (!first) out->push_back(',');
        first = false;
        e.dump_to(out);
      }
      out->push_back(']');
      break;
    }
    case Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [k, v] : as_object()) {
        if (!first) out->push_back(',');
        first = false;
        append_json_string(out, k);
        out->push_back(':');
        v.dump_to(out);
      }
      out->push_back('}');
      break;
    }
  }
}

std::string Json::dump() const {
  std::string s;
  dump_to(&s);
  return s;
}

namespace {

Json convert(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE: return Json();
    case element_type::BOOL: return Json(bool(e.get_bool().value_unsafe()));
    case element_type::INT64: return Json(int64_t(e.get_int64().value_unsafe()));
    case element_type::UINT64: return Json(uint64_t(e.get_uint64().value_unsafe()));
    case element_type::DOUBLE: return Json(double(e.get_double().value_unsafe()));
    case element_type::STRING: return Json(std::string_view(e.get_string().value_unsafe()));
    case element_type::ARRAY: {
      Json::Array a;
      simdjson::dom::array arr;
      if (e.get_array().get(arr)) return Json();
      for (auto child : arr) a.push_back(convert(child));
      return Json(std::move(a));
    }
    case element_type::OBJECT: {
      Json::Object o;
      simdjson::dom::object obj;
      if (e.get_object().get(obj)) return Json();
      for (auto field : obj) {
        std::string key(field.key);
        bool replaced = false;
        for (auto& kv : o)  // duplicate keys: the last one wins, as in most parsers
          if (kv.first == key) { kv.second = convert(field.value); replaced = true; break; }
        if (!replaced) o.emplace_back(std::move(key), convert(field.value));
      }
      return Json(std::move(o));
    }
  }
  return Json();
}

}  // namespace

Result<Json> parse_json(std::string_view text, const JsonParseOptions& opt) {
  thread_local simdjson::dom::parser parser;
  thread_local size_t depth_set = 0;
  if (depth_set != opt.max_depth) {
    parser = simdjson::dom::parser();
    depth_set = opt.max_depth;
  }
  if (text.size() > parser.capacity()) {
    if (parser.allocate(text.size() + 64, opt.max_depth) != simdjson::SUCCESS)
      return Status::too_large("JSON document too large to parse (" + std::to_string(text.size()) + " bytes)");
  } else if (parser.max_depth() != opt.max_depth) {
    if (parser.allocate(parser.capacity(), opt.max_depth) != simdjson::SUCCESS)
      return Status::internal("JSON parser allocation failed");
  }
  simdjson::dom::element root;
  auto err = parser.parse(text.data(), text.size(), true).get(root);
  if (err) {
    std::string reason = simdjson::error_message(err);
    if (err == simdjson::DEPTH_ERROR) reason = "JSON nesting deeper than " + std::to_string(opt.max_depth) + " levels";
    if (err == simdjson::EMPTY) reason = "empty JSON input";
    if (err == simdjson::UTF8_ERROR) reason = "invalid UTF-8 in JSON";
    if (err != simdjson::DEPTH_ERROR && err != simdjson::UTF8_ERROR) {
      JsonSyntaxError se = find_json_syntax_error(text);
      if (se.found)
        return Status::invalid("malformed JSON at line " + std::to_string(se.line) + ", column " +
                               std::to_string(se.column) + ": " + se.what);
    }
    return Status::invalid("malformed JSON: " + reason);
  }
  return convert(root);
}

}  // namespace meridian

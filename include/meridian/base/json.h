// Json: a small JSON document model used across Meridian for documents,
// schemas, manifests and query DSL trees, so that nothing above `base`
// includes a JSON library. Parsing is done by simdjson inside json.cpp (an
// adapter: its exceptions and error codes become Status); writing is by hand.
//
// Objects keep their keys in insertion order (stored source is returned as
// written). A Json is a value type: copy freely; not synchronized.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "meridian/base/status.h"

namespace meridian {

class Json {
 public:
  enum class Type : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;
  Json(std::nullptr_t) {}                                // NOLINT
  Json(bool b) : v_(b) {}                                // NOLINT
  Json(int i) : v_(static_cast<int64_t>(i)) {}           // NOLINT
  Json(int64_t i) : v_(i) {}                             // NOLINT
  Json(uint64_t i);                                      // NOLINT: > int64 max becomes double
  Json(double d) : v_(d) {}                              // NOLINT
  Json(std::string s) : v_(std::move(s)) {}              // NOLINT
  Json(std::string_view s) : v_(std::string(s)) {}       // NOLINT
  Json(const char* s) : v_(std::string(s)) {}            // NOLINT
  Json(Array a) : v_(std::move(a)) {}                    // NOLINT
  Json(Object o) : v_(std::move(o)) {}                   // NOLINT
  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }

  Type type() const { return static_cast<Type>(v_.index()); }
  static std::string_view type_name(Type t);
  std::string_view type_name() const { return type_name(type()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_double() const { return type() == Type::kDouble; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Accessors assert the type; check is_*() first for untrusted input.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const { return is_int() ? static_cast<double>(as_int()) : std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object member lookup (linear; objects are small). nullptr if absent or
  // if this is not an object.
  const Json* find(std::string_view key) const;
  Json* find(std::string_view key);
  // Sets (replacing an existing key) on an object; turns null into an object.
  Json& set(std::string key, Json value);
  bool erase(std::string_view key);
  // Appends to an array; turns null into an array.
  void push(Json value);
  size_t size() const;  // elements or members; 0 for scalars

  std::string dump() const;
  void dump_to(std::string* out) const;

  friend bool operator==(const Json& a, const Json& b);

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> v_;
};

struct JsonParseOptions {
  size_t max_depth = 128;
};

// Parses one JSON value (surrounding whitespace allowed). Errors are
// InvalidArgument with simdjson's reason ("invalid UTF-8", "too deep", ...).
Result<Json> parse_json(std::string_view text, const JsonParseOptions& opt = {});

// Appends `s` as a quoted JSON string, escaping as required. Invalid UTF-8
// bytes are replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string* out, std::string_view s);
// Appends a number: integers exactly, doubles in shortest round-trip form,
// non-finite as null.
void append_json_number(std::string* out, double d);
// The same into buf (room for kJsonNumberMax bytes); returns the end.
inline constexpr size_t kJsonNumberMax = 40;
char* format_json_number(char* buf, double d);
// How many leading bytes of `s` a JSON string holds as they are (printable
// ASCII other than '"' and '\\'): append_json_string copies them unchanged.
size_t json_plain_prefix(std::string_view s);

}  // namespace meridian

// Where a JSON text stops being JSON: simdjson reports an error code, not a
// position, so on a failed parse this small scanner walks the text with the
// RFC 8259 grammar and names the first offending byte ("line 1, column 8:
// trailing comma before '}'"). Used only on the error path, so it favours
// clarity over speed. Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace meridian {

struct JsonSyntaxError {
  bool found = false;  // false: the scanner saw no syntax error (e.g. invalid UTF-8, too deep)
  size_t offset = 0;   // 0-based byte offset of the offending byte (text.size() at a premature end)
  size_t line = 0;     // 1-based
  size_t column = 0;   // 1-based, in bytes from the start of the line
  std::string what;    // "trailing comma before '}'", "expected ':' after a member name", ...
};

JsonSyntaxError find_json_syntax_error(std::string_view text);

}  // namespace meridian

// SourcePosition: where a change stream is, as a tuple of unsigned integers
// compared lexicographically, so every kind of upstream position (a
// PostgreSQL LSN, a MySQL binlog file + offset + row, a SQL Server commit +
// change LSN) orders the same way. Stored in the index manifest (through
// Index::set_source_position) in its text form "p1,p2,...".
//
// A value type; pure functions; thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::cdc {

struct SourcePosition {
  std::vector<uint64_t> parts;

  bool empty() const { return parts.empty(); }
  // "1,2,3"; "" for an empty position.
  std::string to_string() const;
  // Parses to_string()'s form; errors are InvalidArgument.
  static Result<SourcePosition> parse(std::string_view text);

  friend std::strong_ordering operator<=>(const SourcePosition& a, const SourcePosition& b) {
    return a.parts <=> b.parts;
  }
  friend bool operator==(const SourcePosition& a, const SourcePosition& b) = default;
};

// PostgreSQL's "XXXXXXXX/XXXXXXXX" LSN text form (hex, either half up to 8
// digits) to its 64-bit value, and back.
Result<uint64_t> parse_pg_lsn(std::string_view text);
std::string format_pg_lsn(uint64_t lsn);

}  // namespace meridian::cdc

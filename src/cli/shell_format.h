// Shell output: search responses and listings as an aligned text table, CSV
// or JSON. Tables measure width in code points (highlight markers and ANSI
// escapes take no room), truncate long cells with "…", and show highlighted
// words in bold when colour is on. Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::cli::shell {

enum class Format { kTable, kJson, kCsv };
Result<Format> parse_format(std::string_view name);
const char* format_name(Format f);

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;  // cells may hold highlight markers
};

struct RenderOptions {
  Format format = Format::kTable;
  bool color = false;       // bold headers and highlights (terminal)
  size_t max_cell = 40;     // table: longer cells are cut (display columns)
};

// Table: header, a rule, one line per row, columns padded to the widest cell.
// CSV: RFC 4180, header first. JSON: an array of objects, one per row.
std::string render(const Table& t, const RenderOptions& opt);

// Columns of a search response: id, score, distance (when any hit has one),
// then `fields` (empty = up to 6 source fields in order of appearance, plus
// any highlighted field). Highlighted fragments replace the field's value.
Table hits_table(const Json& response, const std::vector<std::string>& fields);

struct ResultOptions {
  RenderOptions render;
  std::vector<std::string> fields;
  bool timing = true;
  double elapsed_ms = 0;  // measured by the shell (round trip)
};

// The whole answer to a search: the hits (table/CSV) followed, in table
// mode, by "N hits (showing K)", facets, explanations and the time; in JSON
// mode the response itself on one line.
std::string format_results(const Json& response, const ResultOptions& opt);

// A copy of v whose strings have the highlight markers as <em> and </em>
// (JSON output never shows the marker bytes).
Json without_markers(const Json& v);

// Code points, not counting highlight markers and ANSI escape sequences.
size_t display_width(std::string_view s);
// "1.2 km", "350 m".
std::string format_distance(double meters);
// A JSON value as a table cell: strings raw, {lat,lon} as "lat,lon",
// anything else as compact JSON.
std::string cell_text(const Json& v);

}  // namespace meridian::cli::shell

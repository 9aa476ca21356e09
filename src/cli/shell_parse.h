// Shell line parser: turns one line typed into `meridian shell` into what it
// asks for (a backslash command, a simple search with optional geo suffixes,
// or a JSON DSL request body), and builds the search request body from it
// and the session settings. Pure functions on value types: no I/O, no
// backend; safe from any thread. docs/CLI.md ("Shell") is the user manual.
//
// Grammar of a search line:
//   TEXT [near LAT,LON [within DISTANCE]] [in LEFT,BOTTOM,RIGHT,TOP]
// TEXT is query-string syntax (docs/QUERY.md). Plain words are searched
// typo tolerant (`q`), field clauses (`country:FR`, `population:>1000`)
// filter (`filter`); a text with operators, quotes, groups, wildcards,
// fuzziness or boosts goes whole to the query-string parser (`query_string`
// query, AND between clauses). `near` without `within` sorts the nearest
// first and filters nothing.
// The suffixes may come in either order. `near`/`in` count as suffixes only
// when followed by a number (so "made in china" is plain text). DISTANCE is
// "10km", "500m", "3 mi", ... (query::parse_distance_m). The bounding box is
// lon/lat in GeoJSON order: left (west lon), bottom (south lat), right (east
// lon), top (north lat).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::cli::shell {

struct GeoNear {
  double lat = 0;
  double lon = 0;
  std::string radius;  // as written, e.g. "10km"; empty: no radius (sort only)
};

struct GeoBox {
  double left = 0, bottom = 0, right = 0, top = 0;
};

struct ParsedLine {
  enum class Kind { kEmpty, kCommand, kSearch, kJson };
  Kind kind = Kind::kEmpty;
  std::string command;  // kCommand: the name without '\' ("l", "d", "format", ...)
  std::string arg;      // kCommand: the rest of the line, trimmed
  std::string text;     // kSearch: the query text; kJson: the JSON text
  std::optional<GeoNear> near;
  std::optional<GeoBox> bbox;
};

// Errors are Status::invalid with a message fit to print as is.
Result<ParsedLine> parse_line(std::string_view line);

// The backslash commands, for \help and tab completion: name (without '\'),
// argument synopsis, one-line help.
struct CommandInfo {
  const char* name;
  const char* args;
  const char* help;
};
const std::vector<CommandInfo>& commands();

// Session state that shapes every search.
struct Settings {
  size_t limit = 10;
  std::vector<std::string> facets;  // terms facets, one per field
  bool explain = false;
  std::string geo_field = "location";
  bool highlight = true;          // ask for highlighted fragments of the fields searched
  bool highlight_markers = true;  // tag them with the markers below (else <em>...</em>)
};

// The highlight markers put around matched words; the formatter turns them
// into bold (terminal) or removes them.
inline constexpr const char* kHighlightOn = "\x02";
inline constexpr const char* kHighlightOff = "\x03";

// A search text split for the request: `words` go to `q` (typo tolerant),
// `filters` (field clauses) to `filter`; when the text needs the full
// query-string parser, `query_string` holds all of it and the rest is empty.
struct SearchText {
  std::string words;
  std::vector<std::string> filters;
  std::string query_string;
};
SearchText classify_text(std::string_view text);
// Splits at whitespace outside quotes, (), [] and {} (escapes kept).
std::vector<std::string> split_clauses(std::string_view text);

// The POST /v1/indexes/{index}/search body for a kSearch or kJson line.
// A JSON line is passed through; `size` and `explain` are added from the
// settings when the body does not set them.
Result<Json> build_request(const ParsedLine& line, const Settings& settings);

// "42", "0" -> number; anything else is an error naming `what`.
Result<size_t> parse_count(std::string_view text, const std::string& what, size_t max);

std::string trim(std::string_view s);

}  // namespace meridian::cli::shell

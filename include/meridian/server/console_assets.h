// The web console's files (console/ in the source tree), compiled into the
// binary by scripts/embed_assets.py and served by `meridian serve`:
// GET / (for a browser; routes_compat.cpp hands it over) answers the page,
// /_console/<path> each file.
//
// The table is immutable static data: any thread may read it; nothing owns
// or frees it. Content types come from the file's extension
// (console_content_type); a file whose extension has none is a build
// mistake that tests/server/console_assets_test.cpp catches.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace meridian::server {

// One generated entry (console_files.cpp, built from console/).
struct ConsoleFile {
  std::string_view path;  // "/_console/app.js", "/_console/third_party/leaflet/leaflet.js"
  std::string_view body;  // the file's bytes
  std::string_view etag;  // "\"<20 hex of SHA-256>\"", quoted as HTTP wants it
};
extern const ConsoleFile kConsoleFiles[];
extern const size_t kConsoleFileCount;

// The page a browser gets at GET /.
inline constexpr std::string_view kConsolePage = "/_console/index.html";

struct ConsoleAsset {
  std::string_view path;
  std::string_view body;
  std::string_view etag;
  std::string_view content_type;  // "" when the extension has none (a build mistake)
};

// Every file, in path order.
std::span<const ConsoleAsset> console_assets();

// The file served at `path` (a request path, no query string), or nullptr.
const ConsoleAsset* find_console_asset(std::string_view path);

// "text/html; charset=utf-8" for ".html", ... ; "" for an unknown extension.
std::string_view console_content_type(std::string_view path);

}  // namespace meridian::server

#include "meridian/server/console_assets.h"

#include <algorithm>
#include <vector>

namespace meridian::server {
namespace {

constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".png", "image/png"},
    {".svg", "image/svg+xml"},
    {"/LICENSE", "text/plain; charset=utf-8"},
};

}  // namespace

std::string_view console_content_type(std::string_view path) {
  for (const auto& [suffix, type] : kTypes)
    if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) return type;
  return {};
}

std::span<const ConsoleAsset> console_assets() {
  static const std::vector<ConsoleAsset> assets = [] {
    std::vector<ConsoleAsset> v;
    for (size_t i = 0; i < kConsoleFileCount; ++i) {
      const ConsoleFile& f = kConsoleFiles[i];
      v.push_back({f.path, f.body, f.etag, console_content_type(f.path)});
    }
    std::sort(v.begin(), v.end(), [](const ConsoleAsset& a, const ConsoleAsset& b) { return a.path < b.path; });
    return v;
  }();
  return assets;
}

const ConsoleAsset* find_console_asset(std::string_view path) {
  auto all = console_assets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const ConsoleAsset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

}  // namespace meridian::server

#include "meridian/server/console_assets.h"

#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <string>

#include "meridian/server/route_table.h"

using namespace meridian::server;

namespace {

// The /_console/... references of a text: src="...", href="...", url(...)
// and quoted "/_console/..." strings in scripts.
std::set<std::string> references(std::string_view text) {
  std::set<std::string> out;
  static const std::regex attr(R"re((?:src|href)="([^"]*)")re");
  static const std::regex quoted(R"re(["'](/_console/[^"']*)["'])re");
  std::string s(text);
  for (const auto* re : {&attr, &quoted})
    for (auto it = std::sregex_iterator(s.begin(), s.end(), *re); it != std::sregex_iterator(); ++it)
      out.insert((*it)[1].str());
  return out;
}

// The directory part of a URL path: "/_console/a/b.css" → "/_console/a/".
std::string dir_of(std::string_view path) { return std::string(path.substr(0, path.rfind('/') + 1)); }

}  // namespace

TEST_CASE("console assets: every file has a content type, a body, a quoted ETag and a public route") {
  auto all = console_assets();
  REQUIRE(all.size() >= 10);
  std::set<std::string_view> seen;
  for (const auto& a : all) {
    CAPTURE(a.path);
    CHECK(seen.insert(a.path).second);
    CHECK(a.path.rfind("/_console/", 0) == 0);
    CHECK_FALSE(a.content_type.empty());
    CHECK_FALSE(a.body.empty());
    CHECK(a.etag.size() == 22);
    CHECK(a.etag.front() == '"');
    CHECK(find_console_asset(a.path) == &a);
    RouteInfo info = classify_route("GET", a.path);
    CHECK(info.match == RouteMatch::kFound);
    CHECK_FALSE(info.needs_auth);
  }
  CHECK(find_console_asset("/_console/nope.js") == nullptr);
  CHECK(find_console_asset("/_console/") == nullptr);
  CHECK(find_console_asset("") == nullptr);
}

TEST_CASE("console assets: content types follow the extension; an unknown one has none") {
  CHECK(console_content_type("/_console/index.html") == "text/html; charset=utf-8");
  CHECK(console_content_type("/_console/app.js") == "text/javascript; charset=utf-8");
  CHECK(console_content_type("/_console/app.css") == "text/css; charset=utf-8");
  CHECK(console_content_type("/_console/third_party/world-atlas/countries-110m.json") == "application/json");
  CHECK(console_content_type("/_console/third_party/leaflet/images/layers.png") == "image/png");
  CHECK(console_content_type("/_console/third_party/leaflet/LICENSE") == "text/plain; charset=utf-8");
  CHECK(console_content_type("/_console/font.woff2").empty());
  CHECK(console_content_type("/_console/js").empty());
}

TEST_CASE("console assets: the page, its scripts and stylesheets reference only files that exist") {
  const ConsoleAsset* page = find_console_asset(kConsolePage);
  REQUIRE(page);
  auto refs = references(page->body);
  CHECK(refs.count("/_console/app.js") == 1);
  CHECK(refs.count("/_console/third_party/leaflet/leaflet.js") == 1);
  size_t checked = 0;
  for (const auto& a : console_assets()) {
    if (a.content_type.find("javascript") == std::string_view::npos && a.content_type.find("html") == std::string_view::npos &&
        a.content_type.find("css") == std::string_view::npos)
      continue;
    std::string text(a.body);
    for (const auto& r : references(a.body)) {
      if (r.rfind("data:", 0) == 0 || r.rfind("#", 0) == 0) continue;  // inline, or a fragment
      CAPTURE(a.path);
      CAPTURE(r);
      CHECK(r.rfind("/_console/", 0) == 0);  // absolute, on this server
      CHECK(find_console_asset(r) != nullptr);
      ++checked;
    }
    // Stylesheets: url(relative) resolves against the sheet's directory.
    if (a.content_type.find("css") != std::string_view::npos) {
      static const std::regex url(R"re(url\(([^)#"']+)\))re");
      for (auto it = std::sregex_iterator(text.begin(), text.end(), url); it != std::sregex_iterator(); ++it) {
        std::string target = dir_of(a.path) + (*it)[1].str();
        CAPTURE(target);
        CHECK(find_console_asset(target) != nullptr);
        ++checked;
      }
    }
  }
  CHECK(checked >= 12);
}

TEST_CASE("console routes: the page and the files are public; other methods on / are not") {
  for (const char* p : {"/", "/_console/app.js", "/_console/third_party/leaflet/leaflet.css",
                        "/_console/third_party/leaflet/images/layers.png"}) {
    CAPTURE(p);
    RouteInfo info = classify_route("GET", p);
    CHECK(info.match == RouteMatch::kFound);
    CHECK_FALSE(info.needs_auth);
    CHECK(info.index.empty());
  }
  RouteInfo post = classify_route("POST", "/_console/app.js");
  CHECK(post.match == RouteMatch::kWrongMethod);
  CHECK(post.needs_auth);
}

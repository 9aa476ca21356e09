// The web console (console/, compiled in; include/meridian/server/console_assets.h):
//   GET /                                              the page, for a browser (console_root_, called by
//                                                      the compatible API's GET / when Accept names text/html)
//   GET /_console/{file}                               the console's own files
//   GET /_console/third_party/{package}/{file}         vendored Leaflet, topojson-client, world-atlas
//   GET /_console/third_party/{package}/images/{file}  Leaflet's images
// Public (no key): the page asks for a key and sends it with its API calls.
#include "meridian/server/console_assets.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

// Strict enough that the page can reach nothing but this server.
constexpr const char* kCsp =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

void send_asset(const ConsoleAsset& a, const httplib::Request& req, httplib::Response& res) {
  res.set_header("ETag", std::string(a.etag));
  res.set_header("Cache-Control", "no-cache");  // revalidate: a new binary may serve new files
  res.set_header("X-Content-Type-Options", "nosniff");
  if (a.path == kConsolePage) res.set_header("Content-Security-Policy", kCsp);
  if (req.get_header_value("If-None-Match") == a.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::string(a.body), std::string(a.content_type));
}

}  // namespace

void ServerImpl::install_console_routes() {
  // GET / is the compatible API's (routes_compat.cpp): it hands a browser
  // (wants_html) to this hook and answers other clients the cluster info.
  console_root_ = [](const httplib::Request& req, httplib::Response& res) {
    if (const ConsoleAsset* page = find_console_asset(kConsolePage)) send_asset(*page, req, res);
  };
  auto file = [](const httplib::Request& req, httplib::Response& res) {
    const ConsoleAsset* a = find_console_asset(req.path);
    if (!a) {
      send_error(res, 404, "no console file " + req.path, Json(Json::Object{{"path", Json(req.path)}}));
      return;
    }
    send_asset(*a, req, res);
  };
  route("GET", "/_console/{file}", file);
  route("GET", "/_console/third_party/{package}/{file}", file);
  route("GET", "/_console/third_party/{package}/images/{file}", file);
}

}  // namespace meridian::server

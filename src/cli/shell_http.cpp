#include "shell_http.h"

namespace meridian::cli {

Status check_url(const std::string& url) {
  if (url.rfind("https://", 0) == 0) return Status::invalid("--url: https is not supported, use http://");
  if (url.rfind("http://", 0) != 0) return Status::invalid("--url: expected http://HOST:PORT, got '" + url + "'");
  std::string rest = url.substr(7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos)
    return Status::invalid("--url: expected http://HOST:PORT without a path, got '" + url + "'");
  return Status::ok();
}

std::unique_ptr<httplib::Client> make_client(const std::string& url, const std::string& key, int timeout_s) {
  std::string base = url;
  if (!base.empty() && base.back() == '/') base.pop_back();
  auto c = std::make_unique<httplib::Client>(base);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(timeout_s, 0);
  c->set_write_timeout(timeout_s, 0);
  c->set_keep_alive(true);
  // httplib writes a request's head and body in two send()s; with Nagle on,
  // the body waits for the ACK of the head, which the server delays ~40 ms.
  c->set_tcp_nodelay(true);
  if (!key.empty()) c->set_bearer_token_auth(key.c_str());
  return c;
}

Result<Json> json_result(const httplib::Result& r, const std::string& url) {
  if (!r) return Status::io_error("cannot reach " + url + ": " + httplib::to_string(r.error()));
  int code = r->status;
  auto body = parse_json(r->body);
  if (code >= 200 && code < 300) {
    if (!body) return Status::io_error(url + ": malformed JSON answer: " + body.status().message());
    return std::move(*body);
  }
  std::string reason = "HTTP " + std::to_string(code);
  if (body) {
    if (const Json* e = body->find("error"))
      if (const Json* rs = e->find("reason"); rs && rs->is_string()) reason = rs->as_string();
  }
  if (code == 404) return Status::not_found(reason);
  if (code == 409) return Status::exists(reason);
  if (code == 413) return Status::too_large(reason);
  if (code == 429 || code == 503) return Status::busy(reason);
  if (code >= 500) return Status::io_error(reason);
  return Status::invalid(reason);
}

std::string url_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace meridian::cli

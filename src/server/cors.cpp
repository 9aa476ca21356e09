#include "meridian/server/cors.h"

namespace meridian::server {

Result<CorsPolicy> CorsPolicy::parse(std::string_view spec) {
  CorsPolicy p;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view o = spec.substr(pos, comma - pos);
    while (!o.empty() && o.front() == ' ') o.remove_prefix(1);
    while (!o.empty() && o.back() == ' ') o.remove_suffix(1);
    while (!o.empty() && o.back() == '/') o.remove_suffix(1);  // "https://a.com/" is the origin https://a.com
    pos = comma + 1;
    if (o.empty()) continue;
    if (o == "*") {
      p.any_ = true;
      continue;
    }
    size_t scheme = o.find("://");
    bool ok = scheme != std::string_view::npos && scheme > 0 && o.size() > scheme + 3 &&
              o.find('/', scheme + 3) == std::string_view::npos;
    if (ok) {
      std::string_view s = o.substr(0, scheme);
      for (char c : s) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.');
    }
    if (!ok)
      return Status::invalid("--cors-origin: expected '*' or origins like https://app.example.com[:port], got '" +
                             std::string(o) + "'");
    p.origins_.emplace_back(o);
  }
  return p;
}

std::optional<std::string> CorsPolicy::allow_origin(std::string_view origin) const {
  if (origin.empty()) return std::nullopt;
  if (any_) return std::string("*");
  for (const auto& o : origins_)
    if (o == origin) return o;
  return std::nullopt;
}

}  // namespace meridian::server

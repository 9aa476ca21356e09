#include "meridian/server/request_check.h"

#include <algorithm>

#include "meridian/query/field_check.h"
#include "meridian/query/search_request.h"
#include "meridian/server/http_error.h"
#include "meridian/server/openapi.h"

namespace meridian::server {

RequestCheck::RequestCheck(std::string_view method, std::string_view pattern)
    : pattern_(pattern), params_(openapi_query_params(method, pattern)) {
  for (size_t p = pattern.find('{'); p != std::string_view::npos; p = pattern.find('{', p + 1)) {
    size_t e = pattern.find('}', p);
    if (e == std::string_view::npos) break;
    placeholders_.emplace_back(pattern.substr(p + 1, e - p - 1));
  }
}

std::string RequestCheck::describe(const std::string& placeholder) const {
  if (placeholder == "id" && pattern_.find("/docs/{id}") != std::string::npos) return "document id";
  if (placeholder == "id" && pattern_.find("/keys/{id}") != std::string::npos) return "key id";
  if (placeholder == "index") return "index name";
  if (placeholder == "name") return "source name";
  return placeholder;
}

Status RequestCheck::check(const std::vector<std::string_view>& segments,
                           const std::multimap<std::string, std::string>& params, std::string* path,
                           size_t* column) const {
  *column = 0;
  for (size_t i = 0; i < segments.size() && i < placeholders_.size(); ++i) {
    if (size_t col = invalid_utf8_offset(segments[i])) {
      *path = placeholders_[i];
      *column = col;
      return Status::invalid(describe(placeholders_[i]) + ": invalid UTF-8 at byte " + std::to_string(col) +
                             " (after percent-decoding the path)");
    }
  }
  for (const auto& [k, v] : params) {
    if (std::find(params_.begin(), params_.end(), k) != params_.end()) continue;
    *path = k;
    std::string hint = query::did_you_mean(k, params_, query::search_key_aliases());
    if (hint.empty()) {
      std::string list;
      for (const auto& p : params_) list += (list.empty() ? "" : ", ") + p;
      hint = list.empty() ? " (this route takes no query parameters)" : " (expected one of: " + list + ")";
    }
    return Status::invalid("unknown parameter '" + k + "'" + hint);
  }
  return Status::ok();
}

}  // namespace meridian::server

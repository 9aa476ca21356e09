// RequestCheck: what every /v1 route checks before its handler runs, from
// its path template and the OpenAPI document (the one declaration of its
// query parameters):
// - each path placeholder ({index}, {id}, {alias}, ...) is valid UTF-8 once
//   percent-decoded (`PUT docs/%FF` is a 400 "document id: invalid UTF-8",
//   never an id nobody can fetch back);
// - each query parameter is one the route declares; anything else is a 400
//   naming it with the closest declared one ("unknown parameter 'refersh'
//   (did you mean 'refresh'?)"), so a typo is never silently ignored.
//
// Immutable after construction; check() is safe from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::server {

class RequestCheck {
 public:
  // `method` "GET", "POST", ...; `pattern` a route template.
  RequestCheck(std::string_view method, std::string_view pattern);

  // `segments`: the decoded placeholder values, in template order (httplib's
  // req.matches[1..]); `params`: the decoded query parameters. On a problem,
  // returns Status::invalid and sets *path to the offending name ("id",
  // "refersh") and *column to the 1-based byte of bad UTF-8 (else 0).
  Status check(const std::vector<std::string_view>& segments,
               const std::multimap<std::string, std::string>& params, std::string* path, size_t* column) const;

  const std::vector<std::string>& placeholders() const { return placeholders_; }
  const std::vector<std::string>& params() const { return params_; }

 private:
  std::string describe(const std::string& placeholder) const;

  std::string pattern_;
  std::vector<std::string> placeholders_;  // "index", "id", ... in order
  std::vector<std::string> params_;        // declared query parameters
};

}  // namespace meridian::server

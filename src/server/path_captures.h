// PathCaptures: std::regex_match for the route regexes route_regex() writes,
// without the regex engine (src/server, internal).
//
// A route like /v1/indexes/([^/]+)/search has its literal ends tested by the
// lean GET path (lean_get.cpp); what lies between, "([^/]+)" here, was
// matched with std::regex_match, which costs ~1,500 instructions per
// character of the index name (about 10,000 of a 60,000-instruction search
// request). A middle made only of `([^/]+)` and `([^/_][^/]*)` groups and
// literal text (each literal after a group starting with '/') has exactly one
// way to match: each group runs to the next '/'. PathCaptures matches such a
// middle by that rule and fills the std::smatch the handlers read
// (req.matches[1], [2], ...) with what std::regex_match would put there.
//
// Immutable after compile(); match() may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::server {

class PathCaptures {
 public:
  // nullopt when `middle` is not of the form above (then keep the regex).
  static std::optional<PathCaptures> compile(std::string_view middle);

  // Whether s[begin, end) matches the middle; on a match, *m holds what
  // std::regex_match(s.cbegin() + begin, s.cbegin() + end, *m, middle) holds:
  // [0] the whole range, [1..] the groups, an empty unmatched prefix and
  // suffix (m->position() is not meaningful: nothing reads it). On no match
  // *m is left as it was.
  bool match(const std::string& s, size_t begin, size_t end, std::smatch* m) const;

  size_t groups() const { return groups_; }

 private:
  struct Part {
    bool group = false;
    bool no_underscore_first = false;  // ([^/_][^/]*)
    std::string literal;
  };
  std::vector<Part> parts_;
  size_t groups_ = 0;
  // A successful std::regex_match of the middle against sample_: the shape
  // (groups + 1 sub-matches and the extra three) that match() copies and
  // then points into the request's path.
  std::shared_ptr<const std::string> sample_;
  std::smatch shape_;
};

}  // namespace meridian::server

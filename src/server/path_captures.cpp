#include "path_captures.h"

#include <memory>

namespace meridian::server {
namespace {

constexpr std::string_view kAny = "([^/]+)";
constexpr std::string_view kNoUnderscore = "([^/_][^/]*)";
constexpr std::string_view kMeta = "()[]{}.*+?^$|\\";

}  // namespace

std::optional<PathCaptures> PathCaptures::compile(std::string_view middle) {
  PathCaptures pc;
  std::string sample;
  size_t pos = 0;
  while (pos < middle.size()) {
    std::string_view rest = middle.substr(pos);
    Part p;
    if (rest.starts_with(kAny) || rest.starts_with(kNoUnderscore)) {
      // Two groups in a row could split a segment more than one way.
      if (!pc.parts_.empty() && pc.parts_.back().group) return std::nullopt;
      p.group = true;
      p.no_underscore_first = rest.starts_with(kNoUnderscore);
      pos += p.no_underscore_first ? kNoUnderscore.size() : kAny.size();
      ++pc.groups_;
      sample += 'x';
    } else {
      size_t end = middle.find_first_of(kMeta, pos);
      if (end == pos) return std::nullopt;  // regex syntax of another kind
      if (end == std::string_view::npos) end = middle.size();
      p.literal = std::string(middle.substr(pos, end - pos));
      // After a group, a literal must start where the group must stop.
      if (!pc.parts_.empty() && pc.parts_.back().group && p.literal.front() != '/') return std::nullopt;
      pos = end;
      sample += p.literal;
    }
    pc.parts_.push_back(std::move(p));
  }
  if (pc.groups_ == 0) return std::nullopt;
  auto owned = std::make_shared<const std::string>(std::move(sample));
  std::regex re{std::string(middle)};
  if (!std::regex_match(owned->cbegin(), owned->cend(), pc.shape_, re) || pc.shape_.size() != pc.groups_ + 1)
    return std::nullopt;
  pc.sample_ = std::move(owned);
  return pc;
}

bool PathCaptures::match(const std::string& s, size_t begin, size_t end, std::smatch* m) const {
  std::string_view v(s.data() + begin, end - begin);
  size_t spans[16][2];
  if (groups_ > 16) return false;
  size_t pos = 0, g = 0;
  for (const Part& p : parts_) {
    if (!p.group) {
      if (v.substr(pos, p.literal.size()) != p.literal) return false;
      pos += p.literal.size();
      continue;
    }
    if (pos >= v.size() || v[pos] == '/' || (p.no_underscore_first && v[pos] == '_')) return false;
    size_t stop = v.find('/', pos);
    if (stop == std::string_view::npos) stop = v.size();
    spans[g][0] = pos;
    spans[g][1] = stop;
    ++g;
    pos = stop;
  }
  if (pos != v.size()) return false;
  // The shape's elements are the match_results' own (non-const) objects:
  // their iterators are repointed from the sample to s, as regex_match sets
  // them (unmatched, prefix and suffix empty at the range's ends).
  *m = shape_;
  const auto at = [&](size_t i) { return s.cbegin() + static_cast<std::ptrdiff_t>(begin + i); };
  auto set = [](const std::ssub_match& cref, std::string::const_iterator a, std::string::const_iterator b, bool matched) {
    auto& sm = const_cast<std::ssub_match&>(cref);
    sm.first = a;
    sm.second = b;
    sm.matched = matched;
  };
  set((*m)[0], at(0), at(v.size()), true);
  for (size_t i = 0; i < groups_; ++i) set((*m)[i + 1], at(spans[i][0]), at(spans[i][1]), true);
  set((*m)[groups_ + 1], at(v.size()), at(v.size()), false);  // the unmatched sub-match
  set(m->prefix(), at(0), at(0), false);
  set(m->suffix(), at(v.size()), at(v.size()), false);
  return true;
}

}  // namespace meridian::server

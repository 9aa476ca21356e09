// Query-time synonym spans: the longest entry at each position wins.
#include "synonyms.h"

#include <algorithm>

namespace meridian::query {

std::vector<SynonymSpan> find_synonyms(const std::vector<std::string>& words, const index::SynonymSettings& s) {
  std::vector<SynonymSpan> out;
  for (size_t i = 0; i < words.size();) {
    SynonymSpan span{i, i + 1, {}};
    size_t longest = std::min(s.max_words, words.size() - i);
    for (size_t n = longest; n >= 1 && !s.lookup.empty(); --n) {
      std::string entry = words[i];
      for (size_t k = 1; k < n; ++k) entry += " " + words[i + k];
      auto it = s.lookup.find(entry);
      if (it == s.lookup.end()) continue;
      span.end = i + n;
      span.alternatives = it->second;
      break;
    }
    i = span.end;
    out.push_back(std::move(span));
  }
  return out;
}

}  // namespace meridian::query

// Stopwords: per-language sets of case-folded words, embedded in the binary
// from src/analysis/stopwords/<lang>.txt (see the README there for sources
// and licence). The sets are built once, on first use, and live for the
// whole process; lookups are const and safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace meridian::analysis {

class StopwordSet {
 public:
  // Each word is case folded (folding.h) on the way in, so that the German
  // list's "daß" matches the token "dass".
  explicit StopwordSet(std::string_view newline_separated_words);
  bool contains(std::string_view folded_word) const { return words_.find(folded_word) != words_.end(); }
  size_t size() const { return words_.size(); }
  const auto& words() const { return words_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_set<std::string, Hash, std::equal_to<>> words_;
};

// The set for an ISO 639-1 code, or nullptr when there is no list.
const StopwordSet* stopwords_for(std::string_view language);

// Codes that have a list, sorted.
std::vector<std::string> stopword_languages();

}  // namespace meridian::analysis

// Internal to the query module: finding the synonyms of a q search's words
// (index::SynonymSettings) at query time.
//
// Stateless; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "meridian/index/index_settings.h"

namespace meridian::query {

// Words [begin, end) of the query and what they also match (entries of one
// or more words, separated by spaces); `alternatives` is empty for a word
// without synonyms.
struct SynonymSpan {
  size_t begin = 0;
  size_t end = 0;
  std::vector<std::string> alternatives;
};

// Splits `words` (folded, as index::fold_words folds) into spans, left to
// right, each the longest sequence of words that is a synonym entry, else
// one word. Spans cover every word, in order.
std::vector<SynonymSpan> find_synonyms(const std::vector<std::string>& words, const index::SynonymSettings& s);

}  // namespace meridian::query

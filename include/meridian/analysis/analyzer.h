// Analyzer: turns the text of one field into the terms that are indexed, and
// a query term into the same form. The pipeline (docs/ANALYSIS.md):
//
//   ICU word break (UAX #29 + dictionaries for CJK/Thai/Lao/Khmer/Burmese)
//   → NFKC case fold → elision (fr, it, ca, ga: l'homme → homme)
//   → stopwords (optional) → Snowball stem (optional)
//   → accent fold (optional) → cut at kMaxTokenBytes
//
// A `keyword` analyzer skips the word break, stopwords and stemming: the whole
// value becomes one case-folded (and optionally accent-folded) token.
//
// Ownership: an Analyzer is created once per field configuration and shared
// (shared_ptr<const Analyzer>). It is immutable after create(); analyze() and
// normalize_term() may be called from any number of threads at once. The
// per-call scratch (ICU break iterator, Snowball stemmers, buffers) lives in
// thread_local caches, so the hot path takes no lock and allocates nothing
// beyond the output tokens (whose strings are reused when *out is reused).
#pragma once

#include <cstdint>
#include <span>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::analysis {

class StopwordSet;

// Longest token kept, in bytes of UTF-8; longer tokens are cut at the last
// code point boundary that fits. The offsets still span the whole word.
inline constexpr size_t kMaxTokenBytes = 255;
// Texts longer than this are analyzed only up to it (offsets are 32-bit and
// ICU indexes with int32_t).
inline constexpr size_t kMaxTextBytes = 0x7fffffff;

struct Token {
  std::string text;   // normalized term, valid UTF-8, 1..kMaxTokenBytes bytes
  uint32_t position;  // word index; removed stopwords leave a gap
  uint32_t start;     // byte offset of the word in the original input
  uint32_t end;       // one past its last byte: input.substr(start, end - start)
  friend bool operator==(const Token&, const Token&) = default;
};

struct AnalyzerConfig {
  std::string language = "en";  // ISO 639-1 code ("en", "fr", "zh", ...) or "none"
  bool stem = true;             // Snowball stemming, when `language` has a stemmer (else none)
  bool stopwords = false;       // drop the language's stopwords (positions kept)
  bool fold_accents = true;     // Ångström → angstrom after case folding
  bool keyword = false;         // whole value as one token

  // Keys: language, stem, stopwords, fold_accents, keyword; all optional.
  // Unknown keys and wrong types are InvalidArgument naming the key.
  static Result<AnalyzerConfig> from_json(const Json& j);
  Json to_json() const;
  friend bool operator==(const AnalyzerConfig&, const AnalyzerConfig&) = default;
};

class Analyzer {
 public:
  // InvalidArgument (naming the key) when the language code is malformed, or
  // stopwords are asked for a language that has no list. A language without
  // a Snowball stemmer is not stemmed ("stem" is then moot, not an error);
  // "none" never stems nor drops stopwords.
  static Result<std::shared_ptr<const Analyzer>> create(const AnalyzerConfig& cfg);

  const AnalyzerConfig& config() const { return cfg_; }

  // Replaces *out with the tokens of `text`; positions start at
  // first_position. Invalid UTF-8 is read as U+FFFD; never fails.
  void analyze(std::string_view text, std::vector<Token>* out, uint32_t first_position = 0) const;
  // The same, and *surfaces parallel to *out: each token's word folded like
  // the token (case, accents, elision) but not stemmed, or "" when that is
  // the token's text itself (no stemmer, or the stem is the word). The index
  // keeps these surface words for typo tolerance (index/surface_words.h).
  void analyze(std::string_view text, std::vector<Token>* out, uint32_t first_position,
               std::vector<std::string>* surfaces) const;

  // One query term normalized like an indexed token (case fold, stem if both
  // `stem` and the config say so, accent fold, length cap), without word
  // breaking or stopword removal. May return "" for input with no content.
  std::string normalize_term(std::string_view term, bool stem = true) const;

  // Whether a case-folded term is one of this analyzer's stopwords (false
  // when stopwords are off). Lets the query layer drop them like the indexer.
  bool is_stopword(std::string_view folded_term) const;

  Analyzer(const AnalyzerConfig& cfg, int stemmer_id, const StopwordSet* stop)
      : cfg_(cfg), stemmer_id_(stemmer_id), stop_(stop),
        fold_first_(cfg.fold_accents && stemmer_id >= 0 && cfg.language == "en") {}

 private:
  void analyze_keyword(std::string_view text, std::vector<Token>* out, uint32_t first_position) const;
  // Normalizes one word into *out; false if it is a stopword.
  // *surface (when given): the unstemmed folded word, "" if equal to *out.
  bool normalize_word(std::string_view word, bool stem, std::string* out, std::string* surface = nullptr) const;

  AnalyzerConfig cfg_;
  int stemmer_id_;           // -1: no stemming
  const StopwordSet* stop_;  // nullptr: keep all words; static storage
  // Elided prefixes ("l", "qu", ...) stripped before "'" for fr/it/ca/ga;
  // empty for other languages. Static storage; set once by create().
  std::span<const std::string_view> elisions_;
  // English: fold accents before stemming. Its Snowball rules are ASCII
  // only, so an accented word ("Ünïcödé") stemmed first kept its ending
  // ("unicode") where the plain spelling lost it ("unicod").
  bool fold_first_;
};

// ISO 639-1 codes with a Snowball stemmer, sorted.
std::vector<std::string> stemmer_languages();

}  // namespace meridian::analysis

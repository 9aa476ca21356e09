// Stemming: Snowball algorithms (libstemmer) chosen by ISO 639-1 code.
//
// libstemmer's stemmers are not thread-safe, so each thread keeps its own,
// created on first use in a thread_local table indexed by stemmer id and
// freed when the thread exits. The hot path is an array lookup: no lock.
// All functions may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meridian::analysis {

// Stemmer id for an ISO 639-1 code ("en", "nb" and "nn" → Norwegian), or -1
// when libstemmer has no algorithm for it.
int stemmer_id(std::string_view language);

// The Snowball algorithm name behind an id ("english").
std::string_view stemmer_algorithm(int id);

// Replaces *out with the stem of a case-folded UTF-8 word. An invalid id or
// a stemmer that cannot be created leaves the word unchanged. Results of
// short words are memoized per thread (8192 slots per language, 384 KiB).
void stem_word(int id, std::string_view word, std::string* out);

// The same with a fresh stemmer and no memo: slow; the tests' oracle.
void stem_word_uncached(int id, std::string_view word, std::string* out);

// ISO 639-1 codes with a stemmer, sorted (aliases excluded).
std::vector<std::string> stemmer_languages();

}  // namespace meridian::analysis

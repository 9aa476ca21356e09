// Word breaking: the UAX #29 word boundaries of a UTF-8 text, by ICU's word
// BreakIterator (rule based, with ICU's dictionaries for Chinese, Japanese,
// Thai, Lao, Khmer and Burmese). Only segments whose rule status says word,
// number, letter, kana or ideograph are kept: spaces, punctuation, symbols
// and emoji are dropped.
//
// Pure-ASCII texts (most English text) take a fast path with the same
// result: for ASCII, UAX #29 reduces to "letters and digits join; a
// MidLetter character joins two letters, a MidNum character two digits".
// Which ASCII punctuation is MidLetter or MidNum is not hard-coded: it is
// read from the ICU iterator itself once (so a newer ICU's tailoring is
// followed), and any character whose behaviour is outside that model (like
// '_', which joins words on its own) sends the text to ICU.
//
// Thread safety: break_words() may be called from any thread; each thread
// owns one ICU iterator (thread_local), created on first use.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace meridian::analysis {

struct WordSpan {
  uint32_t start;  // byte offsets into the text given to break_words
  uint32_t end;
};

// Replaces *out with the word spans of `text` in order. Invalid UTF-8 is read
// as U+FFFD (which is not a word). Texts longer than kMaxTextBytes are cut.
void break_words(std::string_view text, std::vector<WordSpan>* out);

namespace detail {
// The two paths of break_words, for tests that compare them.
void break_words_icu(std::string_view text, std::vector<WordSpan>* out);
// False (and *out unspecified) when `text` is not for the fast path.
bool break_words_ascii(std::string_view text, std::vector<WordSpan>* out);
}  // namespace detail

}  // namespace meridian::analysis

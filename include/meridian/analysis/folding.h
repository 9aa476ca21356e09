// Folding: the character-level normalizations of the analysis pipeline, on
// UTF-8 strings. Stateless free functions; safe from any thread (ICU
// normalizers are immutable singletons, scratch buffers are thread_local).
// Invalid UTF-8 in the input is replaced by U+FFFD, so outputs are always
// valid UTF-8. Pure-ASCII input takes a fast path that never touches ICU.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace meridian::analysis {

// Replaces *out with NFKC_Casefold(in) (ICU nfkc_cf: lower case, ß → ss,
// final sigma → σ, full-width → ASCII, ligatures split, default-ignorables
// removed), with the typographic apostrophes U+2018/U+2019 mapped to '.
void case_fold(std::string_view in, std::string* out);

// Replaces *out with `in` without accents: NFD, nonspacing marks that follow
// a Latin or Greek letter removed, NFC again; plus letters that carry their
// "accent" inside (æ → ae, ø → o, đ/ð → d, ł → l, þ → th, œ → oe, ı → i,
// ħ → h, ŧ → t, ß → ss). Other scripts (Cyrillic й, Devanagari, Thai, Arabic
// vowel signs, ...) are left alone: their marks are part of the spelling.
void fold_accents(std::string_view in, std::string* out);

// Length of the longest prefix of `s` that is at most max_bytes long and does
// not end inside a UTF-8 sequence (cuts before a lead byte).
size_t utf8_prefix(std::string_view s, size_t max_bytes);

}  // namespace meridian::analysis

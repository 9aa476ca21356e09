// Surface words: a segment's dictionary of the words as people type them.
// For every text field, each folded (case, accents, elision) but unstemmed
// word of the segment's documents, mapped to its stem, the term the word was
// indexed under. Typo tolerance measures edit distances on these words, not
// on stems (a one-letter typo of "constitution" is three edits from its stem
// "constitut"), then searches the documents of the stems they map to.
//
// Stored as the optional segment file seg-<id>.words (docs/FORMAT.md,
// "Surface words"): a term dictionary (termdict's MTRM format) whose keys are
//   <field> \0 <word> \0 <stem>      (stem empty when the word is its own stem)
// and whose values are 0 (reserved). For one field, the words read in key
// order (cut at their second \0) ascend strictly, since a word has one stem:
// the automaton walk runs over them as over any sorted term source.
// Segments written before the file existed have none; the query layer then
// falls back to expansion over the stems.
//
// Word postings: two words of one stem ("address", "addressing") share the
// stem's postings; word postings tell which of them a document holds, so
// that a typo is counted against the word the document has, not against its
// stem. For every word of a stem with two or more words in the segment (an
// "itemized" stem, value kWordItemized in the file; 0 otherwise), the term
// dictionary holds the documents of that word under the reserved field
// "_word" (docs only):
//   _word \0 <field> \0 <word>
// and the marker term "_word\0" lists the documents whose words are so
// indexed (every document of a segment built since; merges keep the union).
// A stem with one word in the segment has no word postings: its documents
// all hold that word.
//
// Thread safety: free functions over immutable readers; any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"
#include "meridian/termdict/automaton.h"
#include "meridian/termdict/term_dict_reader.h"

namespace meridian::index {

// Segment file extension of the surface words (not in kSegmentExts: optional).
inline constexpr std::string_view kWordsExt = "words";

// The term key of the documents holding `word` in `field`, and the key of
// the marker term (the documents whose words are indexed).
std::string word_docs_key(std::string_view field, std::string_view word);
inline constexpr std::string_view kWordDocsMarker{"_word\0", 6};

// "<field>\0<word>\0<stem>", with an empty stem when stem == word.
std::string surface_key(std::string_view field, std::string_view word, std::string_view stem);

// A key's parts (views into key); false when key is not a surface key.
struct SurfaceEntry {
  std::string_view field, word, stem;  // stem: never empty (the word itself when so stored)
};
bool parse_surface_key(std::string_view key, SurfaceEntry* out);

// The value of a word whose stem has two or more words in the segment.
inline constexpr uint64_t kWordItemized = 1;

// A word whose stem has two or more words in its field: a word that gets
// word postings.
struct ItemizedWord {
  std::string docs_key;  // word_docs_key(field, word)
  std::string field, word, stem;
};

// The framed words file of `keys` (surface_key()s, any order, duplicates
// allowed; sorted and deduplicated in place), each valued kWordItemized or 0;
// with `itemized`, also its itemized words, in word_docs_key order.
Result<std::string> build_surface_words(std::vector<std::string>* keys, std::vector<ItemizedWord>* itemized = nullptr);

// Every surface word of `field` accepted by `a`, in word order, at most
// `limit`: fn(word, stem, a.match_value(state)) returns false to stop.
// Corruption of the file is returned.
Status walk_surface_words(const termdict::TermDictReader& words, std::string_view field, const termdict::Automaton& a,
                          size_t limit,
                          const std::function<bool(std::string_view word, std::string_view stem, int value)>& fn);

// Every surface word of `field` that starts with `prefix`, in word order, at
// most `limit`: fn(word, stem) returns false to stop. The words, order and
// limit of walk_surface_words over termdict::prefix_automaton(prefix), found
// with one seek and no automaton (the word `prefix` itself, when it is one,
// comes first). Corruption of the file is returned.
Status walk_surface_prefix(const termdict::TermDictReader& words, std::string_view field, std::string_view prefix,
                           size_t limit, const std::function<bool(std::string_view word, std::string_view stem)>& fn);

// Whether `word` is a surface word of `field`; its stem in *stem, and
// whether that stem is itemized (has word postings) in *itemized, when so.
Result<bool> find_surface_word(const termdict::TermDictReader& words, std::string_view field, std::string_view word,
                               std::string* stem, bool* itemized = nullptr);

}  // namespace meridian::index

// Expansion of one word over surface words (or terms, for old segments).
#include "word_expansion.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "meridian/index/surface_words.h"
#include "meridian/query/word_expansion_stats.h"
#include "meridian/index/term_key.h"
#include "meridian/termdict/levenshtein.h"
#include "meridian/termdict/wildcard.h"
#include "plan.h"

namespace meridian::query::plan {

namespace {

size_t utf8_chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void keep_min(std::map<std::string, int>* out, std::string_view term, int edits) {
  auto [it, fresh] = out->emplace(std::string(term), edits);
  if (!fresh) it->second = std::min(it->second, edits);
}

// A completion (kPrefix) before any typo, after the word itself (0).
int better(int a, int b) { return tier_of(a) <= tier_of(b) ? a : b; }

void keep_word(FoundWords* out, std::string_view stem, std::string_view word, int value) {
  auto& words = (*out)[std::string(stem)];
  auto [it, fresh] = words.emplace(std::string(word), value);
  if (!fresh) it->second = better(it->second, value);
}

}  // namespace

int allowed_edits(const Fuzziness& fz, std::string_view word) {
  if (fz.is_none() || word.empty()) return 0;
  if (fz.exact_numbers && std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  return std::min(fz.edits_for(utf8_chars(word)), termdict::kMaxLevenshteinEdits);
}

WordAutomata::WordAutomata(const WordToExpand& w) : w_(w) {}

Result<const termdict::Automaton*> WordAutomata::fuzzy(std::string_view word, int edits) const {
  if (edits <= 0) return static_cast<const termdict::Automaton*>(nullptr);
  auto it = fuzzy_.find(word);
  if (it != fuzzy_.end()) return &it->second;
  if (frozen_) return Status::internal("no automaton prepared for '" + std::string(word) + "'");
  auto a = termdict::levenshtein_automaton(word, edits, w_.transpositions,
                                           static_cast<size_t>(std::max(0, w_.prefix_length)));
  if (!a) return Status::invalid("fuzzy term '" + std::string(word) + "': " + a.status().message());
  return &fuzzy_.emplace(std::string(word), std::move(*a)).first->second;
}

Result<const termdict::Automaton*> WordAutomata::prefix(std::string_view word) const {
  auto it = prefix_.find(word);
  if (it != prefix_.end()) return &it->second;
  if (frozen_) return Status::internal("no prefix automaton prepared for '" + std::string(word) + "'");
  auto a = termdict::prefix_automaton(word);
  if (!a) return a.status();
  return &prefix_.emplace(std::string(word), std::move(*a)).first->second;
}

Status WordAutomata::prepare_all() {
  const std::string& typed = w_.surface.empty() ? w_.token : w_.surface;
  for (const std::string* form : {&typed, &w_.token, &w_.surface}) {
    if (form->empty()) continue;
    MERIDIAN_RETURN_IF_ERROR(fuzzy(*form, allowed_edits(w_.fuzziness, *form)).status());
  }
  // Completions over surface words need no automaton (walk_surface_prefix);
  // over the terms (a segment without surface words) they walk the token's.
  if (w_.prefix) MERIDIAN_RETURN_IF_ERROR(prefix(w_.token).status());
  frozen_ = true;
  return Status::ok();
}

Status expand_in_segment(const index::Segment& seg, const WordToExpand& w, const WordAutomata& automata,
                         WordExpansion* x) {
  const std::string& typed = w.surface.empty() ? w.token : w.surface;
  const termdict::TermDictReader* words = w.text ? seg.words() : nullptr;
  if (words) {
    std::string stem;
    bool known = false;
    if (w.prefix) {
      // The completions, and the word itself (the first of them when it is
      // a word), in one seek.
      MERIDIAN_RETURN_IF_ERROR(index::walk_surface_prefix(
          *words, w.field, typed, w.max_expansions + 1, [&](std::string_view word, std::string_view word_stem) {
            if (word == typed) {
              known = true;
              stem.assign(word_stem);
            }
            x->completions.emplace(std::string(word_stem), kPrefix);
            keep_word(&x->words, word_stem, word, kPrefix);
            return true;
          }));
    } else {
      MERIDIAN_ASSIGN_OR_RETURN(known, index::find_surface_word(*words, w.field, typed, &stem));
    }
    if (known) {
      x->typed_is_word = true;
      keep_min(&x->fuzzy, stem, 0);
      keep_word(&x->words, stem, typed, 0);
    }
    MERIDIAN_ASSIGN_OR_RETURN(const termdict::Automaton* a, automata.fuzzy(typed, allowed_edits(w.fuzziness, typed)));
    if (a) {
      MERIDIAN_RETURN_IF_ERROR(index::walk_surface_words(
          *words, w.field, *a, 100000, [&](std::string_view word, std::string_view stem, int e) {
            keep_min(&x->fuzzy, stem, e);
            keep_word(&x->words, stem, word, e);
            return true;
          }));
    }
    return Status::ok();
  }
  // No surface words: the stem and the unstemmed form against the terms
  // (the word counts as a word of the field when its stem is a term).
  x->surface_words = false;
  auto own = seg.terms().find(index::term_key(w.field, w.token));
  if (!own) return own.status();
  x->typed_is_word |= own->has_value();
  std::vector<std::string> forms = {w.token};
  if (!w.surface.empty() && w.surface != w.token) forms.push_back(w.surface);
  for (const auto& form : forms) {
    const int e = allowed_edits(w.fuzziness, form);
    if (e == 0) {
      if (form != w.token && !w.fuzziness.is_none()) keep_min(&x->fuzzy, form, 0);
      continue;
    }
    MERIDIAN_ASSIGN_OR_RETURN(const termdict::Automaton* a, automata.fuzzy(form, e));
    MERIDIAN_RETURN_IF_ERROR(expand_terms(seg, w.field, *a, 100000, &x->fuzzy));
  }
  if (w.prefix) {
    MERIDIAN_ASSIGN_OR_RETURN(const termdict::Automaton* p, automata.prefix(w.token));
    MERIDIAN_RETURN_IF_ERROR(expand_terms(seg, w.field, *p, w.max_expansions + 1, &x->completions));
  }
  return Status::ok();
}

void finish_expansion(const WordToExpand& w, WordExpansion&& x, std::map<std::string, int>* found,
                      FoundWords* words) {
  const std::string& typed = w.surface.empty() ? w.token : w.surface;
  // The last word: completions rank above typos, unless the word is a
  // misspelling (not a word of the field) of at least one typo's length
  // that reaches whole words: those come first (issue 16, item 3).
  bool whole_words = false;
  for (const auto& [t, e] : x.fuzzy) whole_words |= e > 0 || t != w.token;
  const bool late = !x.typed_is_word && allowed_edits(w.fuzziness, typed) > 0 && whole_words;
  *found = std::move(x.fuzzy);
  // A word that is no word of the field matches its stem's documents only
  // through the stemmer: after every real word within the typo budget.
  if (!x.typed_is_word && x.surface_words && w.text) found->emplace(w.token, kStemOnly);
  for (const auto& [t, e] : x.completions) {
    (void)e;
    auto it = found->find(t);
    if (late) {
      if (it == found->end()) found->emplace(t, kLatePrefix);
    } else {
      if (it == found->end()) {
        found->emplace(t, kPrefix);
      } else if (it->second != 0) {
        it->second = kPrefix;  // a completion ranks above any typo, not above the word itself
      }
    }
  }
  if (words) {
    // A misspelt word's completions rank after every typo whatever word of
    // the stem a document holds: no words to tell apart.
    if (late)
      for (auto& [stem, ws] : x.words)
        std::erase_if(ws, [](const auto& e) { return e.second == kPrefix; });
    *words = std::move(x.words);
  }
}

std::string expansion_key(const WordToExpand& w) {
  std::string k = w.field;
  for (const std::string& part :
       {w.token, w.surface, w.fuzziness.to_string(), std::to_string(w.fuzziness.exact_numbers),
        std::to_string(w.prefix_length), std::to_string(w.transpositions), std::to_string(w.prefix),
        std::to_string(w.text), std::to_string(w.max_expansions)}) {
    k.push_back('\0');
    k += part;
  }
  return k;
}

Status expand_word(const index::Snapshot& snap, const WordToExpand& w, std::map<std::string, int>* found,
                   FoundWords* words) {
  WordAutomata automata(w);
  WordExpansion x;
  for (const auto& sv : snap.segments()) MERIDIAN_RETURN_IF_ERROR(expand_in_segment(*sv.segment, w, automata, &x));
  // A clustered search (docs/CLUSTER.md, "The search router"): the
  // statistics phase records what the word reached on this shard, the
  // search phase ranks what it reached in the whole index.
  if (snap.recording() || snap.has_stats()) {
    const std::string key = expansion_key(w);
    snap.record_expansion(key, x);
    if (const index::WordExpansionStats* global = snap.expansion(key)) merge_word_expansion(&x, *global);
  }
  finish_expansion(w, std::move(x), found, words);
  // Every term found, not only the alternatives kept: the whole index may
  // keep one this shard alone would have cut, and then needs its count here.
  if (snap.recording())
    for (const auto& [t, e] : *found) (void)snap.doc_freq(index::term_key(w.field, t));
  return Status::ok();
}

}  // namespace meridian::query::plan

namespace meridian::query {

void merge_word_expansion(index::WordExpansionStats* into, const index::WordExpansionStats& from) {
  for (const auto& [t, e] : from.fuzzy) plan::keep_min(&into->fuzzy, t, e);
  for (const auto& [t, e] : from.completions) into->completions.emplace(t, e);
  for (const auto& [stem, ws] : from.words)
    for (const auto& [word, e] : ws) plan::keep_word(&into->words, stem, word, e);
  into->typed_is_word = into->typed_is_word || from.typed_is_word;
  into->surface_words = into->surface_words && from.surface_words;
}

}  // namespace meridian::query

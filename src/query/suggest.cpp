// "Did you mean": known words, replacements from the surface words, and the
// re-spelled queries (suggest.h).
#include "meridian/query/suggest.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "meridian/analysis/analyzer.h"
#include "meridian/index/surface_words.h"
#include "meridian/index/term_key.h"
#include "meridian/query/q_query.h"
#include "meridian/query/query_string_parser.h"
#include "meridian/termdict/levenshtein.h"
#include "word_expansion.h"

namespace meridian::query {

namespace {

// Surface words a walk may visit for one word and field (as expand_word).
constexpr size_t kWalkLimit = 100000;

struct SearchedField {
  const index::FieldDef* def = nullptr;
  bool typos = true;  // not in typo_tolerance.disable_on_fields
};

struct Candidate {
  std::string word;
  int edits = 0;
  uint64_t df = 0;                // the most documents of one of its terms
  std::set<std::string> terms;    // term keys (field, stem) the word stands for
  std::set<std::string> stems;    // their stems
};

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The fields q searches: the request's, else the settings', else every
// text field ("*" is every text field too); unknown fields are skipped.
std::vector<SearchedField> searched_fields(const SearchRequest& req, const index::IndexSettings& settings,
                                           const index::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& fb : req.q_fields) names.push_back(fb.field);
  if (names.empty())
    for (const auto& f : settings.q_fields) names.push_back(f.field);
  if (names.empty()) names.push_back("*");
  std::vector<SearchedField> out;
  std::set<std::string, std::less<>> seen;
  auto add = [&](const index::FieldDef& def) {
    if (!seen.insert(def.name).second) return;
    out.push_back({&def, !contains(settings.typo_tolerance.disable_on_fields, def.name)});
  };
  for (const auto& name : names) {
    if (name == "*") {
      for (const auto& [n, def] : schema.fields())
        if (def.type == index::FieldType::kText) add(def);
    } else if (const index::FieldDef* def = schema.find(name)) {
      if (def->type == index::FieldType::kText || def->type == index::FieldType::kKeyword) add(*def);
    }
  }
  return out;
}

// The word as the field indexes it: its surface word and its stem; false
// when the analyzer drops it (a stopword) or splits it into several tokens.
bool analyze_word(const index::FieldDef& f, std::string_view word, std::string* surface, std::string* stem) {
  if (!f.analyzer_instance) return false;
  std::vector<analysis::Token> toks;
  std::vector<std::string> surfaces;
  f.analyzer_instance->analyze(word, &toks, 0, &surfaces);
  if (toks.size() != 1) return false;
  *stem = toks[0].text;
  *surface = surfaces.empty() || surfaces[0].empty() ? toks[0].text : surfaces[0];
  return !surface->empty();
}

// Whether some surface word of `field` starts with `prefix` (itself included).
Result<bool> has_completion(const termdict::TermDictReader& words, std::string_view field, std::string_view prefix) {
  std::string key(field);
  key.push_back('\0');
  key.append(prefix);
  auto it = words.lower_bound(key);
  if (!it.valid()) {
    MERIDIAN_RETURN_IF_ERROR(it.status());
    return false;
  }
  return it.term().starts_with(key);
}

// Whether `word` has no typo budget in any field, known without analysing
// it: a word of ASCII letters and digits is, in every analyzer, its own
// surface word lowercased (word break keeps it whole or splits it, case
// folding keeps its length, nothing else applies), and the budget depends on
// the length and on whether the word is all digits.
bool surely_without_budget(const Fuzziness& fz, std::string_view word) {
  return plain_ascii_word(word) && plan::allowed_edits(fz, word) == 0;
}

class Speller {
 public:
  Speller(const index::Snapshot& snap, const index::IndexSettings& settings, std::vector<SearchedField> fields)
      : snap_(snap), settings_(settings), fields_(std::move(fields)), fz_(q_typo_fuzziness(settings)) {}

  Result<bool> known(const std::string& word, bool last) const {
    std::string folded = index::fold_words(word);
    if (contains(settings_.stop_words, folded) || contains(settings_.typo_tolerance.disable_on_words, folded) ||
        settings_.synonyms.lookup.count(folded))
      return true;
    for (const auto& f : fields_) {
      MERIDIAN_ASSIGN_OR_RETURN(bool k, known_in(*f.def, word, last));
      if (k) return true;
    }
    return false;
  }

  // Whether candidates() can find anything for one of `words`: some field it
  // walks gives the word a typo budget (a short word has none), so that a
  // query of such words is not looked up at all.
  bool correctable(const std::vector<std::string>& words) const {
    for (const auto& word : words)
      for (const auto& f : fields_) {
        if (!f.typos || f.def->type != index::FieldType::kText) continue;
        std::string surface, stem;
        if (analyze_word(*f.def, word, &surface, &stem) && plan::allowed_edits(fz_, surface) > 0) return true;
      }
    return false;
  }

  // The best replacements of an unknown word, best first, at most `n`.
  Result<std::vector<Candidate>> candidates(const std::string& word, size_t n) {
    std::map<std::string, Candidate> found;
    for (const auto& f : fields_) {
      if (!f.typos || f.def->type != index::FieldType::kText) continue;
      std::string surface, stem;
      if (!analyze_word(*f.def, word, &surface, &stem)) continue;
      MERIDIAN_RETURN_IF_ERROR(walk_field(f.def->name, surface, &found));
    }
    std::vector<Candidate> all;
    for (auto& [w, c] : found)
      if (c.df > 0) all.push_back(std::move(c));
    std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
      if (a.edits != b.edits) return a.edits < b.edits;
      if (a.df != b.df) return a.df > b.df;
      return a.word < b.word;
    });
    // Words of the same stems find the same documents: the best one stands for them.
    std::vector<Candidate> out;
    std::set<std::set<std::string>> seen;
    for (auto& c : all) {
      if (out.size() == n) break;
      if (seen.insert(c.stems).second) out.push_back(std::move(c));
    }
    return out;
  }

 private:
  Result<bool> known_in(const index::FieldDef& f, const std::string& word, bool last) const {
    if (f.type == index::FieldType::kKeyword) {
      for (const auto& sv : snap_.segments()) {
        auto e = sv.segment->terms().find(index::term_key(f.name, word));
        if (!e) return e.status();
        if (e->has_value()) return true;
      }
      return false;
    }
    std::string surface, stem;
    if (!analyze_word(f, word, &surface, &stem)) return true;  // dropped or split: not ours to re-spell
    for (const auto& sv : snap_.segments()) {
      const index::Segment& seg = *sv.segment;
      if (const termdict::TermDictReader* words = seg.words()) {
        MERIDIAN_ASSIGN_OR_RETURN(bool is_word, index::find_surface_word(*words, f.name, surface, nullptr));
        if (is_word) return true;
        if (last) {
          MERIDIAN_ASSIGN_OR_RETURN(bool completes, has_completion(*words, f.name, surface));
          if (completes) return true;
        }
      }
      auto e = seg.terms().find(index::term_key(f.name, stem));
      if (!e) return e.status();
      if (e->has_value()) return true;
    }
    return false;
  }

  Status walk_field(const std::string& field, const std::string& surface, std::map<std::string, Candidate>* found) {
    const int edits = plan::allowed_edits(fz_, surface);
    if (edits <= 0) return Status::ok();
    const termdict::Automaton* a = automaton(surface, edits);
    if (!a) return Status::ok();  // too long to correct
    std::set<std::string> seen;  // term keys of this field already counted
    for (const auto& sv : snap_.segments()) {
      const termdict::TermDictReader* words = sv.segment->words();
      if (!words) continue;
      MERIDIAN_RETURN_IF_ERROR(index::walk_surface_words(
          *words, field, *a, kWalkLimit, [&](std::string_view w, std::string_view stem, int e) {
            auto [it, fresh] = found->try_emplace(std::string(w), Candidate{std::string(w), e, 0, {}, {}});
            it->second.edits = std::min(it->second.edits, e);
            it->second.terms.insert(index::term_key(field, stem));
            it->second.stems.insert(std::string(stem));
            return true;
          }));
    }
    for (auto& [w, c] : *found)
      for (const auto& key : c.terms) c.df = std::max(c.df, doc_freq(key));
    return Status::ok();
  }

  // The word's Levenshtein automaton, built once for all fields (null when
  // the word cannot have one: over kMaxLevenshteinTermLength).
  const termdict::Automaton* automaton(const std::string& surface, int edits) {
    auto key = std::make_pair(surface, edits);
    auto it = automata_.find(key);
    if (it == automata_.end()) {
      auto a = termdict::levenshtein_automaton(surface, edits, true);
      it = automata_.emplace(key, a ? std::optional<termdict::Automaton>(std::move(*a)) : std::nullopt).first;
    }
    return it->second ? &*it->second : nullptr;
  }

  uint64_t doc_freq(const std::string& key) {
    auto it = df_.find(key);
    if (it != df_.end()) return it->second;
    return df_[key] = snap_.doc_freq(key);
  }

  const index::Snapshot& snap_;
  const index::IndexSettings& settings_;
  std::vector<SearchedField> fields_;
  Fuzziness fz_;  // none when typo tolerance is disabled
  std::map<std::string, uint64_t> df_;
  std::map<std::pair<std::string, int>, std::optional<termdict::Automaton>> automata_;
};

// A (partial) re-spelled query during the beam over the words.
struct Partial {
  std::vector<std::string> words;
  int edits = 0;
  double score = 1;
  std::string text() const {
    std::string t;
    for (const auto& w : words) {
      if (!t.empty()) t += ' ';
      t += w;
    }
    return t;
  }
};

bool better(const Partial& a, const Partial& b) {
  if (a.edits != b.edits) return a.edits < b.edits;
  if (a.score != b.score) return a.score > b.score;
  return a.text() < b.text();
}

}  // namespace

Result<std::vector<Suggestion>> suggest(const index::Snapshot& snap, const SearchRequest& req,
                                        const index::IndexSettings* settings, const index::Schema* schema) {
  if (!req.q) return std::vector<Suggestion>{};
  static const index::IndexSettings kDefaults;
  const index::IndexSettings& s = settings ? *settings : kDefaults;
  // Short plain words (a search box's first letters) have nothing to correct.
  const Fuzziness fz = q_typo_fuzziness(s);
  // One such word is its own only simple word: known without splitting.
  if (!req.q->empty() && surely_without_budget(fz, *req.q)) return std::vector<Suggestion>{};
  std::vector<std::string> words = simple_words(*req.q);
  if (words.empty()) return std::vector<Suggestion>{};
  if (std::all_of(words.begin(), words.end(), [&](const std::string& w) { return surely_without_budget(fz, w); }))
    return std::vector<Suggestion>{};
  Speller speller(snap, s, searched_fields(req, s, schema ? *schema : snap.schema()));
  if (!speller.correctable(words)) return std::vector<Suggestion>{};

  std::vector<bool> unknown(words.size(), false);
  bool any = false;
  for (size_t i = 0; i < words.size(); ++i) {
    MERIDIAN_ASSIGN_OR_RETURN(bool k, speller.known(words[i], i + 1 == words.size()));
    unknown[i] = !k;
    any |= !k;
  }
  if (!any) return std::vector<Suggestion>{};

  // Left to right, the best kMaxSuggestions partial queries: exact for this
  // order, since edits add and scores multiply word by word.
  const double docs = static_cast<double>(std::max<uint64_t>(snap.total_docs(), 1));
  std::vector<Partial> beam(1);
  bool replaced = false;
  for (size_t i = 0; i < words.size(); ++i) {
    std::vector<Candidate> cands;
    if (unknown[i]) {
      MERIDIAN_ASSIGN_OR_RETURN(cands, speller.candidates(words[i], kMaxSuggestions));
    }
    if (cands.empty()) {
      for (auto& p : beam) p.words.push_back(words[i]);
      continue;
    }
    replaced = true;
    std::vector<Partial> next;
    for (const auto& p : beam)
      for (const auto& c : cands) {
        Partial q = p;
        q.words.push_back(c.word);
        q.edits += c.edits;
        q.score *= std::min(1.0, static_cast<double>(c.df) / docs);
        next.push_back(std::move(q));
      }
    std::sort(next.begin(), next.end(), better);
    if (next.size() > kMaxSuggestions) next.resize(kMaxSuggestions);
    beam = std::move(next);
  }
  std::vector<Suggestion> out;
  if (!replaced) return out;
  for (const auto& p : beam) out.push_back({p.text(), p.score, p.edits});
  return out;
}

Json to_json(const std::vector<Suggestion>& suggestions) {
  Json arr = Json::array();
  for (const auto& sg : suggestions) {
    Json e = Json::object();
    e.set("text", Json(sg.text));
    e.set("score", Json(sg.score));
    arr.push(std::move(e));
  }
  return arr;
}

Status add_suggestions(const index::Snapshot& snap, const SearchRequest& req, const index::IndexSettings* settings,
                       const index::Schema* schema, SearchResponse* response) {
  auto t0 = std::chrono::steady_clock::now();
  MERIDIAN_ASSIGN_OR_RETURN(std::vector<Suggestion> sg, suggest(snap, req, settings, schema));
  if (sg.empty()) return Status::ok();
  response->suggest = to_json(sg);
  response->took_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return Status::ok();
}

}  // namespace meridian::query

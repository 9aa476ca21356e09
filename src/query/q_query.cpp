// The q query under index settings: stop words, typo settings, synonyms.
#include "meridian/query/q_query.h"

#include <algorithm>

#include "meridian/query/query_string_parser.h"
#include "synonyms.h"

namespace meridian::query {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Fields with "*" replaced by the schema's text fields (kept as written
// without a schema).
std::vector<FieldBoost> resolve(const std::vector<FieldBoost>& fields, const index::Schema* schema) {
  std::vector<FieldBoost> out;
  for (const auto& fb : fields) {
    if (fb.field != "*" || !schema) {
      out.push_back(fb);
      continue;
    }
    for (const auto& [name, def] : schema->fields())
      if (def.type == index::FieldType::kText) out.push_back({name, fb.boost});
  }
  return out;
}

class Builder {
 public:
  // `fields` must outlive the builder (it is not copied).
  Builder(const std::vector<FieldBoost>& fields, const index::IndexSettings& s, const index::Schema* schema)
      : schema_(schema) {
    static const std::vector<FieldBoost> kAll = {{"*", 1}};
    fields_ = fields.empty() ? &kAll : &fields;
    const auto& off = s.typo_tolerance.disable_on_fields;
    if (off.empty()) {
      typo_ = fields_;
    } else {
      for (const auto& fb : resolve(*fields_, schema))
        (contains(off, fb.field) ? exact_ : typo_own_).push_back(fb);
      typo_ = &typo_own_;
    }
    fz_ = q_typo_fuzziness(s);
  }

  const Fuzziness& typos() const { return fz_; }

  // `text`'s words over the fields: those of disable_on_fields without typos.
  // `qw`: the q words the text stands for (ranking rules).
  Query words(const std::string& text, Operator op, const Fuzziness& fz, bool prefix, QWords qw) const {
    if (exact_.empty()) return over(*typo_, text, op, fz, prefix, qw);
    if (typo_->empty()) return over(exact_, text, op, Fuzziness{}, prefix, qw);
    Bool b;
    b.should.push_back(over(*typo_, text, op, fz, prefix, qw));
    b.should.push_back(over(exact_, text, op, Fuzziness{}, prefix, qw));
    return b;
  }

  // A multi-word synonym: its words adjacent and in order, in any field.
  std::optional<Query> phrase(const std::string& text, QWords qw) const {
    std::vector<FieldBoost> fields;  // only a multi-word synonym needs them
    for (const auto& fb : resolve(*fields_, schema_))
      if (fb.field != "*") fields.push_back(fb);
    if (fields.empty()) return std::nullopt;
    Bool b;
    for (const auto& fb : fields) {
      MatchPhrase p;
      p.field = fb.field;
      p.text = text;
      p.boost = fb.boost;
      p.q_words = qw;
      b.should.push_back(std::move(p));
    }
    if (b.should.size() == 1) return std::move(b.should[0]);
    return Query(std::move(b));
  }

 private:
  static Query over(const std::vector<FieldBoost>& fs, const std::string& text, Operator op, const Fuzziness& fz,
                    bool prefix, QWords qw) {
    if (fs.size() == 1) {
      Match m;
      m.field = fs[0].field;
      m.text = text;
      m.op = op;
      m.fuzziness = fz;
      m.prefix_last = prefix;
      m.boost = fs[0].boost;
      m.q_words = qw;
      return m;
    }
    MultiMatch mm;
    mm.fields = fs;
    mm.text = text;
    mm.op = op;
    mm.fuzziness = fz;
    mm.prefix_last = prefix;
    mm.q_words = qw;
    return mm;
  }

  const index::Schema* schema_;
  const std::vector<FieldBoost>* fields_;  // as given ("*" not resolved)
  const std::vector<FieldBoost>* typo_;    // fields_ or typo_own_: the fields with typos
  std::vector<FieldBoost> typo_own_, exact_;
  Fuzziness fz_;  // none when typo tolerance is disabled
};

std::string join(const std::vector<std::string>& words, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += ' ';
    out += words[i];
  }
  return out;
}

}  // namespace

Fuzziness q_typo_fuzziness(const index::IndexSettings& settings) {
  if (!settings.typo_tolerance.enabled) return Fuzziness{};
  TypoBudget b;
  b.min_word_length_one_typo = settings.typo_tolerance.min_word_length_one_typo;
  b.min_word_length_two_typos = settings.typo_tolerance.min_word_length_two_typos;
  return b.fuzziness();
}

std::vector<std::string> simple_words(std::string_view text) {
  const std::string clean = simple_clean(text);
  std::vector<std::string> out;
  size_t at = 0;
  while (at < clean.size()) {
    size_t sp = clean.find(' ', at);
    if (sp == std::string::npos) sp = clean.size();
    if (sp > at) out.push_back(clean.substr(at, sp - at));
    at = sp + 1;
  }
  return out;
}

std::vector<std::string> q_words(std::string_view text, const index::IndexSettings& settings) {
  std::vector<std::string> words = simple_words(text);
  if (settings.stop_words.empty()) return words;
  std::vector<std::string> kept;
  for (const auto& w : words)
    if (!contains(settings.stop_words, index::fold_words(w))) kept.push_back(w);
  return kept.empty() ? words : kept;
}

Query build_q_query(std::string_view text, const std::vector<FieldBoost>& fields, Operator op,
                    const index::IndexSettings& settings, const index::Schema* schema,
                    std::optional<Query>* relaxed) {
  // One word of ASCII letters and digits (simple_words gives it back as it
  // is; a lone stop word is kept) with no synonyms and no no-typo words: what
  // the general path below builds for it, without its word lists.
  if (!text.empty() && settings.synonyms.lookup.empty() && settings.typo_tolerance.disable_on_words.empty() &&
      plain_ascii_word(text)) {
    Builder b(fields, settings, schema);
    return b.words(std::string(text), op, b.typos(), true, QWords{0, 0, 0, true});
  }
  std::vector<std::string> words = q_words(text, settings);
  if (words.empty()) return MatchAll{};
  std::vector<std::string> folded;
  for (const auto& w : words) folded.push_back(index::fold_words(w));
  Builder b(fields, settings, schema);
  auto spans = find_synonyms(folded, settings.synonyms);
  const auto& no_typo = settings.typo_tolerance.disable_on_words;
  // Several words: one clause per word, each in any field (a document may
  // hold the words in different fields), so that the strict query and the
  // relaxed one rank a document with every word alike.
  bool per_word = spans.size() > 1 ||
                  std::any_of(spans.begin(), spans.end(), [](const SynonymSpan& s) { return !s.alternatives.empty(); }) ||
                  std::any_of(folded.begin(), folded.end(), [&](const std::string& w) { return contains(no_typo, w); });
  if (!per_word) return b.words(join(words, 0, words.size()), op, b.typos(), true, QWords{0, 0, 0, true});

  std::vector<Query> clauses;
  for (const auto& span : spans) {
    bool last = span.end == words.size();
    bool typos = std::none_of(folded.begin() + static_cast<std::ptrdiff_t>(span.begin),
                              folded.begin() + static_cast<std::ptrdiff_t>(span.end),
                              [&](const std::string& w) { return contains(no_typo, w); });
    const int first = static_cast<int>(span.begin);
    const bool single = span.end - span.begin == 1 && span.alternatives.empty();
    Query original = b.words(join(words, span.begin, span.end), Operator::kAnd, typos ? b.typos() : Fuzziness{}, last,
                             QWords{first, 0, 0, single});
    if (single) {
      // Also the word joined to a plain neighbour ("spell checker" finds
      // "spellchecker"), at one typo; each of the two words' clauses has it.
      Bool any;
      any.should.push_back(std::move(original));
      auto plain = [&](size_t k) { return spans[k].end - spans[k].begin == 1 && spans[k].alternatives.empty(); };
      const size_t si = static_cast<size_t>(&span - spans.data());
      if (si > 0 && plain(si - 1))
        any.should.push_back(b.words(words[span.begin - 1] + words[span.begin], Operator::kAnd, Fuzziness{}, false,
                                     QWords{first - 1, 2, 1}));
      if (si + 1 < spans.size() && plain(si + 1))
        any.should.push_back(b.words(words[span.begin] + words[span.begin + 1], Operator::kAnd, Fuzziness{}, false,
                                     QWords{first, 2, 1}));
      clauses.push_back(any.should.size() == 1 ? std::move(any.should[0]) : Query(std::move(any)));
      continue;
    }
    if (span.alternatives.empty()) {
      clauses.push_back(std::move(original));
      continue;
    }
    Bool any;  // the words as typed, or any of their synonyms
    any.should.push_back(std::move(original));
    const QWords stands_for{first, static_cast<int>(span.end - span.begin)};
    for (const auto& alt : span.alternatives) {
      if (alt.find(' ') == std::string::npos) {
        any.should.push_back(b.words(alt, Operator::kAnd, Fuzziness{}, false, stands_for));
      } else if (auto p = b.phrase(alt, stands_for)) {
        any.should.push_back(std::move(*p));
      }
    }
    clauses.push_back(any.should.size() == 1 ? std::move(any.should[0]) : Query(std::move(any)));
  }
  if (clauses.size() == 1) return std::move(clauses[0]);
  if (relaxed) {
    // Matching strategy `last`: the first word (or span) is required, the
    // others optional; the `words` rule ranks documents matching more first.
    Bool r;
    r.must.push_back(clauses[0]);
    r.should.assign(clauses.begin() + 1, clauses.end());
    *relaxed = Query(std::move(r));
  }
  Bool top;
  (op == Operator::kAnd ? top.must : top.should) = std::move(clauses);
  return top;
}

}  // namespace meridian::query

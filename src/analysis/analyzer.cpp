#include "meridian/analysis/analyzer.h"

#include <algorithm>
#include <span>

#include "meridian/analysis/folding.h"
#include "meridian/analysis/stemmer.h"
#include "meridian/analysis/stopwords.h"
#include "meridian/analysis/word_breaker.h"

namespace meridian::analysis {
namespace {

// Words longer than this are cut before normalization so that one huge
// "word" costs bounded work; the final token is cut at kMaxTokenBytes.
constexpr size_t kMaxWordInputBytes = 4 * kMaxTokenBytes;

// One thread's buffers, reused across calls (the Analyzer itself is shared).
struct Scratch {
  std::vector<WordSpan> spans;
  std::string folded;
  std::string stemmed;
};
thread_local Scratch tl_scratch;

// Elided articles and pronouns glued to the next word by an apostrophe
// (French "l'université", Italian "dell'arte", Catalan "d'aigua"): the
// prefix is dropped so the word is indexed alone, as Lucene's ElisionFilter.
constexpr std::string_view kFrElisions[] = {"l", "m", "t", "qu", "n", "s", "j", "d", "c",
                                            "jusqu", "quoiqu", "lorsqu", "puisqu"};
constexpr std::string_view kItElisions[] = {"c", "l", "all", "dall", "dell", "nell", "sull", "coll",
                                            "pell", "gl", "agl", "dagl", "degl", "negl", "sugl", "un",
                                            "m", "t", "s", "v", "d"};
constexpr std::string_view kCaElisions[] = {"d", "l", "m", "n", "s", "t"};
constexpr std::string_view kGaElisions[] = {"d", "m", "b"};

std::span<const std::string_view> elisions_for(std::string_view language) {
  if (language == "fr") return kFrElisions;
  if (language == "it") return kItElisions;
  if (language == "ca") return kCaElisions;
  if (language == "ga") return kGaElisions;
  return {};
}

// Removes a known elided prefix and its apostrophe from a case-folded word.
void strip_elision(std::span<const std::string_view> prefixes, std::string* word) {
  size_t apos = word->find('\'');
  if (apos == std::string::npos || apos == 0 || apos + 1 >= word->size()) return;
  std::string_view head(word->data(), apos);
  for (std::string_view p : prefixes) {
    if (head == p) {
      word->erase(0, apos + 1);
      return;
    }
  }
}

bool valid_language(std::string_view s) {
  if (s == "none") return true;
  if (s.size() != 2 && s.size() != 3) return false;
  for (char c : s)
    if (c < 'a' || c > 'z') return false;
  return true;
}

// Writes token n of *out, reusing the string already there when possible.
void put_token(std::vector<Token>* out, size_t n, std::string_view text, uint32_t pos, uint32_t start,
               uint32_t end) {
  if (n < out->size()) {
    Token& t = (*out)[n];
    t.text.assign(text);
    t.position = pos;
    t.start = start;
    t.end = end;
  } else {
    out->push_back(Token{std::string(text), pos, start, end});
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

}  // namespace

Result<AnalyzerConfig> AnalyzerConfig::from_json(const Json& j) {
  if (!j.is_object()) return Status::invalid("analyzer config: expected an object, got " +
                                             std::string(j.type_name()));
  AnalyzerConfig c;
  for (const auto& [key, v] : j.as_object()) {
    bool* flag = key == "stem"           ? &c.stem
                 : key == "stopwords"    ? &c.stopwords
                 : key == "fold_accents" ? &c.fold_accents
                 : key == "keyword"      ? &c.keyword
                                         : nullptr;
    if (flag != nullptr) {
      if (!v.is_bool()) return Status::invalid("analyzer config: \"" + key + "\" must be true or false");
      *flag = v.as_bool();
    } else if (key == "language") {
      if (!v.is_string() || !valid_language(v.as_string()))
        return Status::invalid("analyzer config: \"language\" must be an ISO 639-1 code or \"none\"");
      c.language = v.as_string();
    } else {
      return Status::invalid("analyzer config: unknown key \"" + key +
                             "\" (expected language, stem, stopwords, fold_accents, keyword)");
    }
  }
  return c;
}

Json AnalyzerConfig::to_json() const {
  Json j = Json::object();
  j.set("language", language);
  j.set("stem", stem);
  j.set("stopwords", stopwords);
  j.set("fold_accents", fold_accents);
  j.set("keyword", keyword);
  return j;
}

Result<std::shared_ptr<const Analyzer>> Analyzer::create(const AnalyzerConfig& cfg) {
  if (!valid_language(cfg.language))
    return Status::invalid("analyzer config: \"language\" must be an ISO 639-1 code or \"none\", got \"" +
                           cfg.language + "\"");
  int sid = -1;
  const StopwordSet* stop = nullptr;
  if (!cfg.keyword && cfg.language != "none") {
    // A language without a Snowball stemmer (ja, zh, th, ko, ...) is not
    // stemmed: stemming is on by default, so refusing would make every such
    // field need "stem": false by hand.
    if (cfg.stem) sid = stemmer_id(cfg.language);
    if (cfg.stopwords) {
      stop = stopwords_for(cfg.language);
      if (stop == nullptr)
        return Status::invalid("analyzer config: \"stopwords\": no stopword list for language \"" +
                               cfg.language + "\" (have: " + join(stopword_languages()) +
                               "); set \"stopwords\": false");
    }
  }
  auto a = std::make_shared<Analyzer>(cfg, sid, stop);
  if (!cfg.keyword) a->elisions_ = elisions_for(cfg.language);
  return std::shared_ptr<const Analyzer>(std::move(a));
}

bool Analyzer::is_stopword(std::string_view folded_term) const {
  return stop_ != nullptr && stop_->contains(folded_term);
}

bool Analyzer::normalize_word(std::string_view word, bool stem, std::string* out, std::string* surface) const {
  Scratch& s = tl_scratch;
  word = word.substr(0, utf8_prefix(word, kMaxWordInputBytes));
  case_fold(word, &s.folded);
  if (!elisions_.empty()) strip_elision(elisions_, &s.folded);
  if (is_stopword(s.folded)) return false;
  // Stem before removing accents: the Snowball algorithms expect the
  // accented spelling (French "é", German "ä"); the stem is then folded.
  // English stems ASCII only, so there the accents go first (fold_first_).
  if (fold_first_) {
    fold_accents(s.folded, &s.stemmed);
    s.folded.swap(s.stemmed);
  }
  const std::string* cur = &s.folded;
  if (stem && stemmer_id_ >= 0) {
    stem_word(stemmer_id_, s.folded, &s.stemmed);
    cur = &s.stemmed;
  }
  if (cfg_.fold_accents && !fold_first_) {
    fold_accents(*cur, out);
  } else {
    out->assign(*cur);
  }
  out->resize(utf8_prefix(*out, kMaxTokenBytes));
  if (surface) {
    surface->clear();
    if (cur == &s.stemmed && s.stemmed != s.folded) {  // the unstemmed word differs from the term
      if (cfg_.fold_accents && !fold_first_) {
        fold_accents(s.folded, surface);
      } else {
        surface->assign(s.folded);
      }
      surface->resize(utf8_prefix(*surface, kMaxTokenBytes));
      if (*surface == *out) surface->clear();
    }
  }
  return true;
}

void Analyzer::analyze_keyword(std::string_view text, std::vector<Token>* out,
                               uint32_t first_position) const {
  Scratch& s = tl_scratch;
  const auto end = static_cast<uint32_t>(std::min(text.size(), kMaxTextBytes));
  case_fold(text.substr(0, utf8_prefix(text, kMaxWordInputBytes)), &s.folded);
  std::string* norm = &s.folded;
  if (cfg_.fold_accents) {
    fold_accents(s.folded, &s.stemmed);
    norm = &s.stemmed;
  }
  norm->resize(utf8_prefix(*norm, kMaxTokenBytes));
  if (norm->empty()) {
    out->clear();
    return;
  }
  put_token(out, 0, *norm, first_position, 0, end);
  out->resize(1);
}

void Analyzer::analyze(std::string_view text, std::vector<Token>* out, uint32_t first_position) const {
  analyze(text, out, first_position, nullptr);
}

void Analyzer::analyze(std::string_view text, std::vector<Token>* out, uint32_t first_position,
                       std::vector<std::string>* surfaces) const {
  if (cfg_.keyword) {
    analyze_keyword(text, out, first_position);
    if (surfaces) surfaces->assign(out->size(), std::string());
    return;
  }
  Scratch& s = tl_scratch;
  break_words(text, &s.spans);
  out->reserve(s.spans.size());  // at most one token per word
  // normalize_word uses s.folded and s.stemmed; the result goes to `term`.
  thread_local std::string term, surface;
  size_t n = 0;
  uint32_t pos = first_position;
  if (surfaces) surfaces->clear();
  for (const WordSpan& w : s.spans) {
    std::string_view word = text.substr(w.start, w.end - w.start);
    if (normalize_word(word, cfg_.stem, &term, surfaces ? &surface : nullptr) && !term.empty()) {
      put_token(out, n++, term, pos, w.start, w.end);
      if (surfaces) surfaces->push_back(surface);
    }
    ++pos;  // stopwords and empty words keep their place
  }
  out->resize(n);
}

std::string Analyzer::normalize_term(std::string_view term, bool stem) const {
  std::string out;
  Scratch& s = tl_scratch;
  term = term.substr(0, utf8_prefix(term, kMaxWordInputBytes));
  case_fold(term, &s.folded);
  if (!elisions_.empty()) strip_elision(elisions_, &s.folded);
  if (fold_first_) {  // as normalize_word
    fold_accents(s.folded, &s.stemmed);
    s.folded.swap(s.stemmed);
  }
  const std::string* cur = &s.folded;
  if (!cfg_.keyword && stem && stemmer_id_ >= 0) {
    stem_word(stemmer_id_, s.folded, &s.stemmed);
    cur = &s.stemmed;
  }
  if (cfg_.fold_accents && !fold_first_) {
    fold_accents(*cur, &out);
  } else {
    out = *cur;
  }
  out.resize(utf8_prefix(out, kMaxTokenBytes));
  return out;
}

}  // namespace meridian::analysis

// Compiling a Query against a Snapshot: analysis, expansions, BM25 weights.
#include "plan.h"
#include "word_expansion.h"

#include <algorithm>
#include <map>

#include "meridian/base/date.h"
#include "meridian/index/surface_words.h"
#include "meridian/index/term_key.h"
#include "meridian/termdict/automaton_walk.h"
#include "meridian/termdict/levenshtein.h"
#include "meridian/termdict/regex.h"
#include "meridian/termdict/wildcard.h"

namespace meridian::query::plan {

namespace {

using index::FieldType;

// Sets Node::zero_outside on n and its descendants; returns n's.
bool mark_zero_outside(Node& n) {
  bool z = false;
  if (n.k == Node::K::kWord || n.k == Node::K::kPhrase) {
    z = true;
  } else if (n.k == Node::K::kDisMax) {
    z = true;
    for (auto& c : n.children) z &= mark_zero_outside(c);
  } else if (n.k == Node::K::kBool && n.must.empty() && n.filter.empty() && n.must_not.empty() && n.msm <= 1 &&
             !n.should.empty()) {
    z = true;  // a pure disjunction: outside its matches no should clause scores
    for (auto& c : n.should) z &= mark_zero_outside(c);
  } else {
    for (auto* v : {&n.must, &n.should, &n.must_not, &n.filter, &n.children})
      for (auto& c : *v) (void)mark_zero_outside(c);
  }
  n.zero_outside = z;
  return z;
}

class Compiler {
 public:
  Compiler(const index::Snapshot& snap, const CompileOptions& opt) : snap_(snap), opt_(opt) {}

  Result<Node> compile(const Query& q);
  // compile(q) built in *out, a default Node: in place for the usual roots
  // of a filter-only search (match_all, a geo shape), whose node would
  // otherwise be moved twice on its way into the Compiled; else compile()'s
  // node moved in.
  Status compile_into(const Query& q, Node* out) {
    switch (q.kind()) {
      case Kind::kMatchAll:
        init(out, Node::K::kAll, q.boost());
        return Status::ok();
      case Kind::kGeoDistance: case Kind::kGeoBoundingBox: case Kind::kGeoPolygon: case Kind::kGeohashCell:
        geo_leaf(q, out);
        return Status::ok();
      default: {
        MERIDIAN_ASSIGN_OR_RETURN(*out, compile(q));
        return Status::ok();
      }
    }
  }
  // Completes *c, whose root compile() made (filled in place: a Node is
  // large to move).
  void finish(Compiled* c) {
    mark_zero_outside(c->root);
    c->num_nodes = next_id_;
    c->max_pattern_terms = opt_.max_pattern_terms;
    c->bm25 = opt_.bm25;
    c->highlight_terms = std::move(hl_);
  }

 private:
  void init(Node* n, Node::K k, double boost) {
    n->k = k;
    n->boost = boost;
    n->id = next_id_++;
  }
  Node make(Node::K k, double boost = 1) {
    Node n;
    init(&n, k, boost);
    return n;
  }
  // A geo query's leaf, with the shape built once (a bad shape is reported
  // by eval_leaf, which builds it again).
  void geo_leaf(const Query& q, Node* n) {
    init(n, Node::K::kLeaf, q.boost());
    n->leaf = std::make_shared<Query>(q);
    if (auto shape = leaf_shape(q); shape.is_ok()) n->leaf_shape = std::make_shared<const geo::Shape>(std::move(*shape));
  }
  WeightedTerm weighted(const std::string& field, std::string_view term, double weight) {
    WeightedTerm t;
    t.key = index::term_key(field, term);
    const uint64_t df = term_doc_freq(snap_, t.key, opt_.skip_absent_terms, &t.absent, &t.refs);
    t.bm25 = scoring::Bm25(opt_.bm25, snap_.total_docs(), df, snap_.field_stats(field).avg_len(), weight);
    return t;
  }
  Node word(const std::string& field, std::vector<WeightedTerm> terms) {
    Node n = make(Node::K::kWord);
    n.field = field;
    n.terms = std::move(terms);
    return n;
  }
  Node leaf(const Query& q) {
    Node n = make(Node::K::kLeaf, q.boost());
    n.leaf = std::make_shared<Query>(q);
    return n;
  }
  std::vector<std::string> text_fields() const {
    std::vector<std::string> out;
    for (const auto& [name, def] : snap_.schema().fields())
      if (def.type == FieldType::kText) out.push_back(name);
    return out;
  }
  Result<std::string> encode(const index::FieldDef& f, const Json& v);
  // Terms of `field` accepted by `a` over every segment: term -> edits.
  Status expand(const std::string& field, const termdict::Automaton& a, size_t limit,
                std::map<std::string, int>* out);
  // The next three build into *out, a default Node (a word's nodes are
  // large: built in place, not moved through Result<Node> at each level).
  Status word_node(Node* out, const index::FieldDef& f, const std::string& token, std::string_view raw,
                   const Fuzziness& fz, int prefix_length, bool transpositions, bool prefix, size_t max_exp,
                   double boost);
  Status match_field(Node* out, const index::FieldDef& f, const std::string& text, Operator op,
                     const Fuzziness& fz, int prefix_length, size_t max_exp, const MinimumShouldMatch& msm,
                     bool prefix_last, bool transpositions, double boost);
  Status match_any(Node* out, const std::vector<FieldBoost>& fields, const std::string& text, Operator op,
                   const Fuzziness& fz, int prefix_length, size_t max_exp, const MinimumShouldMatch& msm,
                   bool prefix_last, bool transpositions, double boost, bool best);
  Result<Node> phrase(const MatchPhrase& m);
  // q's split: the phrase of the best split of `raw` into two words of the
  // field's dictionary (both halves indexed), or none.
  Result<std::optional<Node>> split_phrase(const index::FieldDef& f, std::string_view raw, double boost);

  // The q words the text query being compiled stands for (see QWords): its
  // word nodes are tagged with them.
  void tag(Node* n, const std::string& text, size_t start, size_t words) const {
    if (qw_.first < 0) return;
    n->q_extra_typos = qw_.extra_typos;
    if (qw_.span > 0) {
      n->q_first = qw_.first;
      n->q_count = qw_.span;
      return;
    }
    n->q_first = qw_.first + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(
                                                                          std::min(start, text.size())), ' '));
    n->q_count = static_cast<int>(words);
  }

  // Tokens of `text` under f's analyzer; kept for the next field whose
  // analyzer has the same configuration (a multi-field match analyses its
  // text once). Valid until the next call.
  const std::vector<analysis::Token>& analyzed(const index::FieldDef& f, const std::string& text) {
    if (!same_analysis(toks_of_, f, toks_text_, text)) {
      f.analyzer_instance->analyze(text, &toks_);
      toks_of_ = f.analyzer_instance.get();
      toks_text_ = text;
    }
    return toks_;
  }
  // f's analyzer's normalize_term(raw, false), kept likewise.
  const std::string& unstemmed(const index::FieldDef& f, std::string_view raw) {
    if (!same_analysis(plain_of_, f, plain_raw_, raw)) {
      plain_ = f.analyzer_instance->normalize_term(raw, false);
      plain_of_ = f.analyzer_instance.get();
      plain_raw_ = raw;
    }
    return plain_;
  }
  static bool same_analysis(const analysis::Analyzer* last, const index::FieldDef& f, std::string_view last_text,
                            std::string_view text) {
    return last && (last == f.analyzer_instance.get() || last->config() == f.analyzer_instance->config()) &&
           last_text == text;
  }

  const index::Snapshot& snap_;
  CompileOptions opt_;
  QWords qw_;
  const analysis::Analyzer* toks_of_ = nullptr;
  std::string toks_text_;
  std::vector<analysis::Token> toks_;
  const analysis::Analyzer* plain_of_ = nullptr;
  std::string plain_raw_, plain_;
  int next_id_ = 0;
  std::vector<std::pair<std::string, std::string>> hl_;
};

Result<std::string> Compiler::encode(const index::FieldDef& f, const Json& v) {
  auto bad = [&] {
    return Status::invalid("field '" + f.name + "' (" + std::string(index::field_type_name(f.type)) +
                           ") cannot hold the value " + v.dump());
  };
  switch (f.type) {
    case FieldType::kText:
      if (!v.is_string()) return bad();
      return f.analyzer_instance->normalize_term(v.as_string());
    case FieldType::kKeyword:
      if (v.is_string()) return v.as_string();
      if (v.is_number() || v.is_bool()) return v.dump();
      return bad();
    case FieldType::kInt:
      if (v.is_int()) return index::encode_int(v.as_int());
      if (v.is_double() && v.as_double() == static_cast<double>(static_cast<int64_t>(v.as_double())))
        return index::encode_int(static_cast<int64_t>(v.as_double()));
      if (v.is_string()) {
        try {
          size_t used = 0;
          long long x = std::stoll(v.as_string(), &used);
          if (used == v.as_string().size()) return index::encode_int(x);
        } catch (...) {
        }
      }
      return bad();
    case FieldType::kFloat:
      if (v.is_number()) return index::encode_double(v.as_double());
      if (v.is_string()) {
        try {
          size_t used = 0;
          double x = std::stod(v.as_string(), &used);
          if (used == v.as_string().size()) return index::encode_double(x);
        } catch (...) {
        }
      }
      return bad();
    case FieldType::kBool:
      if (v.is_bool()) return index::encode_int(v.as_bool() ? 1 : 0);
      if (v.is_string() && (v.as_string() == "true" || v.as_string() == "false"))
        return index::encode_int(v.as_string() == "true" ? 1 : 0);
      return bad();
    case FieldType::kDate:
      if (v.is_int()) return index::encode_int(v.as_int());
      if (v.is_string()) {
        auto ms = parse_rfc3339_millis(v.as_string());
        if (!ms) return Status::invalid("field '" + f.name + "': " + ms.status().message());
        return index::encode_int(*ms);
      }
      return bad();
    case FieldType::kGeoPoint:
      return Status::invalid("field '" + f.name + "' is a geo_point: use a geo query");
  }
  return bad();
}

Status Compiler::expand(const std::string& field, const termdict::Automaton& a, size_t limit,
                        std::map<std::string, int>* out) {
  for (const auto& sv : snap_.segments()) MERIDIAN_RETURN_IF_ERROR(expand_terms(*sv.segment, field, a, limit, out));
  return Status::ok();
}

Status Compiler::word_node(Node* out, const index::FieldDef& f, const std::string& token, std::string_view raw,
                           const Fuzziness& fz, int prefix_length, bool transpositions, bool prefix, size_t max_exp,
                           double boost) {
  auto deferred = std::make_shared<DeferredWord>();
  std::map<std::string, int> found;  // term -> edits (prefix expansions: kPrefix, kLatePrefix)
  FoundWords found_words;
  std::string plain = f.analyzer_instance ? unstemmed(f, raw) : token;
  if (!fz.is_none() || prefix) {
    // Over every segment's surface words (word_expansion.h); for live
    // queries (per_segment_expansions) in each segment when it is evaluated.
    WordToExpand w;
    w.field = f.name;
    w.text = f.type == FieldType::kText;
    w.token = token;
    w.surface = plain;
    w.fuzziness = fz;
    w.prefix_length = prefix_length;
    w.transpositions = transpositions;
    w.prefix = prefix;
    w.max_expansions = max_exp;
    if (opt_.per_segment_expansions) {
      auto prepared = std::make_shared<PreparedWord>(std::move(w));
      MERIDIAN_RETURN_IF_ERROR(prepared->automata.prepare_all());
      deferred->word = std::move(prepared);
    } else {
      MERIDIAN_RETURN_IF_ERROR(expand_word(snap_, w, &found, &found_words));
    }
  }
  *out = word(f.name, word_terms(snap_, opt_.bm25, f.name, token, std::move(found), &found_words, max_exp, boost,
                                  &hl_, opt_.skip_absent_terms));
  if (deferred->word) {
    deferred->token = token;
    deferred->max_expansions = max_exp;
    deferred->boost = boost;
    out->deferred = std::move(deferred);
  }
  return Status::ok();
}

Status Compiler::match_field(Node* out, const index::FieldDef& f, const std::string& text, Operator op,
                             const Fuzziness& fz, int prefix_length, size_t max_exp, const MinimumShouldMatch& msm,
                             bool prefix_last, bool transpositions, double boost) {
  if (f.type == FieldType::kGeoPoint) {
    *out = make(Node::K::kNone);
    return Status::ok();
  }
  if (f.type != FieldType::kText) {
    auto key = encode(f, Json(text));
    if (!key) {
      *out = make(Node::K::kNone);  // a word that cannot be a value of the field matches nothing
      return Status::ok();
    }
    *out = word(f.name, {weighted(f.name, *key, boost)});
    tag(out, text, 0, static_cast<size_t>(std::count(text.begin(), text.end(), ' ')) + 1);
    return Status::ok();
  }
  const std::vector<analysis::Token>& toks = analyzed(f, text);
  if (toks.empty()) {
    *out = make(Node::K::kNone);
    return Status::ok();
  }
  auto raw_of = [&](const analysis::Token& t) { return std::string_view(text).substr(t.start, t.end - t.start); };
  if (toks.size() == 1) {  // a single word, no wrapper; or (qw_.split) it or the phrase of its best split
    MERIDIAN_RETURN_IF_ERROR(word_node(out, f, toks[0].text, raw_of(toks[0]), fz, prefix_length, transpositions,
                                       prefix_last, max_exp, boost));
    tag(out, text, toks[0].start, 1);
    if (!qw_.split) return Status::ok();
    MERIDIAN_ASSIGN_OR_RETURN(std::optional<Node> split, split_phrase(f, raw_of(toks[0]), boost));
    if (!split) return Status::ok();
    Node w = std::move(*out);
    split->q_first = w.q_first;
    split->q_count = 1;
    split->q_extra_typos = w.q_extra_typos + 1;
    Node either = make(Node::K::kBool);
    either.should.push_back(std::move(w));
    either.should.push_back(std::move(*split));
    either.msm = 1;
    *out = std::move(either);
    return Status::ok();
  }
  Node b = make(Node::K::kBool);
  auto& clauses = op == Operator::kAnd ? b.must : b.should;
  clauses.reserve(toks.size());
  for (size_t i = 0; i < toks.size(); ++i) {
    bool pre = prefix_last && i + 1 == toks.size();
    Node& w = clauses.emplace_back();
    MERIDIAN_RETURN_IF_ERROR(word_node(&w, f, toks[i].text, raw_of(toks[i]), fz, prefix_length, transpositions, pre,
                                       max_exp, boost));
    tag(&w, text, toks[i].start, 1);
  }
  if (op == Operator::kOr) b.msm = std::max(1, msm.resolve(static_cast<int>(b.should.size()), 1));
  *out = std::move(b);
  return Status::ok();
}

Result<std::optional<Node>> Compiler::split_phrase(const index::FieldDef& f, std::string_view raw, double boost) {
  const std::string word = f.analyzer_instance->normalize_term(raw, false);
  if (word.find_first_not_of("0123456789") == std::string::npos) return std::optional<Node>();  // numbers stay whole
  // The split into two indexed words (each at least 2 bytes, cut between
  // code points) whose rarer half is the most frequent.
  uint64_t best_df = 0;
  size_t best_at = 0;
  for (size_t at = 2; at + 2 <= word.size(); ++at) {
    if ((static_cast<unsigned char>(word[at]) & 0xC0) == 0x80) continue;
    const std::string left = f.analyzer_instance->normalize_term(word.substr(0, at));
    const std::string right = f.analyzer_instance->normalize_term(word.substr(at));
    if (left.empty() || right.empty()) continue;
    const uint64_t df = std::min(snap_.doc_freq(index::term_key(f.name, left)),
                                 snap_.doc_freq(index::term_key(f.name, right)));
    if (df > best_df) {
      best_df = df;
      best_at = at;
    }
  }
  if (best_df == 0) return std::optional<Node>();
  MatchPhrase p;
  p.field = f.name;
  p.text = word.substr(0, best_at) + " " + word.substr(best_at);
  p.boost = boost;
  MERIDIAN_ASSIGN_OR_RETURN(Node n, phrase(p));
  if (n.k != Node::K::kPhrase) return std::optional<Node>();
  return std::optional<Node>(std::move(n));
}

Status Compiler::match_any(Node* out, const std::vector<FieldBoost>& fields, const std::string& text, Operator op,
                           const Fuzziness& fz, int prefix_length, size_t max_exp, const MinimumShouldMatch& msm,
                           bool prefix_last, bool transpositions, double boost, bool best) {
  std::vector<FieldBoost> fs;
  for (const auto& fb : fields) {
    if (fb.field == "*") {
      for (auto& t : text_fields()) fs.push_back({t, fb.boost});
    } else {
      fs.push_back(fb);
    }
  }
  Node top = make(best ? Node::K::kDisMax : Node::K::kBool);
  auto& fields_nodes = best ? top.children : top.should;
  fields_nodes.reserve(fs.size());  // no reallocation: each field's node is built in place
  for (const auto& fb : fs) {
    const index::FieldDef* f = snap_.schema().find(fb.field);
    if (!f) continue;  // unknown fields match nothing
    Node& n = fields_nodes.emplace_back();
    MERIDIAN_RETURN_IF_ERROR(match_field(&n, *f, text, op, fz, prefix_length, max_exp, msm, prefix_last,
                                         transpositions, boost * fb.boost));
    if (n.k == Node::K::kNone) fields_nodes.pop_back();
  }
  if (fields_nodes.empty()) {
    *out = make(Node::K::kNone);
  } else if (fields_nodes.size() == 1) {
    *out = std::move(fields_nodes[0]);
  } else {
    if (!best) top.msm = 1;
    *out = std::move(top);
  }
  return Status::ok();
}

Result<Node> Compiler::phrase(const MatchPhrase& m) {
  const index::FieldDef* f = snap_.schema().find(m.field);
  if (!f) return make(Node::K::kNone);
  if (f->type != FieldType::kText) {
    Node n;
    MERIDIAN_RETURN_IF_ERROR(match_field(&n, *f, m.text, Operator::kAnd, Fuzziness{}, 0, 0, {}, false, false, m.boost));
    return n;
  }
  std::vector<analysis::Token> toks;
  f->analyzer_instance->analyze(m.text, &toks);
  if (toks.empty()) return make(Node::K::kNone);
  Node n = make(Node::K::kPhrase, m.boost);
  n.field = f->name;
  n.slop = std::max(0, m.slop);
  double idf = 0;
  uint32_t prev = toks[0].position;
  for (size_t i = 0; i < toks.size(); ++i) {
    // A removed stopword leaves a position gap; the phrase keeps it as extra slop-free distance.
    for (uint32_t gap = prev + 1; i > 0 && gap < toks[i].position; ++gap) n.slots.emplace_back();
    prev = toks[i].position;
    std::vector<WeightedTerm> alts = {weighted(f->name, toks[i].text, 1)};
    hl_.emplace_back(f->name, toks[i].text);
    if (m.prefix && i + 1 == toks.size() && opt_.per_segment_expansions) {
      auto a = termdict::prefix_automaton(toks[i].text);
      if (!a) return a.status();
      n.phrase_prefix = std::make_shared<const termdict::Automaton>(std::move(*a));
      n.phrase_prefix_limit = static_cast<size_t>(std::max(1, m.max_expansions));
    } else if (m.prefix && i + 1 == toks.size()) {
      auto a = termdict::prefix_automaton(toks[i].text);
      if (!a) return a.status();
      std::map<std::string, int> pre;
      MERIDIAN_RETURN_IF_ERROR(expand(f->name, *a, static_cast<size_t>(std::max(1, m.max_expansions)), &pre));
      for (const auto& [t, e] : pre)
        if (t != toks[i].text) {
          alts.push_back(weighted(f->name, t, 1));
          hl_.emplace_back(f->name, t);
        }
    }
    idf += alts[0].bm25.idf();
    n.slots.push_back(std::move(alts));
  }
  n.phrase_idf = idf;
  // A weight whose idf is the summed idf: df chosen so that ln(1+(N-df+.5)/(df+.5)) = idf.
  uint64_t N = snap_.total_docs();
  double df = (static_cast<double>(N) + 1.0) / std::exp(idf) - 0.5;
  df = std::max(0.0, df);
  n.phrase_bm25 = scoring::Bm25(opt_.bm25, N, static_cast<uint64_t>(df), snap_.field_stats(f->name).avg_len(),
                                m.boost);
  return n;
}

Result<Node> Compiler::compile(const Query& q) {
  switch (q.kind()) {
    case Kind::kMatchAll: return make(Node::K::kAll, q.boost());
    case Kind::kMatchNone: return make(Node::K::kNone);
    case Kind::kTerm: {
      const Term& t = *q.as<Term>();
      const index::FieldDef* f = snap_.schema().find(t.field);
      if (!f) return make(Node::K::kNone);
      MERIDIAN_ASSIGN_OR_RETURN(std::string key, encode(*f, t.value));
      if (f->type == FieldType::kText) hl_.emplace_back(f->name, key);
      return word(f->name, {weighted(f->name, key, t.boost)});
    }
    case Kind::kTerms: {
      const Terms& t = *q.as<Terms>();
      const index::FieldDef* f = snap_.schema().find(t.field);
      if (!f || t.values.empty()) return make(Node::K::kNone);
      std::vector<WeightedTerm> ws;
      for (const auto& v : t.values) {
        MERIDIAN_ASSIGN_OR_RETURN(std::string key, encode(*f, v));
        ws.push_back(weighted(f->name, key, t.boost));
      }
      return word(f->name, std::move(ws));
    }
    case Kind::kMatch: {
      const Match& m = *q.as<Match>();
      qw_ = m.q_words;
      Node n;
      Status st = match_any(&n, {{m.field, 1}}, m.text, m.op, m.fuzziness, m.prefix_length,
                            static_cast<size_t>(std::max(0, std::min<int>(m.max_expansions, opt_.max_expansions))),
                            m.minimum_should_match, m.prefix_last, m.transpositions, m.boost, true);
      qw_ = {};
      if (!st.is_ok()) return st;
      return n;
    }
    case Kind::kMultiMatch: {
      const MultiMatch& m = *q.as<MultiMatch>();
      qw_ = m.q_words;
      Node n;
      Status st = match_any(&n, m.fields, m.text, m.op, m.fuzziness, m.prefix_length,
                            static_cast<size_t>(std::max(0, std::min<int>(m.max_expansions, opt_.max_expansions))),
                            m.minimum_should_match, m.prefix_last, m.transpositions, m.boost,
                            m.type == MultiMatchType::kBestFields);
      qw_ = {};
      if (!st.is_ok()) return st;
      return n;
    }
    case Kind::kMatchPhrase: {
      const MatchPhrase& m = *q.as<MatchPhrase>();
      qw_ = m.q_words;
      auto n = phrase(m);
      if (n) tag(&*n, m.text, 0, static_cast<size_t>(std::count(m.text.begin(), m.text.end(), ' ')) + 1);
      qw_ = {};
      return n;
    }
    case Kind::kFuzzy: {
      const Fuzzy& z = *q.as<Fuzzy>();
      const index::FieldDef* f = snap_.schema().find(z.field);
      if (!f) return make(Node::K::kNone);
      if (f->type != FieldType::kText && f->type != FieldType::kKeyword)
        return Status::invalid("fuzzy query on field '" + z.field + "' needs a text or keyword field");
      std::string v = f->type == FieldType::kText ? f->analyzer_instance->normalize_term(z.value, false) : z.value;
      if (v.empty()) return make(Node::K::kNone);
      Node n;
      MERIDIAN_RETURN_IF_ERROR(word_node(&n, *f, v, z.value, z.fuzziness, z.prefix_length, z.transpositions, false,
                                         static_cast<size_t>(std::max(1, z.max_expansions)), z.boost));
      return n;
    }
    case Kind::kRegexp: {
      auto a = termdict::regex_automaton(q.as<Regexp>()->pattern);
      if (!a) return Status::invalid("regexp on '" + q.as<Regexp>()->field + "': " + a.status().message());
      Node n = leaf(q);
      n.leaf_automaton = std::make_shared<const termdict::Automaton>(std::move(*a));
      return n;
    }
    case Kind::kWildcard: {
      auto a = termdict::wildcard_automaton(q.as<Wildcard>()->pattern);
      if (!a) return Status::invalid("wildcard on '" + q.as<Wildcard>()->field + "': " + a.status().message());
      Node n = leaf(q);
      n.leaf_automaton = std::make_shared<const termdict::Automaton>(std::move(*a));
      return n;
    }
    case Kind::kGeoDistance: case Kind::kGeoBoundingBox: case Kind::kGeoPolygon: case Kind::kGeohashCell: {
      Node n;
      geo_leaf(q, &n);
      return n;
    }
    case Kind::kPrefix: {
      const Prefix& p = *q.as<Prefix>();
      Node n = leaf(q);
      const index::FieldDef* f = snap_.schema().find(p.field);
      if (!f) return n;  // matches nothing (eval_leaf)
      std::string v = f->type == FieldType::kText ? f->analyzer_instance->normalize_term(p.value, false) : p.value;
      auto a = termdict::prefix_automaton(v);
      if (!a) return a.status();
      n.leaf_automaton = std::make_shared<const termdict::Automaton>(std::move(*a));
      return n;
    }
    case Kind::kRange: case Kind::kExists: case Kind::kIds:
      return leaf(q);
    case Kind::kBool: {
      const Bool& b = *q.as<Bool>();
      Node n = make(Node::K::kBool, b.boost);
      for (const auto& c : b.must) { MERIDIAN_ASSIGN_OR_RETURN(Node x, compile(c)); n.must.push_back(std::move(x)); }
      for (const auto& c : b.should) { MERIDIAN_ASSIGN_OR_RETURN(Node x, compile(c)); n.should.push_back(std::move(x)); }
      for (const auto& c : b.must_not) { MERIDIAN_ASSIGN_OR_RETURN(Node x, compile(c)); n.must_not.push_back(std::move(x)); }
      for (const auto& c : b.filter) { MERIDIAN_ASSIGN_OR_RETURN(Node x, compile(c)); n.filter.push_back(std::move(x)); }
      int def = (b.must.empty() && b.filter.empty()) ? 1 : 0;
      n.msm = b.should.empty() ? 0 : b.minimum_should_match.resolve(static_cast<int>(b.should.size()), def);
      return n;
    }
    case Kind::kConstantScore: {
      const ConstantScore& c = *q.as<ConstantScore>();
      Node n = make(Node::K::kConst, c.boost);
      MERIDIAN_ASSIGN_OR_RETURN(Node x, compile(*c.filter));
      n.children.push_back(std::move(x));
      return n;
    }
  }
  return Status::invalid("unsupported query kind");
}

}  // namespace

int tier_of(int found) {
  if (found == kLatePrefix || found == kStemOnly) return kLateTier;
  return found == kPrefix ? 1 : found == 0 ? 0 : 1 + found;
}

std::vector<WeightedTerm> word_terms(const index::Snapshot& snap, const scoring::Bm25Params& bm25,
                                     const std::string& field, const std::string& token,
                                     std::map<std::string, int> found, const FoundWords* words, size_t max_exp,
                                     double boost, std::vector<std::pair<std::string, std::string>>* highlight,
                                     bool skip_absent) {
  const uint64_t total_docs = snap.total_docs();
  const double avg_len = snap.field_stats(field).avg_len();
  uint64_t max_df = 0;  // of every term: their shared idf when tiered
  auto weighted = [&](std::string_view term) {
    WeightedTerm t;
    t.key = index::term_key(field, term);
    const uint64_t df = term_doc_freq(snap, t.key, skip_absent, &t.absent, &t.refs);
    max_df = std::max(max_df, df);
    t.bm25 = scoring::Bm25(bm25, total_docs, df, avg_len, boost);
    return t;
  };
  // Exact, then prefix completions, then fewest edits (a misspelt last word's
  // completions and a non-word's stem after every typo tier: kLatePrefix,
  // kStemOnly), then by term order.
  // A term reached through a typo or a completion ranks each document by the
  // words of the stem it holds (WeightedTerm::words).
  auto add_words = [&](WeightedTerm* t, std::string_view term) {
    if (!words || t->tier == 0 || t->tier >= kLateTier) return;
    auto it = words->find(std::string(term));
    if (it == words->end()) return;
    for (const auto& [word, e] : it->second) t->words.emplace_back(index::word_docs_key(field, word), tier_of(e));
  };
  std::vector<WeightedTerm> terms;
  terms.push_back(weighted(token));
  if (highlight) highlight->emplace_back(field, token);
  if (auto own = found.find(token); own != found.end()) {
    terms[0].tier = tier_of(own->second);  // 0 when typed as a word; its edits, or kStemOnly, when not
    add_words(&terms[0], token);
    found.erase(own);
  }
  std::vector<std::pair<std::string, int>> list(found.begin(), found.end());
  std::stable_sort(list.begin(), list.end(),
                   [](const auto& x, const auto& y) { return tier_of(x.second) < tier_of(y.second); });
  if (list.size() > max_exp) list.resize(max_exp);
  if (list.empty()) return terms;
  for (const auto& [t, e] : list) {
    terms.push_back(weighted(t));
    terms.back().tier = tier_of(e);
    add_words(&terms.back(), t);
    if (highlight) highlight->emplace_back(field, t);
  }
  std::vector<int> tiers;
  for (const auto& w : terms) tiers.push_back(w.tier);
  std::sort(tiers.begin(), tiers.end());
  tiers.erase(std::unique(tiers.begin(), tiers.end()), tiers.end());
  const double levels = static_cast<double>(tiers.size());
  // Tiered scores with one shared idf (see WeightedTerm).
  for (auto& w : terms) {
    w.bm25 = scoring::Bm25(bm25, total_docs, max_df, avg_len, boost);
    const double sup = boost * w.bm25.idf() * (bm25.k1 + 1);
    const double r = static_cast<double>(std::lower_bound(tiers.begin(), tiers.end(), w.tier) - tiers.begin());
    w.tier_base = sup * (levels - 1 - r) / levels;
    w.tier_scale = 1 / levels;
  }
  return terms;
}

uint64_t term_doc_freq(const index::Snapshot& snap, std::string_view key, bool skip_absent, bool* absent,
                       std::vector<std::optional<index::Segment::TermRef>>* refs) {
  if (!skip_absent || snap.has_stats() || snap.recording()) return snap.doc_freq(key);
  bool answered = true;
  const uint64_t df = snap.local_doc_freq(key, &answered, refs);
  *absent = answered && df == 0;
  return df;
}

Status expand_terms(const index::Segment& seg, const std::string& field, const termdict::Automaton& a, size_t limit,
                    std::map<std::string, int>* out) {
  const std::string prefix = index::field_prefix(field);
  const auto& td = seg.terms();
  return termdict::intersect_with_prefix(
      a, prefix, td.lower_bound(prefix),
      [&](std::string_view term, termdict::Automaton::State s) {
        int e = a.match_value(s);
        auto [it, fresh] = out->emplace(std::string(term), e);
        if (!fresh) it->second = std::min(it->second, e);
      },
      limit, termdict::walk_mode_for(td.size()));
}

Result<Compiled> compile(const index::Snapshot& snap, const Query& q, const CompileOptions& opt) {
  Compiled out;
  MERIDIAN_RETURN_IF_ERROR(compile(snap, q, opt, &out));
  return out;
}

Status compile(const index::Snapshot& snap, const Query& q, const CompileOptions& opt, Compiled* out) {
  Compiler c(snap, opt);
  MERIDIAN_RETURN_IF_ERROR(c.compile_into(q, &out->root));
  c.finish(out);
  return Status::ok();
}

}  // namespace meridian::query::plan

// SegmentEval::rank: the ranking-rule values of one document of a q search
// (words, typo, proximity, attribute, exactness; docs/QUERY.md "Ranking
// rules"), read from the posting cursors of the q words' nodes.
#include <algorithm>
#include <climits>

#include "plan.h"
#include "meridian/index/surface_words.h"
#include "meridian/termdict/levenshtein.h"

namespace meridian::query::plan {

namespace {

// Typos of a matching term by its tier: exact and prefix completions 0, a
// fuzzy term its edits, a completion of a misspelt word (ranked after every
// typo tier) one more than the most edits.
int typos_of_tier(int tier) {
  if (tier <= 1) return 0;
  return std::min(tier - 1, termdict::kMaxLevenshteinEdits + 1);
}

// The proximity cost of two words, a before b in the query: the smallest
// over their occurrences of d - 1 for b d positions after a (adjacent and in
// order: 0), d + 1 for b d positions before or at a; at most kMaxCost.
constexpr int kMaxCost = 7;
int pair_cost(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  int best = kMaxCost;
  size_t i = 0, j = 0;
  int64_t last_a = -1, last_b = -1;
  while ((i < a.size() || j < b.size()) && best > 0) {
    // Ties: b first, so that a word at the same position as the other costs 1.
    if (j < b.size() && (i == a.size() || b[j] <= a[i])) {
      if (last_a >= 0) best = std::min<int64_t>(best, static_cast<int64_t>(b[j]) - last_a - 1);
      last_b = b[j++];
    } else {
      if (last_b >= 0) best = std::min<int64_t>(best, static_cast<int64_t>(a[i]) - last_b + 1);
      last_a = a[i++];
    }
  }
  return best;
}

}  // namespace

void SegmentEval::open_words(TermState& ts) {
  // The stem's words here (index/surface_words.h): itemized (two or more, each
  // with word postings), or one, which all the stem's documents hold. Among
  // the words that reached the term, those of this segment say which. A word
  // whose postings cannot be read leaves the term's tier.
  using Words = TermState::Words;
  ts.words = Words::kStem;
  const index::Segment& seg = *sv_.segment;
  const termdict::TermDictReader* dict = seg.words();
  if (!dict) return;
  const std::string_view key = ts.w->key;
  const std::string_view stem = key.substr(key.find('\0') + 1);
  std::string word_stem;
  Words mode = Words::kUnset;  // none of the words is here: only other words of the stem
  for (const auto& [docs_key, tier] : ts.w->words) {
    const std::string_view rest = std::string_view(docs_key).substr(index::kWordDocsMarker.size());
    const size_t z = rest.find('\0');
    bool itemized = false;
    auto known = index::find_surface_word(*dict, rest.substr(0, z), rest.substr(z + 1), &word_stem, &itemized);
    if (!known.is_ok()) return;
    if (!*known || word_stem != stem) continue;
    if (!itemized) {  // the stem's one word here
      ts.words = Words::kOne;
      ts.one_tier = tier;
      return;
    }
    mode = Words::kPostings;
    auto tp = seg.postings_for(docs_key);
    if (!tp.is_ok()) return;
    if (*tp) ts.word_docs.emplace_back(tier, std::move(**tp));
  }
  ts.words = mode == Words::kPostings ? Words::kPostings : Words::kOne;
  if (mode != Words::kPostings) ts.one_tier = kLateTier;
}

int SegmentEval::doc_tier(TermState& ts, uint32_t doc) {
  const WeightedTerm& w = *ts.w;
  if (w.words.empty()) return w.tier;
  if (!rank_->marker_open) {
    rank_->marker_open = true;
    auto m = sv_.segment->postings_for(index::kWordDocsMarker);
    if (m.is_ok() && *m) rank_->word_docs_marker.emplace(std::move(**m));
  }
  // A document indexed before word postings existed: its stem's tier.
  if (!rank_->word_docs_marker || !rank_->word_docs_marker->docs().contains(doc)) return w.tier;
  if (ts.words == TermState::Words::kUnset) open_words(ts);
  switch (ts.words) {
    case TermState::Words::kStem: return w.tier;
    case TermState::Words::kOne: return ts.one_tier;
    default: break;
  }
  int best = kLateTier;  // only other words of the stem: after every typo
  for (const auto& [tier, tp] : ts.word_docs)
    if (tier < best && tp.docs().contains(doc)) best = tier;
  return best;
}

void SegmentEval::rank_node(const Node& n, uint32_t doc, bool proximity) {
  switch (n.k) {
    case Node::K::kWord:
    case Node::K::kPhrase: {
      if (n.q_first < 0) return;
      int typo = INT_MAX;
      bool exact = false;
      if (n.k == Node::K::kPhrase) {
        const auto& docs = ph_docs_[n.id];
        if (!std::binary_search(docs.begin(), docs.end(), doc)) return;
        typo = 0;
        exact = true;
      }
      std::vector<uint32_t>& pos = rank_->pos;  // reused: no allocation per document
      pos.clear();
      if (n.k == Node::K::kWord) {
        // Without positions, an exact term (0 typos) settles the word.
        for (auto& ts : terms_[n.id]) {
          if (!ts->cur || ts->cur->next_geq(doc) != doc) continue;
          const int tier = doc_tier(*ts, doc);
          typo = std::min(typo, typos_of_tier(tier));
          exact |= tier == 0;
          if (!proximity) {
            if (exact) break;  // tier 0: no fewer typos to find
            continue;
          }
          auto p = ts->cur->positions();
          pos.insert(pos.end(), p.begin(), p.end());
        }
        if (typo == INT_MAX) return;
      }
      if (n.q_extra_typos > 0) {
        typo += n.q_extra_typos;
        exact = false;
      }
      int& attr = rank_->node_attribute[static_cast<size_t>(n.id)];
      if (attr < 0) {
        auto it = c_.attribute_rank.find(n.field);
        attr = it != c_.attribute_rank.end() ? it->second : static_cast<int>(c_.attribute_rank.size());
      }
      for (int j = n.q_first; j < n.q_first + std::max(1, n.q_count); ++j) {
        if (j < 0 || static_cast<size_t>(j) >= rank_->words.size()) continue;
        auto& w = rank_->words[static_cast<size_t>(j)];
        if (!w.matched) {
          w.matched = true;
          w.typo = typo;
          w.attribute = attr;
          w.exact = exact;
        } else {
          w.typo = std::min(w.typo, typo);
          w.attribute = std::min(w.attribute, attr);
          w.exact |= exact;
        }
        if (proximity && !pos.empty()) {
          auto f = std::find_if(w.positions.begin(), w.positions.end(), [&](const auto& e) { return *e.first == n.field; });
          if (f == w.positions.end()) {
            w.positions.emplace_back(&n.field, pos);
          } else {
            f->second.insert(f->second.end(), pos.begin(), pos.end());
          }
        }
      }
      return;
    }
    case Node::K::kDisMax:
      // Every matching field counts (the best attribute, the fewest typos).
      for (const auto& c : n.children)
        if (bitmaps_[c.id].contains(doc)) rank_node(c, doc, proximity);
      return;
    case Node::K::kBool:
      for (const auto& c : n.must) rank_node(c, doc, proximity);
      for (const auto& c : n.should)
        if (bitmaps_[c.id].contains(doc)) rank_node(c, doc, proximity);
      return;
    default:
      return;
  }
}

void SegmentEval::rank(uint32_t doc, bool proximity, RankValues* out) {
  if (!rank_) {
    rank_ = std::make_unique<RankScratch>();
    rank_->node_attribute.assign(static_cast<size_t>(c_.num_nodes), -1);
    int words = 0;
    std::vector<const Node*> stack = {&c_.root};
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (n->q_first >= 0) words = std::max(words, n->q_first + std::max(1, n->q_count));
      for (const auto* list : {&n->must, &n->should, &n->children})
        for (const auto& c : *list) stack.push_back(&c);
    }
    rank_->words.resize(static_cast<size_t>(words));
  }
  for (auto& w : rank_->words) {
    w.matched = false;
    w.positions.clear();
  }
  rank_node(c_.root, doc, proximity);
  *out = RankValues{};
  const RankScratch::Word* prev = nullptr;
  for (auto& w : rank_->words) {
    if (!w.matched) continue;
    ++out->words;
    out->typo += w.typo;
    out->attribute += w.attribute;
    out->exactness += w.exact ? 1 : 0;
    if (!proximity) continue;
    for (auto& [field, pos] : w.positions) {
      std::sort(pos.begin(), pos.end());
      pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
    }
    if (prev) {
      int cost = kMaxCost;
      for (const auto& [fa, pa] : prev->positions)
        for (const auto& [fb, pb] : w.positions)
          if (*fa == *fb) cost = std::min(cost, pair_cost(pa, pb));
      out->proximity += cost;
    }
    prev = &w;
  }
}

}  // namespace meridian::query::plan

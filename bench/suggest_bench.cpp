// suggest_bench DATA_DIR INDEX MISSPELLINGS_TSV [--passes N]
//
// The cost and the accuracy of "Did you mean" (query::suggest, docs/QUERY.md)
// on an index built by `meridian import` (e.g. datasets/samples/text.ndjson
// with bench/text_schema.json). MISSPELLINGS_TSV has one "typo<TAB>intended"
// pair per line (datasets/samples/misspellings.tsv); pairs of one word each
// are used. For every pair, with the index's settings and default fields:
//   - search() of q=typo and suggest() of q=typo, each timed alone (the
//     fastest of `passes` calls, so the numbers are the work, not noise);
//   - suggest() of q=intended when that is a word of the index (a correctly
//     spelled query: the known-word test that every q search now pays; it
//     must suggest nothing).
// Accuracy over the pairs whose intended word (folded) is a word of the
// index and whose typo is not: top1 = the first suggestion is the intended
// word, top3 = it is among the suggestions.
// Prints one JSON line; latencies in microseconds (p50, p95, max).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/index/engine.h"
#include "meridian/index/index_settings.h"
#include "meridian/index/surface_words.h"
#include "meridian/query/search_request.h"
#include "meridian/query/searcher.h"
#include "meridian/query/suggest.h"
#include "meridian/termdict/levenshtein.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  std::vector<double> us;
  void add(double v) { us.push_back(v); }
  std::string json() {
    if (us.empty()) return "{\"n\":0}";
    std::sort(us.begin(), us.end());
    auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))]; };
    char buf[160];
    std::snprintf(buf, sizeof buf, "{\"n\":%zu,\"p50_us\":%.1f,\"p95_us\":%.1f,\"max_us\":%.1f}", us.size(), at(0.5),
                  at(0.95), us.back());
    return buf;
  }
};

template <class F>
double best_of(int passes, F&& f) {
  double best = 1e18;
  for (int i = 0; i < passes; ++i) {
    auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return best;
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Whether `word` is a surface word of a text field in some segment.
bool is_word(const meridian::index::Snapshot& snap, const std::string& word) {
  for (const auto& [name, def] : snap.schema().fields()) {
    if (def.type != meridian::index::FieldType::kText) continue;
    for (const auto& sv : snap.segments()) {
      const auto* words = sv.segment->words();
      if (!words) continue;
      auto found = meridian::index::find_surface_word(*words, name, word, nullptr);
      if (found.is_ok() && *found) return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meridian;
  if (argc < 4) {
    std::fprintf(stderr, "usage: suggest_bench DATA_DIR INDEX MISSPELLINGS_TSV [--passes N]\n");
    return 2;
  }
  int passes = 3;
  for (int i = 4; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--passes") passes = std::max(1, std::atoi(argv[i + 1]));
  auto engine = index::Engine::open(argv[1]);
  if (!engine.is_ok()) {
    std::fprintf(stderr, "suggest_bench: %s\n", engine.status().to_string().c_str());
    return 2;
  }
  auto idx = (*engine)->get(argv[2]);
  if (!idx.is_ok()) {
    std::fprintf(stderr, "suggest_bench: %s\n", idx.status().to_string().c_str());
    return 2;
  }
  auto snap = (*idx)->snapshot();
  auto schema = (*idx)->schema();
  auto settings = (*idx)->settings();
  query::SearchRequestOptions ro;
  ro.settings = settings;
  ro.schema = schema.get();
  auto request = [&](const std::string& q) {
    Json b = Json::object();
    b.set("q", Json(q));
    return query::parse_search_request(b, ro);
  };

  std::ifstream in(argv[3]);
  if (!in) {
    std::fprintf(stderr, "suggest_bench: cannot read %s\n", argv[3]);
    return 2;
  }
  Stats search_us, suggest_us, suggest_zero_us, known_us;
  size_t pairs = 0, zero_hits = 0, judged = 0, with_suggestion = 0, top1 = 0, top3 = 0;
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::string typo = line.substr(0, tab), intended = line.substr(tab + 1);
    if (typo.find(' ') != std::string::npos || intended.find(' ') != std::string::npos) continue;
    auto rq = request(typo);
    auto ri = request(intended);
    if (!rq.is_ok() || !ri.is_ok()) continue;
    ++pairs;
    Result<query::SearchResponse> r = Status::ok();
    search_us.add(best_of(passes, [&] { r = query::search(*snap, *rq); }));
    if (!r.is_ok()) {
      std::fprintf(stderr, "suggest_bench: search %s: %s\n", typo.c_str(), r.status().to_string().c_str());
      return 1;
    }
    Result<std::vector<query::Suggestion>> sg = std::vector<query::Suggestion>{};
    double t = best_of(passes, [&] { sg = query::suggest(*snap, *rq, settings.get(), schema.get()); });
    if (!sg.is_ok()) {
      std::fprintf(stderr, "suggest_bench: suggest %s: %s\n", typo.c_str(), sg.status().to_string().c_str());
      return 1;
    }
    suggest_us.add(t);
    if (r->total == 0) {
      ++zero_hits;
      suggest_zero_us.add(t);
    }
    // Judged: the intended word is a word of the index, within the typo's
    // budget (q's default: 1 edit from 5 code points, 2 from 9).
    std::string want = index::fold_words(intended), got = index::fold_words(typo);
    if (!is_word(*snap, want)) continue;
    Result<std::vector<query::Suggestion>> ki = std::vector<query::Suggestion>{};
    known_us.add(best_of(passes, [&] { ki = query::suggest(*snap, *ri, settings.get(), schema.get()); }));
    if (!ki.is_ok() || !ki->empty()) {
      std::fprintf(stderr, "suggest_bench: a suggestion for the word of the index '%s'\n", intended.c_str());
      return 1;
    }
    size_t n = code_points(got);
    int budget = n >= 9 ? 2 : n >= 5 ? 1 : 0;
    if (got == want || termdict::edit_distance(got, want, true) > budget) continue;
    ++judged;
    if (sg->empty()) continue;
    ++with_suggestion;
    if ((*sg)[0].text == want) ++top1;
    for (const auto& s : *sg) top3 += s.text == want;
  }
  std::printf(
      "{\"docs\":%llu,\"segments\":%zu,\"pairs\":%zu,\"zero_hits\":%zu,\"search\":%s,\"suggest\":%s,"
      "\"suggest_zero_hits\":%s,\"suggest_known\":%s,\"judged\":%zu,\"with_suggestion\":%zu,\"top1\":%zu,"
      "\"top3\":%zu}\n",
      static_cast<unsigned long long>((*idx)->stats().docs), snap->segments().size(), pairs, zero_hits,
      search_us.json().c_str(), suggest_us.json().c_str(), suggest_zero_us.json().c_str(), known_us.json().c_str(),
      judged, with_suggestion, top1, top3);
  return 0;
}

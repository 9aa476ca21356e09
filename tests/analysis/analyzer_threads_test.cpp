#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "meridian/analysis/analyzer.h"

using namespace meridian::analysis;

TEST_CASE("analyzer: many threads analysing at once get the single-threaded results") {
  const std::vector<std::string> docs = {
      "The quick brown foxes were jumping over the lazy dogs in 2024.",
      "Les élèves étudient continuellement à l'université de Montréal.",
      "Die Häuser an der Straße sind über hundert Jahre alt.",
      "Книги о вавилонской башне лежат на столе.",
      "我们喜欢北京和上海。東京都に住んでいます。ภาษาไทยง่ายนิดเดียว",
  };
  std::vector<std::shared_ptr<const Analyzer>> analyzers;
  for (const char* lang : {"en", "fr", "de", "ru"}) {
    AnalyzerConfig c;
    c.language = lang;
    c.stopwords = true;
    analyzers.push_back(*Analyzer::create(c));
  }
  // expected[a][d]: analyzer a on doc d, computed on this thread.
  std::vector<std::vector<std::vector<Token>>> expected(analyzers.size());
  for (size_t a = 0; a < analyzers.size(); ++a) {
    for (const auto& d : docs) {
      std::vector<Token> t;
      analyzers[a]->analyze(d, &t);
      CHECK(!t.empty());
      expected[a].push_back(t);
    }
  }
  constexpr int kThreads = 6;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      std::vector<Token> t;
      for (int round = 0; round < 200; ++round) {
        size_t a = static_cast<size_t>(i + round) % analyzers.size();
        size_t d = static_cast<size_t>(round * 7 + i) % docs.size();
        analyzers[a]->analyze(docs[d], &t);
        if (t != expected[a][d]) ++mismatches[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kThreads; ++i) CHECK(mismatches[i] == 0);
}

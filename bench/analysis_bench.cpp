// analysis_bench FILE: throughput of Meridian's `en` analyzer with stemming.
//
// FILE is NDJSON (the "body" string of each object is analyzed) or plain text
// (each line is analyzed). The file is loaded before the clock starts; the
// time covers analyze() only. Prints one JSON object:
//   {"bytes":N,"seconds":S,"mb_per_s":M,"tokens":T,"docs":D,"cpu_seconds":C}   (MB = 10^6 bytes)
// Exit 2 on usage or I/O errors. scripts/bench relies on this CLI and output.
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "meridian/analysis/analyzer.h"
#include "meridian/base/json.h"

namespace {

// The texts of FILE: NDJSON "body" fields, or the lines of a plain file.
bool load_texts(const char* path, std::vector<std::string>* texts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '{') {
      auto j = meridian::parse_json(line);
      if (j.is_ok()) {
        const meridian::Json* body = j->find("body");
        if (body != nullptr && body->is_string()) texts->push_back(body->as_string());
        continue;
      }
    }
    texts->push_back(std::move(line));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: analysis_bench FILE   (NDJSON with \"body\" fields, or plain text)\n");
    return 2;
  }
  std::vector<std::string> texts;
  if (!load_texts(argv[1], &texts)) {
    std::fprintf(stderr, "analysis_bench: cannot read %s\n", argv[1]);
    return 2;
  }
  meridian::analysis::AnalyzerConfig cfg;  // en, stem, accent folding, no stopwords
  auto analyzer = meridian::analysis::Analyzer::create(cfg);
  if (!analyzer.is_ok()) {
    std::fprintf(stderr, "analysis_bench: %s\n", analyzer.status().to_string().c_str());
    return 2;
  }
  std::vector<meridian::analysis::Token> tokens;
  size_t bytes = 0;
  size_t count = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  for (const auto& t : texts) {
    (*analyzer)->analyze(t, &tokens);
    bytes += t.size();
    count += tokens.size();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  std::printf(
        "{\"bytes\":%zu,\"seconds\":%.6f,\"mb_per_s\":%.2f,\"tokens\":%zu,\"docs\":%zu,"
        "\"cpu_seconds\":%.6f}\n",
        bytes, secs, secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0, count, texts.size(), cpu);
  return 0;
}

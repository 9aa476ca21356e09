// xapian_termgen FILE: the same workload as analysis_bench, done by Xapian's
// TermGenerator with Xapian::Stem("en") (its default STEM_SOME strategy:
// unstemmed terms with positions plus "Z"-prefixed stems), one fresh
// Xapian::Document per text, as an indexer would. Prints
//   {"bytes":N,"seconds":S,"mb_per_s":M,"tokens":T,"docs":D,"cpu_seconds":C}
// where tokens is the number of word positions Xapian assigned.
#include <xapian.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "meridian/base/json.h"

namespace {

// The texts of FILE: NDJSON "body" fields, or the lines of a plain file
// (same rules as analysis_bench).
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
    std::fprintf(stderr, "usage: xapian_termgen FILE   (NDJSON with \"body\" fields, or plain text)\n");
    return 2;
  }
  std::vector<std::string> texts;
  if (!load_texts(argv[1], &texts)) {
    std::fprintf(stderr, "xapian_termgen: cannot read %s\n", argv[1]);
    return 2;
  }
  try {
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem("en"));
    size_t bytes = 0;
    size_t count = 0;
    auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
    for (const auto& t : texts) {
      Xapian::Document doc;
      tg.set_document(doc);
      tg.set_termpos(0);
      tg.index_text(t);
      bytes += t.size();
      count += tg.get_termpos();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    std::printf(
        "{\"bytes\":%zu,\"seconds\":%.6f,\"mb_per_s\":%.2f,\"tokens\":%zu,\"docs\":%zu,"
        "\"cpu_seconds\":%.6f}\n",
        bytes, secs, secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0, count, texts.size(), cpu);
  } catch (const Xapian::Error& e) {
    std::fprintf(stderr, "xapian_termgen: %s\n", e.get_description().c_str());
    return 2;
  }
  return 0;
}

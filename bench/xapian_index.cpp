// Peer for the `index` benchmark suite: builds a Xapian index from an NDJSON text corpus.
//
//   xapian_index FILE [--db DIR]
//
// Every line of FILE is a JSON object with "title" and "body" strings
// (datasets/*/text.ndjson). Each line becomes one Xapian document: a
// TermGenerator with the English stemmer (STEM_SOME, positions on) indexes the
// title (also under prefix "S") and the body; the JSON line is the document
// data, as Meridian keeps the source. The NDJSON is parsed (simdjson) before the
// clock starts; `seconds` covers add_document for every document plus the final
// commit(). Prints one JSON line:
//   {"engine":"xapian","docs":..,"bytes":..,"seconds":..,"docs_per_s":..,
//    "mb_per_s":..,"index_bytes":..,"xapian_version":".."}
// bytes = UTF-8 bytes of title+body, MB = 1e6 bytes, index_bytes = the size of
// every file in the database directory after commit. Without --db the database
// lives in a fresh temporary directory that is removed at exit.
//
// Single-threaded, standalone benchmark program: no Meridian code is used.
#include <xapian.h>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Doc {
  std::string title;
  std::string body;
  std::string line;
};

// Reads FILE as NDJSON; returns false (after printing why) on a bad line.
bool load_docs(const std::string& path, std::vector<Doc>& docs) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "xapian_index: cannot open %s\n", path.c_str());
    return false;
  }
  simdjson::ondemand::parser parser;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    Doc d;
    d.line = line;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
      std::fprintf(stderr, "xapian_index: %s:%zu: not JSON\n", path.c_str(), line_no);
      return false;
    }
    std::string_view sv;
    if (doc["title"].get_string().get(sv) == simdjson::SUCCESS) d.title = sv;
    if (doc["body"].get_string().get(sv) == simdjson::SUCCESS) {
      d.body = sv;
    } else {
      std::fprintf(stderr, "xapian_index: %s:%zu: no \"body\" string\n", path.c_str(),
                   line_no);
      return false;
    }
    docs.push_back(std::move(d));
  }
  return true;
}

uint64_t dir_bytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

int run(const std::string& file, std::filesystem::path db_dir, bool remove_after) {
  std::vector<Doc> docs;
  if (!load_docs(file, docs)) return 1;
  uint64_t bytes = 0;
  for (const auto& d : docs) bytes += d.title.size() + d.body.size();

  auto start = std::chrono::steady_clock::now();
  {
    Xapian::WritableDatabase db(db_dir.string(), Xapian::DB_CREATE_OR_OVERWRITE);
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem("english"));
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    for (const auto& d : docs) {
      Xapian::Document xd;
      tg.set_document(xd);
      tg.index_text(d.title, 1, "S");
      tg.index_text(d.title);
      tg.increase_termpos();
      tg.index_text(d.body);
      xd.set_data(d.line);
      db.add_document(xd);
    }
    db.commit();
    db.close();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t index_bytes = dir_bytes(db_dir);
  if (remove_after) std::filesystem::remove_all(db_dir);

  std::printf(
      "{\"engine\": \"xapian\", \"docs\": %zu, \"bytes\": %llu, \"seconds\": %.4f, "
      "\"docs_per_s\": %.1f, \"mb_per_s\": %.3f, \"index_bytes\": %llu, "
      "\"xapian_version\": \"%s\"}\n",
      docs.size(), static_cast<unsigned long long>(bytes), seconds,
      seconds > 0 ? docs.size() / seconds : 0.0, seconds > 0 ? bytes / 1e6 / seconds : 0.0,
      static_cast<unsigned long long>(index_bytes), Xapian::version_string());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  std::string db;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--db" && i + 1 < argc) {
      db = argv[++i];
    } else if (file.empty() && !a.empty() && a[0] != '-') {
      file = a;
    } else {
      file.clear();
      break;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "usage: xapian_index FILE.ndjson [--db DIR]\n");
    return 2;
  }
  bool remove_after = db.empty();
  std::filesystem::path db_dir = db;
  try {
    if (remove_after) {
      char tmpl[] = "/tmp/xapian-index-XXXXXX";
      if (mkdtemp(tmpl) == nullptr) {
        std::perror("xapian_index: mkdtemp");
        return 1;
      }
      db_dir = tmpl;
    }
    int rc = run(file, db_dir, remove_after);
    if (rc == 0) return 0;
  } catch (const Xapian::Error& e) {
    std::fprintf(stderr, "xapian_index: %s\n", e.get_description().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xapian_index: %s\n", e.what());
  }
  if (remove_after) {  // a failed run leaves no temporary database behind
    std::error_code ec;
    std::filesystem::remove_all(db_dir, ec);
  }
  return 1;
}

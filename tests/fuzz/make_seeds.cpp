// Writes the binary seed files of tests/fuzz/corpus/ with Meridian's own
// writers: a real index built from the sample datasets (its segment files,
// manifest and WAL), plus small hand-made files of each format that reach
// the cases a small sample misses (one-term blocks, full postings records of
// more than 128 documents, raw and zstd store blocks, every column kind,
// multi-valued columns, two WAL files).
//
//   make_seeds <corpus dir> <datasets/samples dir>
//
// Text seeds (queries, JSON, CSV, Debezium events) are written by hand and
// committed as they are; this program only writes the binary ones.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "meridian/base/file.h"
#include "meridian/columns/columns_writer.h"
#include "meridian/index/index.h"
#include "meridian/index/manifest.h"
#include "meridian/index/wal.h"
#include "meridian/postings/postings_writer.h"
#include "meridian/store/store_writer.h"
#include "meridian/termdict/term_dict_writer.h"

using namespace meridian;

namespace {

std::string g_out;

void die(const std::string& what) {
  std::fprintf(stderr, "make_seeds: %s\n", what.c_str());
  std::exit(1);
}

void check(const Status& st) {
  if (!st.is_ok()) die(st.message());
}

void put_seed(const std::string& target, const std::string& name, const std::string& bytes) {
  std::string dir = fs::join(fs::join(g_out, target), "");
  check(fs::ensure_dir(dir));
  std::ofstream f(fs::join(dir, name), std::ios::binary);
  f << bytes;
  if (!f) die("cannot write " + name);
}

std::string read(const std::string& path) {
  auto r = fs::read_file(path);
  if (!r) die(r.status().message());
  return *r;
}

std::vector<Json> sample_docs(const std::string& path, size_t n) {
  std::ifstream in(path);
  std::vector<Json> docs;
  std::string line;
  while (docs.size() < n && std::getline(in, line)) {
    auto j = parse_json(line);
    if (!j) die(path + ": " + j.status().message());
    // Keep text bodies short: seeds should be small files.
    if (Json* body = j->find("body"); body && body->is_string() && body->as_string().size() > 300)
      *body = Json(body->as_string().substr(0, 300));
    docs.push_back(std::move(*j));
  }
  return docs;
}

// A committed index of a few cities or texts: its segment files, manifest and
// (with more writes after the commit) its WAL.
void index_seeds(const std::string& samples, const std::string& dataset, const std::string& schema_json,
                 size_t n) {
  std::string tmp = "/tmp/meridian-seeds-" + dataset;
  check(fs::remove_all(tmp));
  auto schema = index::Schema::from_json(*parse_json(schema_json));
  if (!schema) die(schema.status().message());
  index::IndexOptions opt;
  opt.background = false;
  opt.commit_interval_ms = 0;
  auto idx = index::Index::open(tmp, dataset, opt, &*schema);
  if (!idx) die(idx.status().message());
  auto docs = sample_docs(fs::join(samples, dataset + ".ndjson"), n + 3);
  for (size_t i = 0; i < n; ++i)
    if (auto r = (*idx)->put(docs[i]); !r) die(r.status().message());
  check((*idx)->commit());
  auto names = fs::list_dir(tmp);
  if (!names) die(names.status().message());
  for (const auto& name : *names) {
    std::string path = fs::join(tmp, name);
    auto ends = [&](const char* s) { return name.size() > std::strlen(s) && name.ends_with(s); };
    if (ends(".terms")) put_seed("termdict", dataset + ".terms", read(path));
    if (ends(".post")) put_seed("postings", dataset + ".post", read(path));
    if (ends(".cols")) put_seed("columns", dataset + ".cols", read(path));
    if (ends(".store")) put_seed("store", dataset + ".store", read(path));
    if (name.starts_with("MANIFEST-")) put_seed("manifest", dataset + ".manifest", read(path));
  }
  // Uncommitted writes of every record type stay in the WAL.
  for (size_t i = n; i < docs.size(); ++i)
    if (auto r = (*idx)->put(docs[i]); !r) die(r.status().message());
  if (auto r = (*idx)->remove(docs[0].find("id")->dump()); !r) die(r.status().message());
  check((*idx)->set_source_position("postgres:main", "22817608,3"));
  auto wals = index::list_wal_files(tmp);
  if (!wals || wals->empty()) die("no WAL file");
  std::string wal = read(wals->back().second);
  put_seed("wal", dataset + ".wal", std::string("\x00\x00", 2) + wal);
  put_seed("wal", dataset + "-fixed.wal", std::string("\x02\x00", 2) + wal);
  idx->reset();
  check(fs::remove_all(tmp));
}

void termdict_seeds() {
  for (uint32_t block : {1u, 4u}) {
    termdict::TermDictWriter w(block);
    const char* terms[] = {"", "name\0paris", "name\0parish", "name\0park", "pop\0\x80\0\0\0\0\0\0\x01", "zz"};
    size_t lens[] = {0, 10, 11, 9, 12, 2};
    for (size_t i = 0; i < 6; ++i) check(w.add(std::string_view(terms[i], lens[i]), i * 100));
    put_seed("termdict", "block" + std::to_string(block) + ".terms", w.finish());
  }
  termdict::TermDictWriter empty;
  put_seed("termdict", "empty.terms", empty.finish());
}

void postings_seeds() {
  postings::PostingsWriter w;
  std::vector<uint32_t> docs, freqs, pos, lengths(400, 7);
  for (uint32_t d = 0; d < 300; d += 2) {
    docs.push_back(d);
    freqs.push_back(1 + d % 3);
    for (uint32_t k = 0; k < 1 + d % 3; ++k) pos.push_back(k * 2);
  }
  w.add_term(docs, freqs, pos, lengths.data());  // full record: 150 docs, positions
  w.add_term(std::vector<uint32_t>{3, 9, 200}, std::vector<uint32_t>{1, 2, 1}, std::vector<uint32_t>{0, 1, 5, 4},
             lengths.data());                   // short record, positions
  w.add_term(std::vector<uint32_t>{5}, std::vector<uint32_t>{1}, {}, nullptr);  // short, no positions
  w.add_term(docs, freqs, {}, nullptr);         // full record, no positions, no lengths
  put_seed("postings", "mixed.post", w.finish());
  postings::PostingsWriter empty;
  put_seed("postings", "empty.post", empty.finish());
}

void columns_seeds() {
  columns::ColumnsWriter w;
  for (uint32_t d = 0; d < 12; ++d) {
    w.add_int("pop", d, 1000 * d - 3000);
    if (d % 3) w.add_int("tags_n", d, d);
    if (d % 3 == 1) w.add_int("tags_n", d, d + 1);  // multi-valued
    w.add_double("score", d, d * 0.25 - 1);
    w.add_keyword("country", d, d % 2 ? "FR" : "DE");
    if (d % 4 == 0) w.add_keyword("tag", d, "t" + std::to_string(d));
    w.add_geo("location", d, 48.0 + d * 0.01, 2.0 - d * 0.02);
    w.set_norm("title", d, 3 + d % 5);
  }
  put_seed("columns", "kinds.cols", w.finish(12));
  columns::ColumnsWriter empty;
  put_seed("columns", "empty.cols", empty.finish(0));
}

void store_seeds() {
  store::StoreWriter w(1, 64);  // tiny blocks: many of them
  for (int i = 0; i < 10; ++i) w.add(R"({"id":)" + std::to_string(i) + R"(,"name":"city number )" + std::to_string(i) + R"("})");
  w.add("");
  put_seed("store", "blocks.store", w.finish());
  store::StoreWriter raw(1, 4096);  // incompressible: raw blocks
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 200; ++i) noise.push_back(static_cast<char>((x = x * 1103515245 + 12345) >> 24));
  raw.add(noise);
  raw.add("{}");
  put_seed("store", "raw.store", raw.finish());
  store::StoreWriter empty;
  put_seed("store", "empty.store", empty.finish());
}

void wal_seeds() {
  std::string tmp = "/tmp/meridian-seeds-wal";
  check(fs::remove_all(tmp));
  check(fs::ensure_dir(tmp));
  auto w1 = index::WalWriter::create(tmp, 1);
  if (!w1) die(w1.status().message());
  check((*w1)->append(1, index::WalRecordType::kPut, R"({"id":"a","n":1})"));
  check((*w1)->append(2, index::WalRecordType::kDelete, "a"));
  std::string first = read((*w1)->path());
  auto w2 = index::WalWriter::create(tmp, 3);
  if (!w2) die(w2.status().message());
  check((*w2)->append(3, index::WalRecordType::kTruncate, ""));
  check((*w2)->append(4, index::WalRecordType::kPosition, std::string("\x04src1") + "17,2"));
  std::string second = read((*w2)->path());
  uint32_t split = static_cast<uint32_t>(first.size());
  std::string two("\x01\x00", 2);
  two.append(reinterpret_cast<const char*>(&split), 4);
  put_seed("wal", "two-files.wal", two + first + second);
  w1->reset();
  w2->reset();
  check(fs::remove_all(tmp));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) die("usage: make_seeds <corpus dir> <datasets/samples dir>");
  g_out = argv[1];
  index_seeds(argv[2], "cities",
              R"({"id_field": "id", "fields": {"id": "int", "name": "text", "alt_name": "text", "country": "keyword",
                  "admin_code": "keyword", "feature_code": "keyword", "population": "int", "location": "geo_point"}})",
              8);
  index_seeds(argv[2], "text", R"({"id_field": "id", "fields": {"title": "text", "body": {"type": "text", "language": "en"}}})",
              4);
  termdict_seeds();
  postings_seeds();
  columns_seeds();
  store_seeds();
  wal_seeds();
  return 0;
}

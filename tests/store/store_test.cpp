#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "meridian/base/crc32c.h"
#include "meridian/base/file_frame.h"
#include "meridian/store/store_reader.h"
#include "meridian/store/store_writer.h"

using namespace meridian;
using namespace meridian::store;

namespace {

// Exactly sized heap copy, so that ASan catches reads past the end.
struct ExactBuf {
  explicit ExactBuf(std::string_view s) : p(new char[s.size() ? s.size() : 1]), n(s.size()) {
    std::memcpy(p.get(), s.data(), s.size());
  }
  std::string_view view() const { return {p.get(), n}; }
  std::unique_ptr<char[]> p;
  size_t n;
};

std::string random_json(std::mt19937_64& rng) {
  static const char* words[] = {"alpha", "beta", "gamma", "Zürich", "東京", "search", "engine",
                                "segment", "quoted \\\"x\\\"", "🙂"};
  std::string s = "{\"id\":" + std::to_string(rng() % 100000) + ",\"text\":\"";
  for (int i = static_cast<int>(rng() % 40); i > 0; --i) s += std::string(words[rng() % 10]) + " ";
  return s + "\"}";
}

std::vector<std::string> sample_docs(uint32_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> docs;
  for (uint32_t i = 0; i < n; ++i) docs.push_back(rng() % 13 == 0 ? std::string() : random_json(rng));
  return docs;
}

std::string write_store(const std::vector<std::string>& docs, int level = 3) {
  StoreWriter w(level);
  for (const auto& d : docs) w.add(d);
  CHECK(w.num_docs() == docs.size());
  return w.finish();
}

StoreReader open_ok(const std::string& file) {
  auto r = StoreReader::open(file, "test.sto");
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}
StoreReader open_ok(std::string&&) = delete;  // the bytes must outlive the reader

}  // namespace

TEST_CASE("store: 10k random docs with empty ones and a 1 MB doc round-trip") {
  std::vector<std::string> docs = sample_docs(10000, 1);
  std::mt19937_64 rng(2);
  std::string big(1 << 20, '\0');
  for (char& c : big) c = static_cast<char>('a' + rng() % 26);
  docs[5000] = big;
  docs[0] = "";
  docs.back() = "";
  std::string file = write_store(docs);
  StoreReader r = open_ok(file);
  REQUIRE(r.num_docs() == docs.size());
  CHECK(r.num_blocks() > 10);
  for (uint32_t d = 0; d < docs.size(); ++d) {
    auto got = r.get(d);
    REQUIRE(got.is_ok());
    REQUIRE(*got == docs[d]);
  }
  std::string out;
  for (int k = 0; k < 3000; ++k) {  // random access jumps between blocks
    uint32_t d = static_cast<uint32_t>(rng() % docs.size());
    REQUIRE(r.get_to(d, &out).is_ok());
    REQUIRE(out == docs[d]);
  }
  CHECK(r.verify().is_ok());
}

TEST_CASE("store: an empty store opens and every get is NotFound") {
  StoreWriter w;
  std::string file = w.finish();
  StoreReader r = open_ok(file);
  CHECK(r.num_docs() == 0);
  CHECK(r.num_blocks() == 0);
  CHECK(r.get(0).status().code() == Status::Code::kNotFound);
  CHECK(r.verify().is_ok());
}

TEST_CASE("store: a doc id past the end is NotFound naming the file") {
  std::string file = write_store({"{}", "{\"a\":1}"});
  StoreReader r = open_ok(file);
  CHECK(*r.get(1) == "{\"a\":1}");
  auto st = r.get(2).status();
  CHECK(st.code() == Status::Code::kNotFound);
  CHECK(st.message().find("test.sto") != std::string::npos);
  CHECK(r.get(UINT32_MAX).status().code() == Status::Code::kNotFound);
}

TEST_CASE("store: incompressible sources are stored raw and read back") {
  std::mt19937_64 rng(4);
  std::vector<std::string> docs(40);
  for (auto& d : docs) {
    d.resize(1000 + rng() % 2000);
    for (char& c : d) c = static_cast<char>(rng());
  }
  std::string file = write_store(docs);
  CHECK(file.size() > 40 * 1000);
  StoreReader r = open_ok(file);
  for (uint32_t d = 0; d < docs.size(); ++d) CHECK(*r.get(d) == docs[d]);
  CHECK(r.verify().is_ok());
}

TEST_CASE("store: a block under 64 bytes is kept raw (no compression context) and reads back") {
  // A repetitive 40-byte source would shrink a little with zstd, but not
  // with zstd's frame around it: the block is stored as it is.
  std::vector<std::string> docs = {std::string(40, 'a'), std::string()};
  std::string file = write_store(docs);
  StoreReader r = open_ok(file);
  CHECK(*r.get(0) == docs[0]);
  CHECK(*r.get(1) == docs[1]);
  CHECK(r.verify().is_ok());
  CHECK(file.find(std::string(40, 'a')) != std::string::npos);  // raw bytes in the file
}

TEST_CASE("store: repetitive JSON compresses several times") {
  std::vector<std::string> docs = sample_docs(3000, 7);
  size_t raw = 0;
  for (const auto& d : docs) raw += d.size();
  std::string file = write_store(docs);
  MESSAGE("synthetic JSON: " << raw << " -> " << file.size() << " bytes");
  CHECK(file.size() * 3 < raw);
}

TEST_CASE("store: blocks hold about 8 KiB of source, or the writer's block target") {
  std::vector<std::string> docs(1000, std::string(1000, 'x'));
  std::string file = write_store(docs);
  StoreReader r = open_ok(file);
  CHECK(r.num_blocks() == (1000 + 8) / 9);  // 9 docs reach 8 KiB
  StoreWriter w16(3, 16 * 1024);
  for (const auto& d : docs) w16.add(d);
  std::string file16 = w16.finish();
  StoreReader r16 = open_ok(file16);
  CHECK(r16.num_blocks() == (1000 + 16) / 17);  // 17 docs reach 16 KiB
  for (uint32_t d = 0; d < docs.size(); d += 37) CHECK(*r16.get(d) == docs[d]);
}

TEST_CASE("store: several threads reading at once get the right docs") {
  std::vector<std::string> docs = sample_docs(5000, 9);
  std::string file = write_store(docs);
  StoreReader r = open_ok(file);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      std::string out;
      for (int k = 0; k < 4000; ++k) {
        uint32_t d = static_cast<uint32_t>(rng() % docs.size());
        if (!r.get_to(d, &out).is_ok() || out != docs[d]) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}

TEST_CASE("store: the per-thread block cache never mixes two readers") {
  std::vector<std::string> a = {"from a 0", "from a 1"}, b = {"from b 0", "from b 1"};
  std::string fa = write_store(a), fb = write_store(b);
  StoreReader ra = open_ok(fa), rb = open_ok(fb);
  for (int k = 0; k < 4; ++k) {
    CHECK(*ra.get(k % 2) == a[k % 2]);
    CHECK(*rb.get(k % 2) == b[k % 2]);
  }
  // A reader destroyed and a new one opened (possibly at the same address)
  // over different bytes must not see the old cached block.
  for (int k = 0; k < 3; ++k) {
    std::string f = write_store({"round " + std::to_string(k)});
    auto r = StoreReader::open(f, "x");
    REQUIRE(r.is_ok());
    CHECK(*r->get(0) == "round " + std::to_string(k));
  }
}

TEST_CASE("store: every truncation is reported as corruption") {
  std::string file = write_store(sample_docs(80, 3));
  for (size_t n = 0; n < file.size(); ++n) {
    ExactBuf buf(std::string_view(file).substr(0, n));
    auto r = StoreReader::open(buf.view(), "cut.sto");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
  }
}

namespace {
// Opens and reads every doc; false only on a silent wrong answer. Counts
// how the damage was noticed.
bool error_or_correct(std::string_view file, const std::vector<std::string>& docs, int* at_open,
                      int* at_get) {
  ExactBuf buf(file);
  auto r = StoreReader::open(buf.view(), "bad.sto");
  if (!r.is_ok()) {
    ++*at_open;
    return r.status().code() == Status::Code::kCorruption &&
           r.status().message().find("bad.sto") != std::string::npos;
  }
  if (r->num_docs() != docs.size()) return false;
  bool noticed = false;
  for (uint32_t d = 0; d < docs.size(); ++d) {
    auto got = r->get(d);
    if (!got.is_ok()) {
      noticed = true;
      const std::string& m = got.status().message();
      if (got.status().code() != Status::Code::kCorruption || m.find("bad.sto: block ") != 0 ||
          m.find(" at offset ") == std::string::npos)
        return false;
    } else if (*got != docs[d]) {
      return false;
    }
  }
  *at_get += noticed;
  return true;
}
}  // namespace

TEST_CASE("store: a bit flip in any byte gives an error or the right data") {
  std::vector<std::string> docs = sample_docs(80, 3);
  std::string file = write_store(docs);
  int at_open = 0, at_get = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    for (int bit : {0, 5}) {
      std::string bad = file;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      REQUIRE_MESSAGE(error_or_correct(bad, docs, &at_open, &at_get), "flip at " << i);
    }
  }
  CHECK(at_open > 0);
  CHECK(at_get > 0);
}

TEST_CASE("store: a re-framed damaged body never crashes") {
  // With a valid frame around it, the index and block checks must catch it.
  std::vector<std::string> docs = sample_docs(80, 3);
  std::string file = write_store(docs);
  std::string body = file.substr(kFrameHeaderSize, file.size() - kFrameHeaderSize - kFrameFooterSize);
  int at_open = 0, at_get = 0;
  for (size_t n = 0; n < body.size(); ++n)
    REQUIRE(error_or_correct(frame_file(fourcc("MSTO"), 1, body.substr(0, n)), docs, &at_open, &at_get));
  for (size_t i = 0; i < body.size(); ++i) {
    std::string bad = body;
    bad[i] = static_cast<char>(bad[i] ^ 0x21);
    REQUIRE(error_or_correct(frame_file(fourcc("MSTO"), 1, bad), docs, &at_open, &at_get));
  }
}

TEST_CASE("store: a damaged block fails only the docs stored in it") {
  std::vector<std::string> docs(100, std::string(500, 'y'));
  for (uint32_t d = 0; d < docs.size(); ++d) docs[d] += std::to_string(d);
  std::string file = write_store(docs);
  StoreReader probe = open_ok(file);
  REQUIRE(probe.num_blocks() >= 3);
  std::string bad = file;
  bad[kFrameHeaderSize + 10] ^= 0x01;  // inside block 0's compressed bytes
  auto r = StoreReader::open(bad, "seg1.sto");
  REQUIRE(r.is_ok());
  Status st = r->get(0).status();
  CHECK(st.code() == Status::Code::kCorruption);
  CHECK(st.message().rfind("seg1.sto: block 0 at offset 32: ", 0) == 0);
  CHECK(*r->get(99) == docs[99]);
  CHECK_FALSE(r->verify().is_ok());
}

namespace {

// The body of a store file with its trailer's num_docs (and, for entry 0,
// the block offset) replaced and the index CRC recomputed, re-framed: a
// damage that every checksum agrees with, as a writer bug would make it.
std::string forge_store(const std::string& file, uint32_t num_docs, std::optional<uint64_t> block0_offset) {
  std::string body = file.substr(kFrameHeaderSize, file.size() - kFrameHeaderSize - kFrameFooterSize);
  size_t t = body.size() - 24;
  uint64_t index_off;
  std::memcpy(&index_off, body.data() + t + 8, 8);
  std::memcpy(body.data() + t, &num_docs, 4);
  if (block0_offset) std::memcpy(body.data() + index_off + 8, &*block0_offset, 8);
  uint32_t crc = crc32c::mask(crc32c::value(body.data() + index_off, t - index_off + 16));
  std::memcpy(body.data() + t + 16, &crc, 4);
  return frame_file(fourcc("MSTO"), 1, body);
}

}  // namespace

TEST_CASE("store: an inconsistent block index entry is corruption naming the file") {
  // Found by tests/fuzz (store): the message lost the file name.
  std::string bad = forge_store(write_store(sample_docs(20, 4)), 20, uint64_t{7});
  auto r = StoreReader::open(ExactBuf(bad).view(), "seg9.store");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::kCorruption);
  CHECK(r.status().message().rfind("seg9.store at offset ", 0) == 0);
  CHECK(r.status().message().find("block index entry 0 is inconsistent") != std::string::npos);
}

TEST_CASE("store: a block claiming more documents than it has bytes is refused at open") {
  // Found by tests/fuzz (store): a trailer with num_docs near 2^32 made every
  // get() of the last block loop over billions of documents.
  std::string bad = forge_store(write_store(sample_docs(20, 5)), 0x3f000000u, std::nullopt);
  ExactBuf buf(bad);
  auto r = StoreReader::open(buf.view(), "seg9.store");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::kCorruption);
  CHECK(r.status().message().find("seg9.store at offset ") == 0);
  CHECK(r.status().message().find("holds more documents than bytes") != std::string::npos);
}

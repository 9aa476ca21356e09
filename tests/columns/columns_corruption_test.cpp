// Damaged columns files: every outcome must be an error or the right data,
// never a crash or a silent wrong answer. Buffers are copied into exactly
// sized heap blocks so that ASan catches any read past the end.
#include <doctest/doctest.h>

#include <ctime>
#include <memory>
#include <random>

#include "../../src/columns/column_loader.h"
#include "columns_oracle.h"
#include "meridian/base/bytes.h"
#include "meridian/base/file_frame.h"

using namespace meridian;
using namespace meridian::columns;

namespace {

struct ExactBuf {
  explicit ExactBuf(std::string_view s) : p(new char[s.size() ? s.size() : 1]), n(s.size()) {
    std::memcpy(p.get(), s.data(), s.size());
  }
  std::string_view view() const { return {p.get(), n}; }
  std::unique_ptr<char[]> p;
  size_t n;
};

Oracle small_oracle() {
  std::mt19937_64 rng(3);
  return random_oracle(rng, 6);
}

// Open and read everything; returns false only on a silent wrong answer.
bool error_or_correct(std::string_view file, const Oracle& o) {
  ExactBuf buf(file);
  auto r = ColumnsReader::open(buf.view(), "bad.col");
  if (!r.is_ok()) {
    CHECK(r.status().code() == Status::Code::kCorruption);
    CHECK(r.status().message().find("bad.col") != std::string::npos);
    return true;
  }
  return matches(*r, o, /*allow_missing=*/true);
}

}  // namespace

TEST_CASE("columns corruption: a bit flip in any byte gives an error or the right data") {
  Oracle o = small_oracle();
  std::mt19937_64 rng(9);
  std::string file = o.write(rng);
  REQUIRE(file.size() < 4096);
  int detected_by_open = 0, detected_lazily = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    for (int bit : {0, 3, 7}) {
      std::string bad = file;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      REQUIRE_MESSAGE(error_or_correct(bad, o), "flip at byte " << i << " bit " << bit);
      ExactBuf buf(bad);
      auto r = ColumnsReader::open(buf.view(), "bad.col");
      if (!r.is_ok()) { ++detected_by_open; continue; }
      // verify() sees every damage, including in the frame footer.
      CHECK_FALSE(r->verify().is_ok());
      matches(*r, o, true);
      detected_lazily += !r->status().is_ok();
    }
  }
  CHECK(detected_by_open > 0);
  CHECK(detected_lazily > 0);
}

TEST_CASE("columns corruption: every truncation is reported as corruption") {
  Oracle o = small_oracle();
  std::mt19937_64 rng(9);
  std::string file = o.write(rng);
  for (size_t n = 0; n < file.size(); ++n) {
    ExactBuf buf(std::string_view(file).substr(0, n));
    auto r = ColumnsReader::open(buf.view(), "cut.col");
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
  }
}

TEST_CASE("columns corruption: a re-framed truncated or damaged body never crashes") {
  // The frame is rebuilt around the damaged body, so the table and column
  // checks (not the frame) have to catch it.
  Oracle o = small_oracle();
  std::mt19937_64 rng(9);
  std::string file = o.write(rng);
  std::string body = file.substr(kFrameHeaderSize, file.size() - kFrameHeaderSize - kFrameFooterSize);
  for (size_t n = 0; n < body.size(); ++n)
    REQUIRE(error_or_correct(frame_file(fourcc("MCOL"), 1, body.substr(0, n)), o));
  for (size_t i = 0; i < body.size(); ++i) {
    std::string bad = body;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    REQUIRE(error_or_correct(frame_file(fourcc("MCOL"), 1, bad), o));
  }
}

TEST_CASE("columns corruption: a damaged column whose CRC matches is caught by the structural check") {
  // Bypass the CRC: feed damaged column bytes straight to the loader. Every
  // outcome must be an error or a view whose accessors stay in bounds.
  Oracle o = small_oracle();
  std::mt19937_64 rng(9);
  std::string file = o.write(rng);
  auto r = ColumnsReader::open(file, "ok.col");
  REQUIRE(r.is_ok());
  int rejected = 0, total = 0;
  for (const ColumnInfo& c : r->columns()) {
    std::string col = file.substr(c.offset, c.length);
    for (size_t i = 0; i < col.size(); ++i) {
      for (uint8_t x : {0x01, 0x80, 0xff}) {
        std::string bad = col;
        bad[i] = static_cast<char>(bad[i] ^ x);
        ExactBuf buf(bad);
        uint32_t nd = r->num_docs();
        Status st;
        size_t sink = 0;
        auto touch = [&](auto& view, auto&& read) {
          st = ColumnLoader::load(buf.view(), nd, c.stats, &view);
          if (st.is_ok()) for (uint32_t d = 0; d <= nd; ++d) sink += read(view, d);
        };
        switch (c.kind) {
          case ColumnKind::kInt: { IntColumn v; touch(v, [](auto& v, uint32_t d) { size_t s = 0; for (size_t k = 0; k < v.count(d); ++k) s += static_cast<size_t>(v.value(d, k)); return s; }); break; }
          case ColumnKind::kDouble: { DoubleColumn v; touch(v, [](auto& v, uint32_t d) { size_t s = 0; for (size_t k = 0; k < v.count(d); ++k) s += v.value(d, k) > 0; return s; }); break; }
          case ColumnKind::kKeyword: { KeywordColumn v; touch(v, [](auto& v, uint32_t d) { size_t s = 0; for (size_t k = 0; k < v.count(d); ++k) s += v.value_of(v.ord(d, k)).size(); return s; }); break; }
          case ColumnKind::kGeo: { GeoColumn v; touch(v, [](auto& v, uint32_t d) { size_t s = 0; for (size_t k = 0; k < v.count(d); ++k) s += v.lat(d, k) > v.lon(d, k); return s; }); break; }
          case ColumnKind::kNorms: { NormColumn v; touch(v, [](auto& v, uint32_t d) { return size_t{v.length(d)}; }); break; }
        }
        (void)sink;
        ++total;
        rejected += !st.is_ok();
      }
    }
  }
  CHECK(rejected > 0);
  CHECK(rejected < total);  // value bytes may change freely without breaking structure
}

TEST_CASE("columns corruption: wrong magic or version is rejected by name") {
  ColumnsWriter w;
  w.add_int("x", 0, 1);
  std::string file = w.finish(1);
  std::string bad = file;
  bad[0] = 'X';
  auto r = ColumnsReader::open(bad, "seg7.col");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("seg7.col") != std::string::npos);
  bad = file;
  bad[4] = 9;  // version 9
  CHECK_FALSE(ColumnsReader::open(bad, "seg7.col").is_ok());
}

TEST_CASE("columns corruption: a damaged column is nullptr and its error names file and column") {
  ColumnsWriter w;
  for (uint32_t d = 0; d < 50; ++d) {
    w.add_int("good", d, d);
    w.add_int("hurt", d, 1000 + d);
  }
  std::string file = w.finish(50);
  auto probe = ColumnsReader::open(file, "x");
  REQUIRE(probe.is_ok());
  const ColumnInfo* hurt = probe->info(ColumnKind::kInt, "hurt");
  REQUIRE(hurt);
  file[hurt->offset + hurt->length - 12] ^= 0x40;  // inside the packed values
  auto r = ColumnsReader::open(file, "seg3.col");
  REQUIRE(r.is_ok());  // lazy: the table is intact
  CHECK(r->status().is_ok());
  CHECK(r->int_column("good")->value(7) == 7);
  CHECK(r->int_column("hurt") == nullptr);
  CHECK(r->int_column("hurt") == nullptr);  // stays damaged, checked once
  Status st = r->status();
  CHECK(st.code() == Status::Code::kCorruption);
  CHECK(st.message().find("seg3.col") != std::string::npos);
  CHECK(st.message().find("'hurt'") != std::string::npos);
  CHECK(r->column_status(ColumnKind::kInt, "good").is_ok());
  CHECK(r->column_status(ColumnKind::kInt, "hurt").code() == Status::Code::kCorruption);
}

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

TEST_CASE("columns corruption: zero-bit arrays of 2^32 entries are checked without a loop per entry") {
  // Found by tests/fuzz (columns): a column of a few bytes claiming 2^32 - 1
  // documents with 0-bit offsets (or ordinals) took seconds to check, one
  // entry at a time, on every load.
  const uint32_t nd = UINT32_MAX;
  std::string geo;  // offsets layout, no values, 0-bit offsets
  ByteWriter g(&geo);
  g.u8(1);
  g.u64(0);
  g.u8(0);
  g.u64(0);
  std::string kw;  // dense, one empty dictionary value, 0-bit ordinals
  ByteWriter k(&kw);
  k.u8(0);
  k.u64(nd);
  k.u32(1);
  k.u8(0);
  k.u64(0);
  k.u64(0);
  k.u8(0);
  k.u64(0);
  double t0 = cpu_seconds();
  GeoColumn gv;
  ColumnStats gs;
  CHECK(ColumnLoader::load(ExactBuf(geo).view(), nd, gs, &gv).is_ok());
  CHECK(gv.count(nd - 1) == 0);
  geo[1] = 1;  // the value count no longer matches the table: still an error, not a loop
  gs.num_values = 1;
  CHECK_FALSE(ColumnLoader::load(ExactBuf(geo).view(), nd, gs, &gv).is_ok());
  KeywordColumn kv;
  ColumnStats ks;
  ks.num_values = nd;
  CHECK(ColumnLoader::load(ExactBuf(kw).view(), nd, ks, &kv).is_ok());
  CHECK(kv.value_of(kv.ord(nd - 1)).empty());
  CHECK(cpu_seconds() - t0 < 0.5);
}

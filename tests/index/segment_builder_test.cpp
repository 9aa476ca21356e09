#include "meridian/index/segment_builder.h"

#include <doctest/doctest.h>

#include <map>
#include <random>

#include "../test_util.h"
#include "meridian/geo/geo.h"
#include "meridian/index/document.h"
#include "meridian/index/segment.h"
#include "meridian/index/term_key.h"

using namespace meridian;
using namespace meridian::index;
using namespace std::string_literals;

namespace {

// term key -> doc -> freq
using Oracle = std::map<std::string, std::map<uint32_t, uint32_t>>;

Json point(double lat, double lon) {
  Json p = Json::object();
  p.set("lat", lat);
  p.set("lon", lon);
  return p;
}

// Every key of the segment that starts with `prefix`, with its docs and freqs.
Oracle read_range(const Segment& seg, const std::string& prefix) {
  Oracle got;
  for (auto it = seg.terms().lower_bound(prefix); it.valid() && it.term().starts_with(prefix); it.next()) {
    auto tp = seg.postings().term(it.value(), it.ordinal());
    REQUIRE(tp.is_ok());
    auto cur = tp->cursor();
    auto& docs = got[std::string(it.term())];
    tp->docs().for_each([&](uint32_t d) {
      REQUIRE(cur.next_geq(d) == d);
      docs[d] = cur.freq();
      return true;
    });
  }
  return got;
}

}  // namespace

TEST_CASE("segment builder: geo cell terms equal a brute-force map of every indexed level's cells to docs") {
  // Field names chosen so other fields' keys sort right around the geo
  // ranges: "g\0" < "geo\0" < "geo_x\0" < "geoa\0" (and "_exists", "_id").
  auto schema = Schema::from_json(*parse_json(R"({"fields": {"g": "text", "geo": "geo_point",
      "geo_x": "geo_point", "geoa": "keyword", "z": "int"}})"));
  REQUIRE(schema.is_ok());
  std::mt19937 rng(77);
  auto coord = [&](double span) { return (static_cast<double>(rng() % 2000001) / 1000000.0 - 1.0) * span; };
  Oracle want;
  std::map<std::string, uint32_t> keywords;
  SegmentBuilder b;
  TempDir dir;
  for (int i = 0; i < 3000; ++i) {
    Json d = Json::object();
    d.set("id", std::to_string(i % 2500));  // the last 500 replace earlier ids
    d.set("g", "word" + std::to_string(rng() % 50));
    d.set("geoa", "k" + std::to_string(rng() % 40));
    d.set("z", static_cast<int64_t>(rng() % 100));
    // A small area so cells are shared down to fine levels, plus a few far points.
    std::vector<std::pair<double, double>> pts;
    for (int k = 0, n = static_cast<int>(rng() % 4); k < n; ++k) {
      if (rng() % 10 == 0) pts.emplace_back(coord(89.9), coord(179.9));
      else pts.emplace_back(48.85 + coord(0.01), 2.35 + coord(0.01));
    }
    if (!pts.empty() && rng() % 5 == 0) pts.push_back(pts.front());  // two points of a doc in one cell
    if (!pts.empty()) {
      Json arr = Json::array();
      for (auto [lat, lon] : pts) arr.push(point(lat, lon));
      d.set(rng() % 3 ? "geo" : "geo_x", std::move(arr));
    }
    auto pd = parse_document(d, *schema, nullptr);
    REQUIRE(pd.is_ok());
    uint32_t doc = b.add(*pd, *schema);
    for (const FieldValues& fv : pd->fields) {
      for (const auto& p : fv.points) {
        uint64_t cell = geo::encode(p);
        for (int bits : geo::indexed_levels()) want[term_key(fv.name, geo::cell_term(cell, bits))][doc]++;
      }
    }
  }
  REQUIRE(b.write(dir.path(), 1, false).is_ok());
  auto seg = Segment::open(dir.path(), 1);
  REQUIRE(seg.is_ok());

  Oracle got = read_range(**seg, "geo\0"s);
  Oracle got_x = read_range(**seg, "geo_x\0"s);
  got.insert(got_x.begin(), got_x.end());
  CHECK(got.size() == want.size());
  CHECK(got == want);
  // The other fields around the geo ranges are all still there and in order.
  CHECK(read_range(**seg, "g\0"s).size() == 50);
  CHECK(read_range(**seg, "geoa\0"s).size() == 40);
  CHECK((*seg)->find_doc("2499").has_value());
  std::string prev;
  for (auto it = (*seg)->terms().begin(); it.valid(); it.next()) {
    CHECK(prev < std::string(it.term()));
    prev = std::string(it.term());
  }
}

TEST_CASE("segment builder: a term repeated in one doc (two values of a field) has one posting with every position") {
  auto schema = Schema::from_json(*parse_json(R"({"fields": {"t": "text", "k": "keyword"}})"));
  REQUIRE(schema.is_ok());
  auto tok = [](const char* text, uint32_t pos) { return analysis::Token{text, pos, 0, 1}; };
  ParsedDoc d0;
  d0.id = "d0";
  d0.source = R"({"id":"d0"})";
  FieldValues first, second, kw;
  first.name = second.name = "t";
  // "a" then "b": when the second value repeats "a", b's positions sit after
  // a's, so a's must move to stay contiguous.
  first.tokens = {tok("a", 0), tok("b", 1), tok("a", 2)};
  first.length = 3;
  second.tokens = {tok("c", 9), tok("a", 10)};
  second.length = 2;
  kw.name = "k";
  kw.keywords = {"x", "y", "x"};
  d0.fields = {first, second, kw};
  ParsedDoc d1 = d0;
  d1.id = "d1";
  d1.source = R"({"id":"d1"})";
  d1.fields = {second};
  SegmentBuilder b;
  REQUIRE(b.add(d0, *schema) == 0);
  REQUIRE(b.add(d1, *schema) == 1);
  TempDir dir;
  REQUIRE(b.write(dir.path(), 1, false).is_ok());
  auto seg = Segment::open(dir.path(), 1);
  REQUIRE(seg.is_ok());
  auto positions_of = [&](const std::string& key) {
    std::map<uint32_t, std::vector<uint32_t>> out;
    auto it = (*seg)->terms().lower_bound(key);
    REQUIRE(it.valid());
    REQUIRE(it.term() == key);
    auto tp = (*seg)->postings().term(it.value(), it.ordinal());
    REQUIRE(tp.is_ok());
    auto cur = tp->cursor();
    tp->docs().for_each([&](uint32_t d) {
      REQUIRE(cur.next_geq(d) == d);
      auto p = cur.positions();
      out[d].assign(p.begin(), p.end());
      CHECK(cur.freq() == p.size());
      return true;
    });
    return out;
  };
  CHECK(positions_of(term_key("t", "a")) == std::map<uint32_t, std::vector<uint32_t>>{{0, {0, 2, 10}}, {1, {10}}});
  CHECK(positions_of(term_key("t", "b")) == std::map<uint32_t, std::vector<uint32_t>>{{0, {1}}});
  CHECK(positions_of(term_key("t", "c")) == std::map<uint32_t, std::vector<uint32_t>>{{0, {9}}, {1, {9}}});
  Oracle want = {{term_key("k", "x"), {{0, 2}}}, {term_key("k", "y"), {{0, 1}}}};
  CHECK(read_range(**seg, term_key("k", "")) == want);
}

#include "meridian/index/segment_merger.h"

#include <doctest/doctest.h>

#include <random>

#include "../test_util.h"
#include "meridian/index/document.h"
#include "meridian/index/segment.h"
#include "meridian/index/segment_builder.h"

using namespace meridian;
using namespace meridian::index;

namespace {

const char* kWords[] = {"river", "rivers", "stone", "bridge", "old", "town", "north", "lake", "hill", "café",
                        "große", "straße", "new", "york", "paris"};

Json random_doc(std::mt19937& rng, int id) {
  auto word = [&] { return std::string(kWords[rng() % std::size(kWords)]); };
  Json d;
  d.set("id", id);
  std::string text;
  for (int i = 0, n = 1 + static_cast<int>(rng() % 12); i < n; ++i) text += (i ? " " : "") + word();
  d.set("title", text);
  if (rng() % 3) d.set("pop", static_cast<int64_t>(rng() % 100000) - 500);
  if (rng() % 2) d.set("score", static_cast<double>(rng() % 1000) / 7.0);
  if (rng() % 2) {
    Json tags = Json::array();
    for (int i = 0, n = static_cast<int>(rng() % 3); i < n; ++i) tags.push(Json(word()));
    d.set("tags", tags);
  }
  if (rng() % 4) {
    Json p;
    p.set("lat", static_cast<double>(rng() % 17000) / 100.0 - 85);
    p.set("lon", static_cast<double>(rng() % 35000) / 100.0 - 175);
    d.set("location", p);
  }
  if (rng() % 5 == 0) d.set("flag", rng() % 2 == 0);
  return d;
}

Schema schema() {
  auto s = Schema::from_json(*parse_json(R"({"fields": {"title": "text", "pop": "int", "score": "float",
      "tags": "keyword", "location": "geo_point", "flag": "bool"}})"));
  REQUIRE(s.is_ok());
  return *s;
}

std::shared_ptr<const Segment> build(const std::string& dir, uint64_t id, const std::vector<Json>& docs) {
  Schema s = schema();
  SegmentBuilder b;
  for (const auto& j : docs) {
    auto pd = parse_document(j, s, nullptr);
    REQUIRE(pd.is_ok());
    b.add(*pd, s);
  }
  REQUIRE(b.write(dir, id, false).is_ok());
  auto seg = Segment::open(dir, id);
  REQUIRE(seg.is_ok());
  return *seg;
}

// Every observable part of two segments must agree.
void check_equal(const Segment& want, const Segment& got) {
  REQUIRE(got.num_docs() == want.num_docs());
  // Meta.
  REQUIRE(got.meta().fields.size() == want.meta().fields.size());
  for (const auto& [name, f] : want.meta().fields) {
    auto it = got.meta().fields.find(name);
    REQUIRE(it != got.meta().fields.end());
    CHECK(it->second.type == f.type);
    CHECK(it->second.docs == f.docs);
    CHECK(it->second.sum_len == f.sum_len);
  }
  // Terms and postings.
  auto a = want.terms().begin();
  auto b = got.terms().begin();
  size_t terms = 0;
  for (; a.valid() && b.valid(); a.next(), b.next(), ++terms) {
    REQUIRE(std::string(a.term()) == std::string(b.term()));
    auto pa = want.postings().term(a.value());
    auto pb = got.postings().term(b.value());
    REQUIRE(pa.is_ok());
    REQUIRE(pb.is_ok());
    CHECK(pb->docs().to_vector() == pa->docs().to_vector());
    CHECK(pb->max_tf() == pa->max_tf());
    CHECK(pb->min_len() == pa->min_len());
    CHECK(pb->has_positions() == pa->has_positions());
    auto ca = pa->cursor();
    auto cb = pb->cursor();
    for (; ca.doc() != postings::PostingCursor::kEnd; ca.next(), cb.next()) {
      REQUIRE(cb.doc() == ca.doc());
      CHECK(cb.freq() == ca.freq());
      auto xa = ca.positions();
      auto xb = cb.positions();
      CHECK(std::vector<uint32_t>(xb.begin(), xb.end()) == std::vector<uint32_t>(xa.begin(), xa.end()));
    }
  }
  CHECK_FALSE(a.valid());
  CHECK_FALSE(b.valid());
  CHECK(terms > 20);
  // Columns, value by value.
  const auto& wc = want.columns();
  const auto& gc = got.columns();
  REQUIRE(gc.columns().size() == wc.columns().size());
  for (const auto& c : wc.columns()) {
    REQUIRE(gc.info(c.kind, c.field) != nullptr);
    for (uint32_t d = 0; d < want.num_docs(); ++d) {
      switch (c.kind) {
        case columns::ColumnKind::kInt: {
          const auto *x = wc.int_column(c.field), *y = gc.int_column(c.field);
          REQUIRE(y->count(d) == x->count(d));
          for (size_t k = 0; k < x->count(d); ++k) CHECK(y->value(d, k) == x->value(d, k));
          break;
        }
        case columns::ColumnKind::kDouble: {
          const auto *x = wc.double_column(c.field), *y = gc.double_column(c.field);
          REQUIRE(y->count(d) == x->count(d));
          for (size_t k = 0; k < x->count(d); ++k) CHECK(y->value(d, k) == x->value(d, k));
          break;
        }
        case columns::ColumnKind::kKeyword: {
          const auto *x = wc.keyword_column(c.field), *y = gc.keyword_column(c.field);
          REQUIRE(y->count(d) == x->count(d));
          for (size_t k = 0; k < x->count(d); ++k) CHECK(y->value_of(y->ord(d, k)) == x->value_of(x->ord(d, k)));
          break;
        }
        case columns::ColumnKind::kGeo: {
          const auto *x = wc.geo_column(c.field), *y = gc.geo_column(c.field);
          REQUIRE(y->count(d) == x->count(d));
          for (size_t k = 0; k < x->count(d); ++k) {
            CHECK(y->lat(d, k) == x->lat(d, k));
            CHECK(y->lon(d, k) == x->lon(d, k));
          }
          break;
        }
        case columns::ColumnKind::kNorms:
          CHECK(gc.norms(c.field)->length(d) == wc.norms(c.field)->length(d));
          break;
      }
    }
  }
  // Stored sources.
  std::string x, y;
  for (uint32_t d = 0; d < want.num_docs(); ++d) {
    REQUIRE(want.store().get_to(d, &x).is_ok());
    REQUIRE(got.store().get_to(d, &y).is_ok());
    CHECK(y == x);
  }
}

}  // namespace

TEST_CASE("segment merger: copying equals rebuilding from the live documents' sources") {
  TempDir dir;
  std::mt19937 rng(11);
  std::vector<std::vector<Json>> docs(3);
  int id = 0;
  for (size_t s = 0; s < docs.size(); ++s)
    for (int i = 0, n = s == 1 ? 700 : 150; i < n; ++i) docs[s].push_back(random_doc(rng, id++));
  std::vector<SegmentView> inputs;
  std::vector<Json> live;
  for (size_t s = 0; s < docs.size(); ++s) {
    SegmentView v;
    v.segment = build(dir.path(), s + 1, docs[s]);
    postings::Bitmap del;
    for (uint32_t d = 0; d < docs[s].size(); ++d) {
      if (rng() % 4 == 0 || (s == 2 && d < 40)) del.add(d);  // segment 3 loses its first 40
      else live.push_back(docs[s][d]);
    }
    if (!del.is_empty()) v.deletes = std::make_shared<const postings::Bitmap>(std::move(del));
    inputs.push_back(v);
  }
  auto merged = merge_segments_to(inputs, dir.path(), 10, false);
  REQUIRE(merged.is_ok());
  CHECK(merged->docs == live.size());
  REQUIRE(merged->origin.size() == live.size());
  CHECK(merged->origin.front().first == 1);
  CHECK(merged->origin.back().first == 3);
  auto got = Segment::open(dir.path(), 10);
  REQUIRE(got.is_ok());
  auto want = build(dir.path(), 20, live);
  check_equal(*want, **got);
}

TEST_CASE("segment merger: nothing live writes nothing; a damaged input is an error and leaves no files") {
  TempDir dir;
  std::mt19937 rng(5);
  std::vector<Json> docs;
  for (int i = 0; i < 50; ++i) docs.push_back(random_doc(rng, i));
  SegmentView v;
  v.segment = build(dir.path(), 1, docs);
  postings::Bitmap all = postings::Bitmap::from_range(0, 50);
  v.deletes = std::make_shared<const postings::Bitmap>(std::move(all));
  auto none = merge_segments_to({v}, dir.path(), 2, false);
  REQUIRE(none.is_ok());
  CHECK(none->docs == 0);
  CHECK_FALSE(fs::exists(segment_file(dir.path(), 2, "meta")));

  // A flipped byte inside a postings record: the merge reports it by file.
  std::string post_path = segment_file(dir.path(), 1, "post");
  auto bytes = fs::read_file(post_path);
  REQUIRE(bytes.is_ok());
  std::string bad = *bytes;
  bad[40] = static_cast<char>(bad[40] ^ 0x20);
  REQUIRE(fs::write_file_new(segment_file(dir.path(), 3, "post"), bad).is_ok());
  for (auto ext : {"meta", "terms", "cols", "store"}) {
    auto b = fs::read_file(segment_file(dir.path(), 1, ext));
    REQUIRE(fs::write_file_new(segment_file(dir.path(), 3, ext), *b).is_ok());
  }
  auto damaged = Segment::open(dir.path(), 3);
  REQUIRE(damaged.is_ok());
  SegmentView dv;
  dv.segment = *damaged;
  auto r = merge_segments_to({dv}, dir.path(), 4, false);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("seg-0000000003.post") != std::string::npos);
  CHECK_FALSE(fs::exists(segment_file(dir.path(), 4, "meta")));
  CHECK_FALSE(fs::exists(segment_file(dir.path(), 4, "terms")));
}

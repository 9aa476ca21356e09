#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "../test_util.h"
#include "columns_oracle.h"
#include "meridian/base/file.h"
#include "meridian/base/mapped_file.h"

using namespace meridian;
using namespace meridian::columns;

namespace {
ColumnsReader open_ok(const std::string& file) {
  auto r = ColumnsReader::open(file, "test.col");
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}
ColumnsReader open_ok(std::string&&) = delete;  // the bytes must outlive the reader
}  // namespace

TEST_CASE("columns: random columns of every kind read back as written") {
  for (uint32_t n : {1u, 2u, 7u, 100u, 3000u}) {
    std::mt19937_64 rng(n);
    Oracle o = random_oracle(rng, n);
    std::string file = o.write(rng);
    ColumnsReader r = open_ok(file);
    CHECK(matches(r, o));
    CHECK(r.status().is_ok());
    CHECK(r.verify().is_ok());
  }
}

TEST_CASE("columns: a segment with zero documents opens and has no values") {
  ColumnsWriter w;
  std::string file = w.finish(0);
  ColumnsReader r = open_ok(file);
  CHECK(r.num_docs() == 0);
  CHECK(r.columns().empty());
  CHECK(r.int_column("x") == nullptr);
  CHECK(r.keyword_column("x") == nullptr);
  CHECK(r.norms("x") == nullptr);
  CHECK(r.status().is_ok());
  CHECK(r.column_status(ColumnKind::kInt, "x").code() == Status::Code::kNotFound);
  CHECK(r.verify().is_ok());
}

TEST_CASE("columns: fields with values only on some docs report count 0 elsewhere") {
  ColumnsWriter w;
  w.add_int("n", 3, 42);
  w.add_keyword("k", 0, "x");
  w.add_geo("g", 4, 1.5, -2.5);
  w.add_double("d", 2, 0.25);
  std::string file = w.finish(5);
  ColumnsReader r = open_ok(file);
  const IntColumn* n = r.int_column("n");
  REQUIRE(n);
  for (uint32_t d = 0; d < 5; ++d) CHECK(n->has(d) == (d == 3));
  CHECK(n->first(2) == std::nullopt);
  CHECK(n->first(3) == 42);
  CHECK(n->value(3, 1) == 0);   // out of range index: defined, not UB
  CHECK(n->count(99) == 0);     // doc past the end
  CHECK(n->min() == 42);
  CHECK(n->max() == 42);
  CHECK(n->docs_with_value() == 1);
  CHECK(r.keyword_column("k")->count(1) == 0);
  CHECK(r.geo_column("g")->count(3) == 0);
  CHECK(r.geo_column("g")->lat(4) == 1.5);
  CHECK(r.geo_column("g")->lon(4) == -2.5);
  CHECK(r.double_column("d")->first(2) == 0.25);
  CHECK(r.double_column("d")->first(1) == std::nullopt);
}

TEST_CASE("columns: extreme int64 values survive frame-of-reference packing") {
  const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  ColumnsWriter w;
  int64_t vals[] = {lo, hi, 0, -1, 1, lo + 1, hi - 1};
  for (uint32_t d = 0; d < 7; ++d) w.add_int("x", d, vals[d]);
  w.add_int("only_min", 0, lo);
  w.add_int("only_max", 0, hi);
  std::string file = w.finish(7);
  ColumnsReader r = open_ok(file);
  const IntColumn* x = r.int_column("x");
  REQUIRE(x);
  for (uint32_t d = 0; d < 7; ++d) CHECK(x->value(d) == vals[d]);
  CHECK(x->min() == lo);
  CHECK(x->max() == hi);
  CHECK(x->sum() == doctest::Approx(-2.0));  // lo + hi + 0 - 1 + 1 + lo+1 + hi-1 = -2
  CHECK(r.int_column("only_min")->value(0) == lo);
  CHECK(r.int_column("only_max")->value(0) == hi);
}

TEST_CASE("columns: equal or evenly spaced ints pack into few bits") {
  ColumnsWriter w;
  for (uint32_t d = 0; d < 10000; ++d) {
    w.add_int("same", d, 123456789);
    w.add_int("millis", d, 1700000000000 + 1000 * int64_t{d % 16});  // gcd 1000, 4 bits
  }
  std::string file = w.finish(10000);
  CHECK(file.size() < 10000 / 2 + 400);  // 0 bits + 4 bits per value + overhead
  ColumnsReader r = open_ok(file);
  for (uint32_t d = 0; d < 10000; d += 37) {
    CHECK(r.int_column("same")->value(d) == 123456789);
    CHECK(r.int_column("millis")->value(d) == 1700000000000 + 1000 * int64_t{d % 16});
  }
}

TEST_CASE("columns: NaN doubles are dropped, infinities are stored and ordered") {
  const double inf = std::numeric_limits<double>::infinity();
  ColumnsWriter w;
  w.add_double("d", 0, std::nan(""));
  w.add_double("d", 1, inf);
  w.add_double("d", 1, std::nan(""));
  w.add_double("d", 1, 2.0);
  w.add_double("d", 2, -inf);
  w.add_double("d", 3, -0.0);
  std::string file = w.finish(4);
  ColumnsReader r = open_ok(file);
  const DoubleColumn* d = r.double_column("d");
  REQUIRE(d);
  CHECK(d->count(0) == 0);
  CHECK(d->count(1) == 2);
  CHECK(d->value(1, 0) == inf);
  CHECK(d->value(1, 1) == 2.0);
  CHECK(d->value(2) == -inf);
  CHECK(std::signbit(d->value(3)));
  CHECK(d->min() == -inf);
  CHECK(d->max() == inf);
  CHECK(d->docs_with_value() == 3);
  CHECK(d->num_values() == 4);
}

TEST_CASE("columns: keyword ordinals follow byte order of unicode values") {
  ColumnsWriter w;
  std::vector<std::string> vals = {"zebra", "Äpfel", "apple", "日本", "", "apple", "Zoo", "ünïcödé"};
  for (uint32_t d = 0; d < vals.size(); ++d) w.add_keyword("k", d, vals[d]);
  w.add_keyword("k", 0, "apple");  // second value of doc 0
  std::string file = w.finish(static_cast<uint32_t>(vals.size()));
  ColumnsReader r = open_ok(file);
  const KeywordColumn* k = r.keyword_column("k");
  REQUIRE(k);
  std::set<std::string> sorted(vals.begin(), vals.end());
  REQUIRE(k->num_values() == sorted.size());
  uint32_t o = 0;
  for (const std::string& s : sorted) {
    CHECK(k->value_of(o) == s);
    CHECK(k->find(s) == o);
    ++o;
  }
  CHECK(k->value_of(k->num_values()) == "");  // out of range: empty, not UB
  CHECK(k->find("apples") == std::nullopt);
  CHECK(k->find("zzz") == std::nullopt);
  CHECK(k->find("0") == std::nullopt);
  for (uint32_t d = 0; d < vals.size(); ++d) CHECK(k->value_of(k->ord(d)) == vals[d]);
  CHECK(k->count(0) == 2);
  CHECK(k->value_of(k->ord(0, 1)) == "apple");
  CHECK(k->docs_with_value() == vals.size());
  // Ordinal comparison equals value comparison: sort by ord works.
  for (uint32_t a = 0; a < vals.size(); ++a)
    for (uint32_t b = 0; b < vals.size(); ++b)
      CHECK((k->ord(a) < k->ord(b)) == (vals[a] < vals[b]));
}

TEST_CASE("columns: norms default to 0, the last length set wins, total sums them") {
  ColumnsWriter w;
  w.set_norm("body", 0, 10);
  w.set_norm("body", 2, 5);
  w.set_norm("body", 2, 7);
  w.set_norm("body", 3, std::numeric_limits<uint32_t>::max());
  std::string file = w.finish(5);
  ColumnsReader r = open_ok(file);
  const NormColumn* n = r.norms("body");
  REQUIRE(n);
  CHECK(n->length(0) == 10);
  CHECK(n->length(1) == 0);
  CHECK(n->length(2) == 7);
  CHECK(n->length(3) == std::numeric_limits<uint32_t>::max());
  CHECK(n->length(4) == 0);
  CHECK(n->length(5) == 0);
  CHECK(n->total() == 17 + uint64_t{std::numeric_limits<uint32_t>::max()});
  CHECK(n->docs_with_value() == 3);
}

TEST_CASE("columns: one field may have columns of several kinds") {
  ColumnsWriter w;
  w.set_norm("title", 0, 3);
  w.add_keyword("title", 0, "hello world");
  w.add_int("title", 0, 9);
  std::string file = w.finish(1);
  ColumnsReader r = open_ok(file);
  CHECK(r.norms("title")->length(0) == 3);
  CHECK(r.keyword_column("title")->value_of(0) == "hello world");
  CHECK(r.int_column("title")->value(0) == 9);
  CHECK(r.double_column("title") == nullptr);
  CHECK(r.columns().size() == 3);
}

TEST_CASE("columns: stats are readable from the table without loading the column") {
  ColumnsWriter w;
  w.add_int("n", 0, -5);
  w.add_int("n", 2, 10);
  w.add_int("n", 2, 20);
  w.add_double("p", 1, 1.5);
  w.add_double("p", 2, 2.5);
  std::string file = w.finish(3);
  ColumnsReader r = open_ok(file);
  const ColumnInfo* n = r.info(ColumnKind::kInt, "n");
  REQUIRE(n);
  CHECK(n->stats.min_int == -5);
  CHECK(n->stats.max_int == 20);
  CHECK(n->stats.sum == 25.0);
  CHECK(n->stats.docs_with_value == 2);
  CHECK(n->stats.num_values == 3);
  const ColumnInfo* p = r.info(ColumnKind::kDouble, "p");
  REQUIRE(p);
  CHECK(p->stats.min_double == 1.5);
  CHECK(p->stats.max_double == 2.5);
  CHECK(p->stats.sum == 4.0);
  CHECK(r.info(ColumnKind::kDouble, "n") == nullptr);
  CHECK(r.int_column("n")->sum() == 25.0);
}

TEST_CASE("columns: a dense single-valued column costs only its packed bits") {
  ColumnsWriter dense, sparse;
  for (uint32_t d = 0; d < 8000; ++d) dense.add_int("x", d, d % 256);
  for (uint32_t d = 1; d < 8000; ++d) sparse.add_int("x", d, d % 256);
  std::string a = dense.finish(8000), b = sparse.finish(8000);
  CHECK(a.size() < 8000 + 300);  // 8 bits per doc, no offsets array
  CHECK(b.size() > a.size() + 8000);  // 13-bit offsets per doc on top
  ColumnsReader ra = open_ok(a), rb = open_ok(b);
  for (uint32_t d = 0; d < 8000; d += 13) {
    CHECK(ra.int_column("x")->value(d) == d % 256);
    CHECK(rb.int_column("x")->first(d) == (d ? std::optional<int64_t>(d % 256) : std::nullopt));
  }
}

TEST_CASE("columns: reading through a mapped file works") {
  TempDir dir;
  std::mt19937_64 rng(5);
  Oracle o = random_oracle(rng, 200);
  std::string path = fs::join(dir.path(), "seg.col");
  REQUIRE(fs::write_file_new(path, o.write(rng), false).is_ok());
  auto mf = MappedFile::open(path);
  REQUIRE(mf.is_ok());
  auto r = ColumnsReader::open((*mf)->data(), path);
  REQUIRE(r.is_ok());
  CHECK(matches(*r, o));
}

TEST_CASE("columns: many threads loading columns for the first time see the same views") {
  std::mt19937_64 rng(11);
  Oracle o = random_oracle(rng, 2000);
  std::string file = o.write(rng);
  ColumnsReader r = open_ok(file);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] { good += matches(r, o) ? 1 : 0; });
  for (auto& t : threads) t.join();
  CHECK(good == 4);
  CHECK(r.int_column("dense") == r.int_column("dense"));
}

TEST_CASE("columns: the writer can be reused after finish") {
  ColumnsWriter w;
  w.add_int("a", 0, 1);
  (void)w.finish(1);
  w.add_int("b", 0, 2);
  std::string file = w.finish(1);
  ColumnsReader r = open_ok(file);
  CHECK(r.int_column("a") == nullptr);
  CHECK(r.int_column("b")->value(0) == 2);
}

#include "meridian/postings/bitmap.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <thread>
#include <vector>

using meridian::postings::Bitmap;

namespace {

std::vector<uint32_t> vec(const std::set<uint32_t>& s) { return {s.begin(), s.end()}; }

// A set mixing sparse values, a dense stretch and a long run, so that array,
// bitset and run containers all appear.
std::set<uint32_t> mixed_set(std::mt19937& rng) {
  std::set<uint32_t> s;
  for (int i = 0; i < 300; ++i) s.insert(rng() % 2000000);
  for (int i = 0; i < 9000; ++i) s.insert(200000 + rng() % 30000);
  for (uint32_t v = 500000; v < 520000; ++v) s.insert(v);
  s.insert(0);
  s.insert(UINT32_MAX);
  return s;
}

}  // namespace

TEST_CASE("bitmap: random operations agree with a std::set oracle") {
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    Bitmap a, b;
    std::set<uint32_t> sa, sb;
    uint32_t range = round % 2 ? 1000 : 300000;
    for (int i = 0; i < 3000; ++i) {
      uint32_t x = rng() % range;
      switch (rng() % 4) {
        case 0: case 1: a.add(x); sa.insert(x); break;
        case 2: a.remove(x); sa.erase(x); break;
        default: b.add(x); sb.insert(x); break;
      }
    }
    if (round % 3 == 0) { a.run_optimize(); b.run_optimize(); }
    REQUIRE(a.cardinality() == sa.size());
    CHECK(a.to_vector() == vec(sa));
    CHECK(a.is_empty() == sa.empty());
    for (int i = 0; i < 200; ++i) {
      uint32_t x = rng() % (range + 10);
      CHECK(a.contains(x) == (sa.count(x) == 1));
      CHECK(a.rank(x) == static_cast<uint64_t>(std::distance(sa.begin(), sa.upper_bound(x))));
    }
    std::vector<uint32_t> va = vec(sa);
    for (size_t i = 0; i < va.size(); i += 37) CHECK(a.select(i) == va[i]);
    CHECK_FALSE(a.select(va.size()).has_value());
    if (!sa.empty()) {
      CHECK(a.min() == *sa.begin());
      CHECK(a.max() == *sa.rbegin());
    }
    std::set<uint32_t> s_and, s_or, s_andnot, s_xor;
    std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::inserter(s_and, s_and.end()));
    std::set_union(sa.begin(), sa.end(), sb.begin(), sb.end(), std::inserter(s_or, s_or.end()));
    std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::inserter(s_andnot, s_andnot.end()));
    std::set_symmetric_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::inserter(s_xor, s_xor.end()));
    CHECK(Bitmap::and_of(a, b).to_vector() == vec(s_and));
    CHECK(Bitmap::or_of(a, b).to_vector() == vec(s_or));
    CHECK(Bitmap::andnot_of(a, b).to_vector() == vec(s_andnot));
    CHECK(Bitmap::xor_of(a, b).to_vector() == vec(s_xor));
    CHECK(a.and_cardinality(b) == s_and.size());
    CHECK(a.intersects(b) == !s_and.empty());
    Bitmap c = a.copy();
    CHECK(c.and_inplace(b).to_vector() == vec(s_and));
    c = a.copy();
    CHECK(c.or_inplace(b).to_vector() == vec(s_or));
    c = a.copy();
    CHECK(c.andnot_inplace(b).to_vector() == vec(s_andnot));
    c = a.copy();
    CHECK(c.xor_inplace(b).to_vector() == vec(s_xor));
    const Bitmap* both[] = {&a, &b};
    CHECK(Bitmap::or_many(both).to_vector() == vec(s_or));
    CHECK(Bitmap::and_many(both).to_vector() == vec(s_and));
    const Bitmap* three[] = {&b, &a, &a};
    CHECK(Bitmap::and_many(three).to_vector() == vec(s_and));
  }
}

TEST_CASE("bitmap: algebra with itself and with empty bitmaps") {
  Bitmap a = Bitmap::from_values(std::vector<uint32_t>{5, 1, 9, 1});
  CHECK(a.to_vector() == std::vector<uint32_t>{1, 5, 9});
  CHECK(a.and_inplace(a).cardinality() == 3);
  CHECK(a.or_inplace(a).cardinality() == 3);
  Bitmap b = a.copy();
  CHECK(b.xor_inplace(b).is_empty());
  CHECK(a.andnot_inplace(a).is_empty());
  Bitmap e;
  CHECK_FALSE(e.min().has_value());
  CHECK_FALSE(e.max().has_value());
  CHECK_FALSE(e.select(0).has_value());
  CHECK(e.rank(UINT32_MAX) == 0);
  CHECK(Bitmap::or_many({}).is_empty());
  CHECK(Bitmap::and_many({}).is_empty());
  Bitmap r = Bitmap::from_range(10, 20);
  CHECK(r.cardinality() == 10);
  r.add_range(uint64_t{UINT32_MAX} - 1, uint64_t{1} << 40);  // clamps at 2^32
  CHECK(r.max() == UINT32_MAX);
  CHECK(r.cardinality() == 12);
}

TEST_CASE("bitmap: iterator and for_each visit values in order with seek and early stop") {
  std::mt19937 rng(7);
  std::set<uint32_t> s = mixed_set(rng);
  Bitmap b = Bitmap::from_values(vec(s));
  b.run_optimize();
  std::vector<uint32_t> seen;
  CHECK(b.for_each([&](uint32_t v) { seen.push_back(v); return true; }));
  CHECK(seen == vec(s));
  size_t count = 0;
  CHECK_FALSE(b.for_each([&](uint32_t) { return ++count < 10; }));
  CHECK(count == 10);
  for (int i = 0; i < 500; ++i) {
    uint32_t t = rng() % 2100000;
    Bitmap::Iterator it = b.iterator();
    bool ok = it.seek(t);
    auto want = s.lower_bound(t);
    REQUIRE(ok == (want != s.end()));
    if (ok) {
      CHECK(it.value() == *want);
      uint32_t buf[5];
      uint32_t n = it.read(buf, 5);
      for (uint32_t k = 0; k < n; ++k, ++want) CHECK(buf[k] == *want);
      if (want != s.end()) CHECK(it.value() == *want);
    }
  }
  Bitmap::Iterator it = b.iterator();
  CHECK(it.seek(UINT32_MAX));
  CHECK(it.value() == UINT32_MAX);
  it.next();
  CHECK_FALSE(it.valid());
}

TEST_CASE("bitmap: serialize round-trips all container kinds") {
  std::mt19937 rng(3);
  for (bool optimize : {false, true}) {
    std::set<uint32_t> s = mixed_set(rng);
    Bitmap b = Bitmap::from_values(vec(s));
    if (optimize) CHECK(b.run_optimize());
    std::string bytes = b.serialize();
    CHECK(bytes.size() == b.serialized_size());
    auto back = Bitmap::deserialize(bytes, "test");
    REQUIRE(back.is_ok());
    CHECK(*back == b);
    CHECK(back->to_vector() == vec(s));
  }
  // A run container bigger than 4096 values, few containers (no offsets).
  Bitmap runs = Bitmap::from_range(0, 60000);
  runs.run_optimize();
  auto back = Bitmap::deserialize(runs.serialize(), "runs");
  REQUIRE(back.is_ok());
  CHECK(back->cardinality() == 60000);
  Bitmap empty;
  auto e = Bitmap::deserialize(empty.serialize(), "empty");
  REQUIRE(e.is_ok());
  CHECK(e->is_empty());
}

TEST_CASE("bitmap: damaged serialized bytes are corruption or the right set, never a crash") {
  std::mt19937 rng(11);
  std::vector<Bitmap> samples;
  samples.push_back(Bitmap::from_values(std::vector<uint32_t>{1, 2, 3, 70000, 140000}));
  Bitmap dense = Bitmap::from_range(1000, 9000);  // bitset container
  samples.push_back(std::move(dense));
  Bitmap run = Bitmap::from_range(5, 3000);
  run.add(200000);
  run.add_range(300000, 300100);
  run.add(400000);
  run.run_optimize();
  samples.push_back(std::move(run));
  for (const Bitmap& b : samples) {
    std::string good = b.serialize();
    for (size_t cut = 0; cut < good.size(); ++cut) {
      auto r = Bitmap::deserialize(std::string_view(good).substr(0, cut), "cut");
      CHECK_FALSE(r.is_ok());
      CHECK(r.status().code() == meridian::Status::Code::kCorruption);
    }
    auto extra = Bitmap::deserialize(good + "x", "extra");
    CHECK_FALSE(extra.is_ok());
    size_t step = good.size() > 2000 ? 7 : 1;
    for (size_t i = 0; i < good.size(); i += step) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
        auto r = Bitmap::deserialize(bad, "flip");
        if (r.is_ok()) {
          // Accepted: must be a well-formed set whose operations behave.
          std::vector<uint32_t> v = r->to_vector();
          CHECK(std::is_sorted(v.begin(), v.end()));
          CHECK(std::adjacent_find(v.begin(), v.end()) == v.end());
          CHECK(r->cardinality() == v.size());
          CHECK(Bitmap::or_of(*r, b).cardinality() >= v.size());
        } else {
          CHECK(r.status().message().rfind("flip: ", 0) == 0);
        }
      }
    }
  }
  std::string garbage(100, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  CHECK_FALSE(Bitmap::deserialize(garbage, "garbage").is_ok());
}

TEST_CASE("bitmap: many threads read one bitmap at once") {
  std::mt19937 rng(5);
  std::set<uint32_t> s = mixed_set(rng);
  Bitmap b = Bitmap::from_values(vec(s));
  Bitmap other = Bitmap::from_range(0, 600000);
  uint64_t want_and = b.and_cardinality(other);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      bool good = true;
      for (int i = 0; i < 20; ++i) {
        good &= b.cardinality() == s.size();
        good &= b.and_cardinality(other) == want_and;
        good &= Bitmap::and_of(b, other).cardinality() == want_and;
        good &= b.contains(500001);
      }
      ok[t] = good;
    });
  }
  for (auto& th : threads) th.join();
  for (int v : ok) CHECK(v == 1);
}

TEST_CASE("bitmap: count_range agrees with a std::set over array, bitset and run containers") {
  std::mt19937 rng(41);
  std::set<uint32_t> s = mixed_set(rng);
  for (uint32_t v = 65536 * 40 - 100; v < 65536 * 40 + 100; ++v) s.insert(v);  // a run across two containers
  Bitmap b = Bitmap::from_sorted(vec(s));
  for (bool runs : {false, true}) {
    if (runs) CHECK(b.run_optimize());
    auto count = [&](uint64_t lo, uint64_t hi) {
      return lo >= hi ? 0 : static_cast<uint64_t>(std::distance(s.lower_bound(static_cast<uint32_t>(lo)),
                                                               hi > UINT32_MAX ? s.end() : s.lower_bound(static_cast<uint32_t>(hi))));
    };
    const uint32_t edges[] = {0, 1, 63, 64, 65, 65535, 65536, 65537, 200000, 200063, 229999, 500000, 519999,
                              520000, 65536 * 40 - 1, 65536 * 40, UINT32_MAX - 1, UINT32_MAX};
    for (uint32_t lo : edges)
      for (uint32_t hi : edges) CHECK(b.count_range(lo, hi) == count(lo, hi));
    for (int i = 0; i < 20000; ++i) {
      uint32_t lo = i % 4 == 0 ? static_cast<uint32_t>(rng()) : (i % 4 == 1 ? 200000 : 500000) + rng() % 40000;
      uint32_t width = i % 3 == 0 ? rng() % 64 : i % 3 == 1 ? rng() % 3000 : rng() % 200000;
      uint32_t hi = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{lo} + width, UINT32_MAX));
      REQUIRE(b.count_range(lo, hi) == count(lo, hi));
    }
  }
  CHECK(Bitmap().count_range(0, UINT32_MAX) == 0);
}

TEST_CASE("bitmap: from_sorted builds the same set as from_values, directly or through its fallback") {
  std::mt19937 rng(43);
  std::vector<std::vector<uint32_t>> inputs = {{}, {0}, {UINT32_MAX}, {0, 65535, 65536, 131071, UINT32_MAX}};
  for (int i = 0; i < 30; ++i) {
    std::set<uint32_t> s;
    const uint32_t spread = i % 3 == 0 ? 300 : i % 3 == 1 ? 70000 : UINT32_MAX;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 200); k < n; ++k) s.insert(static_cast<uint32_t>(rng() % spread));
    inputs.push_back(vec(s));
  }
  inputs.push_back(vec(mixed_set(rng)));  // containers of more than 4096 values: the fallback
  std::vector<uint32_t> unsorted = {5, 3, 9, 9, 70000, 1};
  inputs.push_back(unsorted);
  for (const auto& in : inputs) {
    Bitmap a = Bitmap::from_sorted(in);
    Bitmap b = Bitmap::from_values(in);
    CHECK(a == b);
    CHECK(a.cardinality() == b.cardinality());
    std::set<uint32_t> want(in.begin(), in.end());
    CHECK(a.to_vector() == vec(want));
    auto round = Bitmap::deserialize(a.serialize(), "t");
    REQUIRE(round.is_ok());
    CHECK(*round == b);
    a.add(7);  // still a well-formed bitmap for CRoaring's own operations
    CHECK(a.contains(7));
  }
}

TEST_CASE("bitmap: and_many of arrays of like and of skewed sizes, bitsets and runs equals std::set_intersection") {
  std::mt19937 rng(47);
  auto random_set = [&](uint32_t n, uint32_t spread) {
    std::set<uint32_t> s;
    for (uint32_t k = 0; k < n; ++k) s.insert(static_cast<uint32_t>(rng() % spread));
    return s;
  };
  const uint32_t sizes[] = {0, 1, 3, 50, 300, 2000, 4000, 9000, 60000};
  for (uint32_t na : sizes)
    for (uint32_t nb : sizes)
      for (uint32_t spread : {70000u, 300000u}) {
        std::set<uint32_t> a = random_set(na, spread), b = random_set(nb, spread), c = random_set(nb, spread);
        Bitmap ba = Bitmap::from_values(vec(a)), bb = Bitmap::from_values(vec(b)), bc = Bitmap::from_values(vec(c));
        if (na == 60000) ba.run_optimize();
        std::vector<uint32_t> ab, abc;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(ab));
        std::set_intersection(ab.begin(), ab.end(), c.begin(), c.end(), std::back_inserter(abc));
        const Bitmap* two[] = {&ba, &bb};
        const Bitmap* three[] = {&ba, &bb, &bc};
        Bitmap r2 = Bitmap::and_many(two), r3 = Bitmap::and_many(three);
        REQUIRE(r2.to_vector() == ab);
        REQUIRE(r3.to_vector() == abc);
        CHECK(r2.cardinality() == ab.size());
        auto round = Bitmap::deserialize(r2.serialize(), "t");  // well formed: no empty container
        REQUIRE(round.is_ok());
        CHECK(*round == r2);
      }
}

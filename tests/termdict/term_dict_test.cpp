#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "meridian/termdict/term_dict_reader.h"
#include "meridian/termdict/term_dict_writer.h"

using namespace meridian;
using namespace meridian::termdict;

namespace {

using Oracle = std::map<std::string, uint64_t>;

// Terms that stress prefix compression and byte order: the empty term,
// binary bytes (NUL, 0xff), long shared prefixes, UTF-8, field-keyed terms.
Oracle random_terms(std::mt19937& rng, size_t n) {
  Oracle m;
  m[""] = 7;
  std::string long_prefix(300, 'p');
  const char* words[] = {"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "na\xc3\xafve", "zebra", "a", "ab"};
  while (m.size() < n) {
    std::string t;
    switch (rng() % 5) {
      case 0:
        for (size_t i = 0, len = rng() % 6; i < len; ++i) t.push_back(static_cast<char>(rng() % 256));
        break;
      case 1:
        t = long_prefix + std::to_string(rng() % 100000);
        break;
      case 2:
        t = std::string("title") + '\0' + words[rng() % 6] + std::to_string(rng() % 1000);
        break;
      case 3:
        t = words[rng() % 6];
        for (size_t i = 0, len = rng() % 4; i < len; ++i) t.push_back(static_cast<char>('a' + rng() % 3));
        break;
      default:
        t = std::string(1, static_cast<char>(0xff)) + std::string(rng() % 3, '\0');
        break;
    }
    m.emplace(t, (uint64_t{rng()} << 32) | rng());
  }
  return m;
}

std::string build(const Oracle& m, uint32_t block_size) {
  TermDictWriter w(block_size);
  for (const auto& [t, v] : m) REQUIRE(w.add(t, v).is_ok());
  CHECK(w.size() == m.size());
  return w.finish();
}

uint32_t ordinal_of(const Oracle& m, Oracle::const_iterator it) {
  return static_cast<uint32_t>(std::distance(m.begin(), it));
}

// Expects the iterator to sit where the oracle iterator is.
void check_at(const TermDictReader::Iterator& it, const Oracle& m, Oracle::const_iterator want) {
  REQUIRE(it.status().is_ok());
  if (want == m.end()) {
    CHECK_FALSE(it.valid());
    return;
  }
  REQUIRE(it.valid());
  CHECK(it.term() == want->first);
  CHECK(it.value() == want->second);
  CHECK(it.ordinal() == ordinal_of(m, want));
}

}  // namespace

TEST_CASE("termdict: iteration, find and ordinals agree with a std::map for several block sizes") {
  std::mt19937 rng(1);
  Oracle m = random_terms(rng, 3000);
  for (uint32_t bs : {1u, 2u, 7u, 64u, 128u}) {
    std::string file = build(m, bs);
    auto r = TermDictReader::open(file, "seg.trm");
    REQUIRE(r.is_ok());
    CHECK(r->size() == m.size());
    auto it = r->begin();
    for (auto want = m.begin(); want != m.end(); ++want, it.next()) check_at(it, m, want);
    check_at(it, m, m.end());
    for (auto want = m.begin(); want != m.end(); ++want) {
      auto e = r->find(want->first);
      REQUIRE(e.is_ok());
      REQUIRE(e->has_value());
      CHECK((*e)->value == want->second);
      CHECK((*e)->ordinal == ordinal_of(m, want));
    }
    for (int i = 0; i < 300; ++i) {
      std::string probe = std::string("title") + '\0' + "x" + std::to_string(rng());
      auto e = r->find(probe);
      REQUIRE(e.is_ok());
      CHECK(e->has_value() == (m.count(probe) == 1));
    }
    CHECK(r->verify_all().is_ok());
  }
}

static void check_seeks(const Oracle& m, uint32_t block_size, std::mt19937& rng) {
  CAPTURE(block_size);
  std::string file = build(m, block_size);
  auto r = TermDictReader::open(file, "seg.trm");
  REQUIRE(r.is_ok());
  std::vector<std::string> targets;
  for (const auto& [t, v] : m) {
    targets.push_back(t);
    targets.push_back(t + '\0');                // the smallest string after t
    if (!t.empty()) targets.push_back(t.substr(0, t.size() - 1));
    if (!t.empty() && static_cast<uint8_t>(t.back()) < 0xff) {
      std::string up = t;
      up.back() = static_cast<char>(up.back() + 1);
      targets.push_back(up);
    }
  }
  targets.push_back(std::string(400, '\xff'));
  // Fresh iterator per target.
  for (const std::string& t : targets) check_at(r->lower_bound(t), m, m.lower_bound(t));
  // One iterator driven forward through sorted targets (the automaton pattern).
  std::vector<std::string> sorted = targets;
  std::sort(sorted.begin(), sorted.end());
  auto it = r->begin();
  for (const std::string& t : sorted) {
    it.seek(t);
    check_at(it, m, m.lower_bound(t));
  }
  // And in random order, including backwards and from the end.
  std::shuffle(targets.begin(), targets.end(), rng);
  for (const std::string& t : targets) {
    it.seek(t);
    check_at(it, m, m.lower_bound(t));
    if (rng() % 4 == 0) {
      it.next();
      auto want = m.lower_bound(t);
      if (want != m.end()) ++want;
      check_at(it, m, want);
    }
  }
}

TEST_CASE("termdict: seek to every term and every gap, forward and backward") {
  // One term per block (every seek is a block search), a few, and the
  // default (most seeks scan within a block).
  for (uint32_t block_size : {1u, 3u, 16u}) {
    std::mt19937 rng(2 + block_size);
    check_seeks(random_terms(rng, 1500), block_size, rng);
  }
}

TEST_CASE("termdict: terms sharing their first 8 or 16 bytes seek like a std::map") {
  // Field-keyed terms of long field names, as the geo cells of "location"
  // are: the block search's 16-byte prefixes tie on the name alone for none
  // of them, on the name and 7 more bytes for some, and on all 16 bytes for
  // the "p..." ones (then the whole first terms decide).
  std::mt19937 rng(99);
  Oracle m;
  const std::string fields[] = {std::string("location") + '\0', std::string("locations") + '\0',
                                std::string("category") + '\0', std::string(20, 'p')};
  while (m.size() < 2500) {
    std::string t = fields[rng() % 4];
    t.push_back(static_cast<char>(5 * (1 + rng() % 10)));  // a cell level
    for (size_t i = 0, len = 1 + rng() % 8; i < len; ++i) t.push_back(static_cast<char>(rng() % 4 == 0 ? 0 : rng() % 256));
    m.emplace(t, rng());
  }
  for (uint32_t block_size : {1u, 4u, 16u, 64u}) check_seeks(m, block_size, rng);
}

TEST_CASE("termdict: for_each_prefix visits exactly the prefixed terms in order and stops early") {
  std::mt19937 rng(3);
  Oracle m = random_terms(rng, 2000);
  std::string file = build(m, 32);
  auto r = TermDictReader::open(file, "seg.trm");
  REQUIRE(r.is_ok());
  for (std::string prefix : {std::string(""), std::string("title") + '\0', std::string("title") + '\0' + "caf",
                             std::string(300, 'p') + "1", std::string("\xff"), std::string("nothing")}) {
    std::vector<std::pair<std::string, uint64_t>> got, want;
    CHECK(r->for_each_prefix(prefix, [&](std::string_view t, uint64_t v) {
      got.emplace_back(std::string(t), v);
      return true;
    }).is_ok());
    for (auto i = m.lower_bound(prefix); i != m.end() && i->first.starts_with(prefix); ++i) want.push_back(*i);
    CHECK(got == want);
  }
  int calls = 0;
  CHECK(r->for_each_prefix("", [&](std::string_view, uint64_t) { return ++calls < 5; }).is_ok());
  CHECK(calls == 5);
}

TEST_CASE("termdict: the writer rejects unordered, duplicate and oversized terms") {
  TermDictWriter w;
  CHECK(w.add("", 1).is_ok());
  CHECK(w.add("b", 2).is_ok());
  CHECK(w.add("b", 3).code() == Status::Code::kInvalidArgument);
  CHECK(w.add("a", 3).code() == Status::Code::kInvalidArgument);
  CHECK(w.add(std::string(70000, 'z'), 3).code() == Status::Code::kInvalidArgument);
  CHECK(w.add("b\x80", 4).is_ok());  // bytes compare unsigned: 0x80 sorts after ASCII
  CHECK(w.add("b\xff", 5).is_ok());
  CHECK(w.size() == 4);
  std::string file = w.finish();
  auto r = TermDictReader::open(file, "w.trm");
  REQUIRE(r.is_ok());
  auto e = r->find("b\xff");
  REQUIRE(e.is_ok());
  REQUIRE(e->has_value());
  CHECK((*e)->ordinal == 3);
}

TEST_CASE("termdict: an empty dictionary has no terms") {
  TermDictWriter w;
  std::string file = w.finish();
  auto r = TermDictReader::open(file, "empty.trm");
  REQUIRE(r.is_ok());
  CHECK(r->size() == 0);
  CHECK_FALSE(r->begin().valid());
  CHECK(r->begin().status().is_ok());
  CHECK_FALSE(r->lower_bound("").valid());
  auto e = r->find("");
  REQUIRE(e.is_ok());
  CHECK_FALSE(e->has_value());
}

TEST_CASE("termdict: a damaged block is corruption naming the file") {
  std::mt19937 rng(4);
  Oracle m = random_terms(rng, 500);
  std::string file = build(m, 64);
  file[32 + 20] ^= 0x01;  // inside block 0
  auto r = TermDictReader::open(file, "seg.trm");
  REQUIRE(r.is_ok());
  auto e = r->find("");
  REQUIRE_FALSE(e.is_ok());
  CHECK(e.status().code() == Status::Code::kCorruption);
  CHECK(e.status().message() == "seg.trm: block 0 at offset 32: checksum mismatch");
  auto it = r->begin();
  CHECK_FALSE(it.valid());
  CHECK_FALSE(it.status().is_ok());
  CHECK_FALSE(r->for_each_prefix("", [](std::string_view, uint64_t) { return true; }).is_ok());
  CHECK_FALSE(r->verify_all().is_ok());
  // Terms in later blocks are still found.
  auto last = r->find(m.rbegin()->first);
  REQUIRE(last.is_ok());
  CHECK(last->has_value());
}

TEST_CASE("termdict: every truncation and every byte flip of a small file errors or reads correctly") {
  std::mt19937 rng(5);
  Oracle m = random_terms(rng, 40);
  std::string good = build(m, 8);
  for (size_t cut = 0; cut < good.size(); ++cut)
    CHECK_FALSE(TermDictReader::open(std::string_view(good).substr(0, cut), "small.trm").is_ok());
  size_t accepted = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit : {0, 3, 7}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      auto r = TermDictReader::open(bad, "small.trm");
      if (!r.is_ok()) {
        CHECK(r.status().message().starts_with("small.trm: "));
        continue;
      }
      // Every answer is either an error or exactly right.
      auto it = r->begin();
      auto want = m.begin();
      for (; it.valid() && want != m.end(); it.next(), ++want) {
        CHECK(it.term() == want->first);
        CHECK(it.value() == want->second);
      }
      if (it.status().is_ok()) {
        CHECK(want == m.end());
        CHECK_FALSE(it.valid());
        ++accepted;
      }
      for (const auto& [t, v] : m) {
        auto e = r->find(t);
        if (!e.is_ok()) continue;
        REQUIRE(e->has_value());
        CHECK((*e)->value == v);
      }
      auto miss = r->find("not-a-term");
      if (miss.is_ok()) CHECK_FALSE(miss->has_value());
    }
  }
  CHECK(accepted > 0);  // flips in unchecked bytes (frame footer CRC) read fine
}

TEST_CASE("termdict: many threads look up terms at once while blocks are first verified") {
  std::mt19937 rng(6);
  Oracle m = random_terms(rng, 5000);
  std::string file = build(m, 64);
  auto r = TermDictReader::open(file, "seg.trm");
  REQUIRE(r.is_ok());
  std::vector<int> ok(4, 0);
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      bool good = true;
      for (const auto& [t, v] : m) {
        auto e = r->find(t);
        good &= e.is_ok() && e->has_value() && (*e)->value == v;
      }
      ok[th] = good;
    });
  }
  for (auto& t : threads) t.join();
  for (int v : ok) CHECK(v == 1);
}

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "../test_util.h"
#include "meridian/index/index.h"

using namespace meridian;
using namespace meridian::index;

namespace {

Json doc(int id, int64_t n) {
  Json d = Json::object();
  d.set("id", std::to_string(id));
  d.set("body", "word" + std::to_string(id % 7));
  d.set("n", n);
  return d;
}

std::unique_ptr<Index> open_at(const std::string& dir, bool background) {
  IndexOptions o;
  o.background = background;
  Schema s;
  auto ix = Index::open(dir, "t", o, &s);
  REQUIRE(ix.is_ok());
  return std::move(*ix);
}

}  // namespace

TEST_CASE("backup: segments, deletes and the WAL tail are all in the snapshot, and later writes are not") {
  TempDir dir;
  std::string live = fs::join(dir.path(), "live"), bak = fs::join(dir.path(), "bak");
  auto ix = open_at(live, false);
  for (int i = 0; i < 50; ++i) REQUIRE(ix->put(doc(i, i)).is_ok());
  REQUIRE(ix->commit().is_ok());                         // in segments
  for (int i = 50; i < 80; ++i) REQUIRE(ix->put(doc(i, i)).is_ok());
  REQUIRE(ix->remove("3").is_ok());                      // a delete
  REQUIRE(ix->put(doc(4, 1004)).is_ok());                // an update
  auto info = ix->backup(bak);
  REQUIRE(info.is_ok());
  CHECK(info->last_seq >= 82);
  CHECK(info->files > 0);
  REQUIRE(ix->put(doc(100, 100)).is_ok());               // after the backup
  REQUIRE(ix->remove("5").is_ok());
  REQUIRE(ix->commit().is_ok());
  REQUIRE(ix->force_merge().is_ok());                    // the live files change; the backup's must not

  auto restored = open_at(bak, false);
  for (int i = 0; i < 80; ++i) {
    CAPTURE(i);
    auto got = restored->get(std::to_string(i));
    REQUIRE(got.is_ok());
    if (i == 3) {
      CHECK_FALSE(got->has_value());
      continue;
    }
    REQUIRE(got->has_value());
    auto j = parse_json(**got);
    REQUIRE(j);
    CHECK(j->find("n")->as_int() == (i == 4 ? 1004 : i));
  }
  auto later = restored->get("100");
  REQUIRE(later.is_ok());
  CHECK_FALSE(later->has_value());
  REQUIRE(restored->refresh().is_ok());
  CHECK(restored->stats().docs == 79);
  // The live index is untouched by the backup.
  CHECK(ix->get("5")->has_value() == false);
  CHECK(ix->get("100")->has_value());
}

TEST_CASE("backup: writes never stop, and every write acknowledged before the backup is in it") {
  TempDir dir;
  std::string live = fs::join(dir.path(), "live"), bak = fs::join(dir.path(), "bak");
  auto ix = open_at(live, true);
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      if (!ix->put(doc(i, i)).is_ok()) break;
      acked = i + 1;
    }
  });
  while (acked < 200) std::this_thread::yield();
  int before = acked.load();
  auto info = ix->backup(bak);
  int during = acked.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  writer.join();
  REQUIRE(info.is_ok());
  CHECK(acked.load() > during);  // the writer went on
  auto restored = open_at(bak, false);
  for (int i = 0; i < before; ++i) {
    auto got = restored->get(std::to_string(i));
    REQUIRE(got.is_ok());
    REQUIRE(got->has_value());
  }
  REQUIRE(restored->refresh().is_ok());
  uint64_t n = restored->stats().docs;
  CHECK(n >= static_cast<uint64_t>(before));
  CHECK(n == info->last_seq);  // exactly the writes up to the noted sequence number
}

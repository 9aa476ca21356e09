#include <doctest/doctest.h>

#include "meridian/index/index.h"
#include "meridian/server/watch_hub.h"
#include "../test_util.h"

using namespace meridian;
using namespace meridian::server;

namespace {
std::shared_ptr<index::Index> make_index(const std::string& dir) {
  index::IndexOptions opt;
  opt.background = false;
  index::Schema schema;
  auto idx = index::Index::open(dir, "t", opt, &schema);
  REQUIRE(idx.is_ok());
  return std::shared_ptr<index::Index>(std::move(*idx));
}
Json doc(const std::string& id) { return *parse_json("{\"id\":\"" + id + "\",\"title\":\"x\"}"); }
}  // namespace

TEST_CASE("watch_hub: watchers receive visible puts and deletes in seq order") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  hub.attach(idx);
  auto w = hub.subscribe(idx, std::nullopt);
  REQUIRE(idx->put(doc("a")).is_ok());
  REQUIRE(idx->put(doc("b")).is_ok());
  REQUIRE(idx->remove("a").is_ok());
  REQUIRE(idx->refresh().is_ok());
  std::vector<std::pair<std::string, index::WalRecordType>> got;
  uint64_t last = 0;
  std::shared_ptr<const index::ChangeEvent> ev;
  while (w->next(&ev, 50) == Watcher::Wait::kEvent) {
    CHECK(ev->seq > last);
    last = ev->seq;
    got.emplace_back(ev->id, ev->type);
  }
  REQUIRE(got.size() == 3);
  CHECK(got[0].first == "a");
  CHECK(got[1].first == "b");
  CHECK(got[2].second == index::WalRecordType::kDelete);
  hub.unsubscribe(idx, w);
  CHECK(hub.watchers() == 0);
}

TEST_CASE("watch_hub: resume replays the ring after a seq; too old a seq reports a gap") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub(WatchOptions{3, 100});
  hub.attach(idx);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    auto r = idx->put(doc("d" + std::to_string(i)));
    REQUIRE(r.is_ok());
    seqs.push_back(r->seq);
    REQUIRE(idx->refresh().is_ok());
  }
  auto w = hub.subscribe(idx, seqs[2]);
  CHECK_FALSE(w->gap());
  std::shared_ptr<const index::ChangeEvent> ev;
  REQUIRE(w->next(&ev, 10) == Watcher::Wait::kEvent);
  CHECK(ev->seq == seqs[3]);
  REQUIRE(w->next(&ev, 10) == Watcher::Wait::kEvent);
  CHECK(ev->seq == seqs[4]);
  CHECK(w->next(&ev, 10) == Watcher::Wait::kTimeout);
  auto old = hub.subscribe(idx, seqs[0]);
  CHECK(old->gap());
}

TEST_CASE("watch_hub: a slow watcher is dropped without blocking writes; close_all wakes others") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub(WatchOptions{100, 4});
  hub.attach(idx);
  auto slow = hub.subscribe(idx, std::nullopt);
  for (int i = 0; i < 10; ++i) REQUIRE(idx->put(doc("s" + std::to_string(i))).is_ok());
  REQUIRE(idx->refresh().is_ok());
  std::shared_ptr<const index::ChangeEvent> ev;
  CHECK(slow->next(&ev, 10) == Watcher::Wait::kDropped);
  auto other = hub.subscribe(idx, std::nullopt);
  hub.close_all();
  CHECK(other->next(&ev, 1000) == Watcher::Wait::kClosed);
}

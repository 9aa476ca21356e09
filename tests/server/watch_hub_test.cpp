#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <unordered_set>
#include <thread>

#include "meridian/index/index.h"
#include "meridian/query/search_request.h"
#include "meridian/server/watch_hub.h"
#include "../test_util.h"

using namespace meridian;
using namespace meridian::server;

namespace {
std::shared_ptr<index::Index> make_index(const std::string& dir) {
  index::IndexOptions opt;
  opt.background = false;
  auto schema = index::Schema::from_json(*parse_json(R"({"fields":{"title":"text","n":"int"}})"));
  REQUIRE(schema.is_ok());
  auto idx = index::Index::open(dir, "t", opt, &*schema);
  REQUIRE(idx.is_ok());
  return std::shared_ptr<index::Index>(std::move(*idx));
}
Json doc(const std::string& id, const std::string& title = "x", int n = 0) {
  Json d = Json::object();
  d.set("id", id);
  d.set("title", title);
  d.set("n", static_cast<int64_t>(n));
  return d;
}
query::SearchRequest request(const std::string& body) {
  auto r = query::parse_search_request(*parse_json(body));
  REQUIRE(r.is_ok());
  return std::move(*r);
}
query::SearchRequest all() { return query::SearchRequest{}; }

std::shared_ptr<Watcher> subscribe(WatchHub& hub, const std::shared_ptr<index::Index>& idx,
                                   const query::SearchRequest& req, std::optional<uint64_t> after = std::nullopt) {
  auto w = hub.subscribe(idx, req, after);
  REQUIRE(w.is_ok());
  return *w;
}

// What the watcher receives: events until `want` arrived (or 20 s passed,
// for a busy machine), then whatever else comes within 100 ms (so that an
// extra event is seen).
std::vector<WatchEvent> drain(Watcher& w, size_t want) {
  std::vector<WatchEvent> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto r = w.next(&out, 1000, 100);
    if (r == Watcher::Wait::kDropped || r == Watcher::Wait::kClosed) return out;
  }
  while (w.next(&out, 1000, 100) == Watcher::Wait::kEvent) {
  }
  return out;
}
}  // namespace

TEST_CASE("watch_hub: a watcher receives the matching puts, and deletes of what matched, in seq order") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  hub.attach(idx);
  auto w = subscribe(hub, idx, request(R"({"query":{"match":{"title":"apple"}}})"));
  REQUIRE(idx->put(doc("a", "red apple")).is_ok());
  REQUIRE(idx->put(doc("b", "pear")).is_ok());
  REQUIRE(idx->put(doc("c", "apples")).is_ok());  // stemmed: matches
  REQUIRE(idx->remove("b").is_ok());               // never matched: nothing
  REQUIRE(idx->remove("a").is_ok());
  REQUIRE(idx->put(doc("c", "plum")).is_ok());     // no longer matches
  REQUIRE(idx->refresh().is_ok());
  auto got = drain(*w, 4);
  REQUIRE(got.size() == 4);
  CHECK(got[0].kind == WatchEvent::Kind::kMatch);
  CHECK(got[0].change->id == "a");
  CHECK(got[1].kind == WatchEvent::Kind::kMatch);
  CHECK(got[1].change->id == "c");
  CHECK(got[2].kind == WatchEvent::Kind::kDelete);
  CHECK(got[2].change->id == "a");
  CHECK(got[3].kind == WatchEvent::Kind::kDelete);
  CHECK(got[3].change->id == "c");
  for (size_t i = 1; i < got.size(); ++i) CHECK(got[i].change->seq > got[i - 1].change->seq);
  hub.unsubscribe(idx, w);
  CHECK(hub.watchers() == 0);
  CHECK(hub.queries() == 0);
}

TEST_CASE("watch_hub: watchers of the same query and filters share one compiled query") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  auto a = subscribe(hub, idx, request(R"({"query":{"match":{"title":"apple"}},"size":3})"));
  auto b = subscribe(hub, idx, request(R"({"query":{"match":{"title":"apple"}}})"));
  auto c = subscribe(hub, idx, request(R"({"query":{"match":{"title":"apple"}},"filter":"n:[5 TO *]"})"));
  CHECK(hub.watchers() == 3);
  CHECK(hub.queries() == 2);
  REQUIRE(idx->put(doc("1", "apple", 1)).is_ok());
  REQUIRE(idx->put(doc("2", "apple", 9)).is_ok());
  REQUIRE(idx->refresh().is_ok());
  CHECK(drain(*a, 2).size() == 2);
  CHECK(drain(*b, 2).size() == 2);
  auto got = drain(*c, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].change->id == "2");
  hub.unsubscribe(idx, a);
  CHECK(hub.queries() == 2);
  hub.unsubscribe(idx, b);
  CHECK(hub.queries() == 1);
}

TEST_CASE("watch_hub: a query that does not compile against the schema is an error") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  query::SearchRequest req;
  req.query = query::Term{"n", Json("not a number")};
  auto w = hub.subscribe(idx, req, std::nullopt);
  REQUIRE_FALSE(w.is_ok());
  CHECK(w.status().message().find("'n'") != std::string::npos);
  CHECK(hub.watchers() == 0);
}

TEST_CASE("watch_hub: a field added by dynamic mapping after the watch started is matched") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  auto w = subscribe(hub, idx, request(R"({"query":{"match":{"color":"red"}}})"));
  REQUIRE(idx->put(*parse_json(R"({"id":"1","color":"red"})")).is_ok());
  REQUIRE(idx->put(*parse_json(R"({"id":"2","color":"blue"})")).is_ok());
  REQUIRE(idx->refresh().is_ok());
  auto got = drain(*w, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].change->id == "1");
}

TEST_CASE("watch_hub: resume replays the ring's matches after a seq; too old a seq reports a gap") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub(WatchOptions{3, 100});
  hub.attach(idx);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    auto r = idx->put(doc("d" + std::to_string(i), i == 3 ? "pear" : "apple"));
    REQUIRE(r.is_ok());
    seqs.push_back(r->seq);
    REQUIRE(idx->refresh().is_ok());
  }
  auto w = subscribe(hub, idx, request(R"({"query":{"match":{"title":"apple"}}})"), seqs[1]);
  CHECK_FALSE(w->gap());
  REQUIRE(idx->put(doc("d5", "apple")).is_ok());  // after the replay, in order
  REQUIRE(idx->refresh().is_ok());
  auto got = drain(*w, 3);
  REQUIRE(got.size() == 3);
  CHECK(got[0].change->seq == seqs[2]);
  CHECK(got[1].change->seq == seqs[4]);  // d3 ("pear") does not match
  CHECK(got[2].change->id == "d5");
  auto old = subscribe(hub, idx, all(), seqs[0]);
  CHECK(old->gap());
}

TEST_CASE("watch_hub: a slow watcher is dropped without blocking writes; close_all wakes others") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub(WatchOptions{100, 4});
  auto slow = subscribe(hub, idx, all());
  for (int i = 0; i < 10; ++i) REQUIRE(idx->put(doc("s" + std::to_string(i))).is_ok());
  REQUIRE(idx->refresh().is_ok());
  std::vector<WatchEvent> ev;
  Watcher::Wait wait = Watcher::Wait::kTimeout;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (wait != Watcher::Wait::kDropped && std::chrono::steady_clock::now() < deadline)
    wait = slow->next(&ev, 0, 10);
  CHECK(wait == Watcher::Wait::kDropped);
  auto other = subscribe(hub, idx, all());
  hub.close_all();
  CHECK(other->next(&ev, 1, 1000) == Watcher::Wait::kClosed);
}

TEST_CASE("watch_hub: under a bulk write, many watchers receive exactly their matches once") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  const char* words[] = {"apple", "pear", "plum", "fig"};
  std::vector<std::shared_ptr<Watcher>> ws;
  for (int i = 0; i < 12; ++i)
    ws.push_back(subscribe(hub, idx, request(std::string(R"({"query":{"match":{"title":")") + words[i % 4] + "\"}}}")));
  CHECK(hub.queries() == 4);
  std::vector<Json> docs;
  std::vector<std::set<std::string>> want(4);
  for (int i = 0; i < 5000; ++i) {
    std::string title = std::string(words[i % 4]) + (i % 3 == 0 ? std::string(" ") + words[(i / 4) % 4] : "");
    docs.push_back(doc(std::to_string(i), title));
    for (int k = 0; k < 4; ++k)
      if (title.find(words[k]) != std::string::npos) want[k].insert(std::to_string(i));
  }
  for (auto& r : idx->put_many(docs)) REQUIRE(r.is_ok());
  REQUIRE(idx->refresh().is_ok());
  for (int i = 0; i < 12; ++i) {
    std::multiset<std::string> got;
    for (const auto& e : drain(*ws[i], want[i % 4].size())) {
      CHECK(e.kind == WatchEvent::Kind::kMatch);
      got.insert(e.change->id);
    }
    CHECK(std::set<std::string>(got.begin(), got.end()) == want[i % 4]);
    CHECK(got.size() == want[i % 4].size());  // each once
  }
}

TEST_CASE("watch_hub: a matcher that falls matcher_backlog events behind drops every watcher; writes go on") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchOptions opt;
  opt.matcher_backlog = 0;  // any event waiting to be matched is too many
  WatchHub hub(opt);
  auto a = subscribe(hub, idx, all());
  auto b = subscribe(hub, idx, request(R"({"query":{"match":{"title":"x"}}})"));
  for (int i = 0; i < 3; ++i) REQUIRE(idx->put(doc("d" + std::to_string(i))).is_ok());
  REQUIRE(idx->refresh().is_ok());
  std::vector<WatchEvent> ev;
  CHECK(a->next(&ev, 10, 1000) == Watcher::Wait::kDropped);
  CHECK(b->next(&ev, 10, 1000) == Watcher::Wait::kDropped);
  CHECK(idx->snapshot()->live_docs() == 3);
}

TEST_CASE("watch_hub: a resume point of another ring starts now with a gap; the same ring resumes exactly") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  hub.attach(idx);
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 3; ++i) {
    auto r = idx->put(doc("d" + std::to_string(i), "apple"));
    REQUIRE(r.is_ok());
    seqs.push_back(r->seq);
  }
  REQUIRE(idx->refresh().is_ok());
  auto first = subscribe(hub, idx, all());
  CHECK(first->ring() != 0);
  CHECK(first->from_seq() == seqs[2]);  // the last seq published when it subscribed
  auto same = hub.subscribe(idx, all(), seqs[0], first->ring());
  REQUIRE(same.is_ok());
  CHECK_FALSE((*same)->gap());
  CHECK((*same)->from_seq() == seqs[0]);
  auto got = drain(**same, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].change->seq == seqs[1]);
  auto other = hub.subscribe(idx, all(), seqs[0], first->ring() + 1);  // e.g. the replica was rebuilt
  REQUIRE(other.is_ok());
  CHECK((*other)->gap());
  CHECK((*other)->from_seq() == seqs[2]);
  CHECK(drain(**other, 0).empty());  // nothing replayed: it starts now
  // Another index (another Index object) has another ring.
  TempDir dir2;
  auto idx2 = make_index(dir2.path());
  CHECK(subscribe(hub, idx2, all())->ring() != first->ring());
}

TEST_CASE("watch_hub: a resume point past the last event published starts now with a gap") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  hub.attach(idx);
  auto r = idx->put(doc("a", "apple"));
  REQUIRE(r.is_ok());
  REQUIRE(idx->refresh().is_ok());
  // e.g. the id of a process that had published more before it restarted,
  // or a made-up one (above 2^63 too)
  for (uint64_t after : {r->seq + 1, uint64_t{18446744073709551615ull}}) {
    auto w = subscribe(hub, idx, all(), after);
    CHECK(w->gap());
    CHECK(w->from_seq() == r->seq);  // what it streams from: now
    REQUIRE(idx->put(doc("b" + std::to_string(after % 7), "apple")).is_ok());
    REQUIRE(idx->refresh().is_ok());
    auto got = drain(*w, 1);
    REQUIRE(got.size() == 1);  // the next event reaches it
    CHECK(got[0].change->seq > r->seq);
    hub.unsubscribe(idx, w);
    r = idx->put(doc("c", "x"));  // the next round's last event
    REQUIRE(r.is_ok());
    REQUIRE(idx->refresh().is_ok());
  }
}

TEST_CASE("watch_hub: a watcher given the ids another held as matched sends their deletes") {
  TempDir dir;
  auto idx = make_index(dir.path());
  WatchHub hub;
  hub.attach(idx);
  const auto apple = request(R"({"query":{"match":{"title":"apple"}}})");
  REQUIRE(idx->put(doc("a", "apple")).is_ok());
  REQUIRE(idx->put(doc("b", "apple")).is_ok());
  REQUIRE(idx->refresh().is_ok());
  // Another watcher of the same query, subscribed before: its group knows
  // no matched id, which must not hide the seeded watcher's deletes.
  auto other = subscribe(hub, idx, apple);
  std::unordered_set<std::string> matched = {"a", "b"};
  auto seeded = hub.subscribe(idx, apple, std::nullopt, std::nullopt, &matched);
  REQUIRE(seeded.is_ok());
  auto plain = subscribe(hub, idx, apple);
  REQUIRE(idx->remove("a").is_ok());
  REQUIRE(idx->put(doc("b", "pear")).is_ok());  // no longer matches
  REQUIRE(idx->refresh().is_ok());
  auto got = drain(**seeded, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].kind == WatchEvent::Kind::kDelete);
  CHECK(got[0].change->id == "a");
  CHECK(got[1].kind == WatchEvent::Kind::kDelete);
  CHECK(got[1].change->id == "b");
  CHECK(drain(*plain, 0).empty());  // never told a or b matched
  CHECK(drain(*other, 0).empty());
}

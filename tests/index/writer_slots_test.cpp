// Concurrent writers: batches admitted in a fixed order from several threads
// fill separate writer slots, and the index must look exactly as if they had
// been applied one after another (the last copy of an id wins, deletes hit
// whichever slot or segment holds the live copy), before and after a
// refresh, a reopen and a crash.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "../test_util.h"
#include "meridian/index/index.h"

using namespace meridian;
using namespace meridian::index;

namespace {

IndexOptions slots(uint32_t n) {
  IndexOptions o;
  o.background = false;
  o.writer_slots = n;
  return o;
}

std::unique_ptr<Index> open_index(const std::string& dir, const IndexOptions& o) {
  Schema s;
  auto ix = Index::open(dir, "t", o, &s);
  REQUIRE(ix.is_ok());
  return std::move(*ix);
}

// One step of the workload, in admission order: a batch of puts or one delete.
struct Step {
  std::vector<std::pair<int, int64_t>> puts;  // (id, version)
  int del = -1;
};

std::vector<Step> workload(uint32_t seed, int steps, int ids) {
  std::mt19937 rng(seed);
  std::vector<Step> out(static_cast<size_t>(steps));
  for (auto& s : out) {
    if (rng() % 5 == 0) {
      s.del = static_cast<int>(rng() % static_cast<unsigned>(ids));
      continue;
    }
    size_t n = 1 + rng() % 60;
    for (size_t i = 0; i < n; ++i) s.puts.emplace_back(static_cast<int>(rng() % static_cast<unsigned>(ids)), 0);
  }
  int64_t version = 0;
  for (auto& s : out)
    for (auto& p : s.puts) p.second = ++version;
  return out;
}

Json doc(int id, int64_t version) {
  Json d;
  d.set("id", id);
  d.set("body", "common words for every version v" + std::to_string(version));
  d.set("version", version);
  return d;
}

// The state a serial application of `steps` leaves: id -> version.
std::map<std::string, int64_t> expected_state(const std::vector<Step>& steps) {
  std::map<std::string, int64_t> live;
  for (const auto& s : steps) {
    if (s.del >= 0) live.erase(std::to_string(s.del));
    for (const auto& [id, v] : s.puts) live[std::to_string(id)] = v;
  }
  return live;
}

// Runs `steps` from `threads` threads, step k on thread k % threads, each
// admitted in order k: a ticket passed on once begin_write() returns (puts;
// finish() indexes the batch after that) or after remove() returns (deletes). Checks every `replaced` flag against a
// serial replay, advanced in admission order from `live`.
void run_concurrently(Index& ix, const std::vector<Step>& steps, unsigned threads, bool durable,
                      std::map<std::string, int64_t> live = {}) {  // live: the state before, replayed on
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0;
  std::atomic<int> wrong_replaced{0}, failures{0};
  auto worker = [&](unsigned t) {
    for (size_t k = t; k < steps.size(); k += threads) {
      const Step& s = steps[k];
      std::vector<Json> docs;
      for (const auto& [id, v] : s.puts) docs.push_back(doc(id, v));
      auto prepared = ix.prepare(docs);  // outside the order, as the importer does
      {
        std::unique_lock<std::mutex> l(mu);
        cv.wait(l, [&] { return next == k; });
      }
      WriteOptions w;
      w.durable = durable;
      if (s.del >= 0) {
        const std::string id = std::to_string(s.del);
        auto r = ix.remove(id, w);
        std::lock_guard<std::mutex> l(mu);
        if (!r.is_ok()) ++failures;
        else if (*r != (live.count(id) > 0)) ++wrong_replaced;
        live.erase(id);
        ++next;
        cv.notify_all();
        continue;
      }
      WriteBatch wb;
      for (auto& p : prepared) wb.put(std::move(p));
      auto pending = ix.begin_write(std::move(wb), w);
      {
        std::lock_guard<std::mutex> l(mu);
        const auto& results = pending.admitted();
        for (size_t i = 0; i < results.size(); ++i) {
          const std::string id = std::to_string(s.puts[i].first);
          if (!results[i].is_ok()) ++failures;
          else if (results[i]->replaced != (live.count(id) > 0)) ++wrong_replaced;
          live[id] = s.puts[i].second;
        }
        ++next;
        cv.notify_all();
      }
      auto results = pending.finish();
      for (const auto& r : results)
        if (!r.is_ok()) ++failures;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  CHECK(failures.load() == 0);
  CHECK(wrong_replaced.load() == 0);
  CHECK(next == steps.size());
}

// Every expected id has its expected version, realtime (get) and in the
// snapshot, and nothing else is live.
void check_state(Index& ix, const std::map<std::string, int64_t>& want, bool refreshed) {
  for (const auto& [id, v] : want) {
    auto got = ix.get(id);
    REQUIRE(got.is_ok());
    REQUIRE(got->has_value());
    CHECK(got->value().find("\"version\":" + std::to_string(v) + "}") != std::string::npos);
  }
  for (int id = 0; id < 200; ++id)
    if (!want.count(std::to_string(id))) CHECK_FALSE(ix.get(std::to_string(id))->has_value());
  if (!refreshed) return;
  auto snap = ix.snapshot();
  CHECK(snap->live_docs() == want.size());
  for (const auto& [id, v] : want) {
    auto src = snap->get(id);
    REQUIRE(src.is_ok());
    REQUIRE(src->has_value());
    CHECK(src->value().find("\"version\":" + std::to_string(v) + "}") != std::string::npos);
  }
}

}  // namespace

TEST_CASE("index: concurrent writers in separate slots leave the state of a serial run") {
  int parallel_runs = 0;  // runs whose first refresh wrote more than one slot
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    TempDir dir;
    const auto steps = workload(seed, 240, 200);
    const auto want = expected_state(steps);
    {
      auto ix = open_index(dir.path(), slots(3));
      // A refresh in the middle turns slots into segments: later copies then
      // replace documents in segments as well as in other slots.
      std::vector<Step> first(steps.begin(), steps.begin() + 100), second(steps.begin() + 100, steps.end());
      run_concurrently(*ix, first, 3, false);
      REQUIRE(ix->refresh().is_ok());
      check_state(*ix, expected_state(first), true);
      if (ix->stats().segments > 1) ++parallel_runs;
      run_concurrently(*ix, second, 3, false, expected_state(first));
      check_state(*ix, want, false);  // realtime gets from the slots
      REQUIRE(ix->refresh().is_ok());
      check_state(*ix, want, true);
      REQUIRE(ix->commit().is_ok());
    }
    auto ix = open_index(dir.path(), slots(2));
    check_state(*ix, want, true);
  }
  // Whether two batches overlap depends on timing; say so when none did.
  WARN_MESSAGE(parallel_runs > 0, "no run filled two slots at once");
}

TEST_CASE("index: concurrent durable writes in slots survive a crash before any commit") {
  TempDir dir;
  const auto steps = workload(7, 150, 200);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    Schema s;
    auto ix = Index::open(dir.path(), "t", slots(2), &s);
    if (!ix.is_ok()) ::_exit(3);
    run_concurrently(**ix, steps, 2, true);
    ::_exit(0);  // no destructor: no commit, only the WAL
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto ix = open_index(dir.path(), slots(2));
  check_state(*ix, expected_state(steps), true);
}

TEST_CASE("index: a write batch records its documents, deletes and positions together") {
  TempDir dir;
  {
    auto ix = open_index(dir.path(), slots(2));
    WriteBatch b1;
    b1.put(doc(1, 1));
    b1.put(doc(2, 2));
    b1.set_position("import:x", "10");
    auto r1 = ix->write(std::move(b1));
    REQUIRE(r1.size() == 2);
    REQUIRE(r1[0].is_ok());
    REQUIRE(r1[1].is_ok());
    CHECK(r1[1]->seq == r1[0]->seq + 1);
    CHECK(ix->source_position("import:x") == "10");
    WriteBatch b2;
    b2.remove("1");
    b2.remove("7");  // never there
    Json bad;
    bad.set("id", 3);
    bad.set("version", "text, not a number");  // "version" is an int field by now
    b2.put(bad);
    b2.put(doc(2, 5));
    b2.set_position("import:x", "20");
    b2.set_position("other", "a");
    auto r2 = ix->write(std::move(b2));
    REQUIRE(r2.size() == 4);
    REQUIRE(r2[0].is_ok());
    CHECK(r2[0]->replaced);  // deleted
    REQUIRE(r2[1].is_ok());
    CHECK_FALSE(r2[1]->replaced);
    CHECK_FALSE(r2[2].is_ok());  // refused alone
    REQUIRE(r2[3].is_ok());
    CHECK(r2[3]->replaced);
    CHECK(ix->source_position("import:x") == "20");
    CHECK(ix->source_position("other") == "a");
    CHECK_FALSE(ix->get("1")->has_value());
  }
  auto ix = open_index(dir.path(), slots(2));
  CHECK(ix->source_position("import:x") == "20");
  CHECK(ix->source_position("other") == "a");
  CHECK_FALSE(ix->get("1")->has_value());
  CHECK_FALSE(ix->get("3")->has_value());
  CHECK(ix->get("2")->value().find("\"version\":5}") != std::string::npos);
}

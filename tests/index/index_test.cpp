#include "meridian/index/index.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "../test_util.h"
#include "meridian/index/engine.h"
#include "meridian/index/term_key.h"

using namespace meridian;
using namespace meridian::index;

namespace {

IndexOptions manual() {
  IndexOptions o;
  o.background = false;
  return o;
}

Json doc(int id, const std::string& text, int64_t n = 0) {
  Json d;
  d.set("id", id);
  d.set("body", text);
  d.set("n", n);
  return d;
}

std::unique_ptr<Index> open_index(const std::string& dir, const IndexOptions& o = manual()) {
  Schema s;
  auto ix = Index::open(dir, "t", o, &s);
  REQUIRE(ix.is_ok());
  return std::move(*ix);
}

// Live docs containing the term (full key) across the snapshot.
uint64_t live_matches(const Snapshot& snap, const std::string& key) {
  uint64_t n = 0;
  for (const auto& v : snap.segments()) {
    auto p = v.segment->postings_for(key);
    REQUIRE(p.is_ok());
    // The segment's df lookup (no bitmap decoded) agrees with the postings.
    auto df = v.segment->doc_freq(key);
    REQUIRE(df.is_ok());
    CHECK(*df == (p->has_value() ? (*p)->doc_freq() : 0u));
    if (!p->has_value()) continue;
    (*p)->docs().for_each([&](uint32_t d) {
      if (!v.is_deleted(d)) ++n;
      return true;
    });
  }
  return n;
}

// Runs `fn` in a child process that then exits without running any
// destructor: to the index, a crash right after `fn`.
template <typename Fn>
void crash_after(Fn fn) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    fn();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
}

}  // namespace

TEST_CASE("index: put, get, replace and delete across segments") {
  TempDir dir;
  auto ix = open_index(dir.path());
  REQUIRE(ix->put(doc(1, "red apple")).is_ok());
  REQUIRE(ix->put(doc(2, "green apple")).is_ok());
  CHECK(ix->get("1")->value().find("red apple") != std::string::npos);  // realtime, before refresh
  REQUIRE(ix->refresh().is_ok());
  auto r = ix->put(doc(1, "yellow banana"));
  REQUIRE(r.is_ok());
  CHECK(r->replaced);
  CHECK(ix->get("1")->value().find("banana") != std::string::npos);
  REQUIRE(ix->refresh().is_ok());
  auto snap = ix->snapshot();
  CHECK(snap->live_docs() == 2);
  CHECK(live_matches(*snap, term_key("body", "appl")) == 1);  // stemmed by the default English analyzer
  CHECK(live_matches(*snap, term_key("body", "banana")) == 1);
  CHECK(*ix->remove("2") == true);
  CHECK(*ix->remove("2") == false);
  CHECK_FALSE(ix->get("2")->has_value());
  REQUIRE(ix->refresh().is_ok());
  CHECK(ix->snapshot()->live_docs() == 1);
  CHECK(live_matches(*ix->snapshot(), term_key("body", "appl")) == 0);
}

TEST_CASE("index: an old snapshot is unchanged by later writes") {
  TempDir dir;
  auto ix = open_index(dir.path());
  REQUIRE(ix->put(doc(1, "alpha")).is_ok());
  REQUIRE(ix->refresh().is_ok());
  auto before = ix->snapshot();
  REQUIRE(ix->remove("1").is_ok());
  REQUIRE(ix->put(doc(2, "beta")).is_ok());
  REQUIRE(ix->refresh().is_ok());
  CHECK(before->live_docs() == 1);
  CHECK(before->get("1")->has_value());
  CHECK_FALSE(ix->snapshot()->get("1")->has_value());
}

TEST_CASE("index: committed data and uncommitted WAL records both survive a reopen") {
  TempDir dir;
  crash_after([&] {
    auto ix = open_index(dir.path());
    for (int i = 0; i < 100; ++i)
      if (!ix->put(doc(i, "word" + std::to_string(i % 7), i)).is_ok()) ::_exit(1);
    if (!ix->commit().is_ok()) ::_exit(1);
    for (int i = 100; i < 150; ++i)
      if (!ix->put(doc(i, "late", i)).is_ok()) ::_exit(1);
    if (!ix->remove("5").is_ok()) ::_exit(1);
    if (!ix->set_source_position("pg", "0/ABC").is_ok()) ::_exit(1);
  });
  auto ix = open_index(dir.path());
  auto snap = ix->snapshot();
  CHECK(snap->live_docs() == 149);
  CHECK(snap->get("120")->has_value());
  CHECK_FALSE(snap->get("5")->has_value());
  CHECK(ix->source_position("pg") == std::string("0/ABC"));
  CHECK(ix->schema()->find("n")->type == FieldType::kInt);
}

TEST_CASE("index: writes without the WAL fsync (durable=false) are logged, recovered and committed") {
  TempDir dir;
  WriteOptions lazy;
  lazy.durable = false;
  crash_after([&] {
    auto ix = open_index(dir.path());
    std::vector<Json> docs;
    for (int i = 0; i < 40; ++i) docs.push_back(doc(i, "lazy", i));
    for (auto& r : ix->put_many(docs, lazy))
      if (!r.is_ok()) ::_exit(1);
    if (!ix->set_source_position("import:f", "40", lazy).is_ok()) ::_exit(1);
  });
  // The process died before any fsync, but the records were written to the
  // WAL file, so a process crash (not a power loss) loses nothing.
  {
    auto ix = open_index(dir.path());
    CHECK(ix->snapshot()->live_docs() == 40);
    CHECK(ix->source_position("import:f") == std::string("40"));
    std::vector<Json> more;
    for (int i = 40; i < 60; ++i) more.push_back(doc(i, "later", i));
    for (auto& r : ix->put_many(more, lazy)) CHECK(r.is_ok());
    REQUIRE(ix->commit().is_ok());
  }
  auto ix = open_index(dir.path());
  CHECK(ix->snapshot()->live_docs() == 60);
  CHECK(live_matches(*ix->snapshot(), term_key("body", "later")) == 20);
}

TEST_CASE("index: dynamic mapping conflicts are rejected and nothing else is lost") {
  TempDir dir;
  auto ix = open_index(dir.path());
  REQUIRE(ix->put(doc(1, "x", 5)).is_ok());
  Json bad;
  bad.set("id", 2);
  bad.set("n", "five");
  auto r = ix->put(bad);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message().find("'n'") != std::string::npos);
  REQUIRE(ix->refresh().is_ok());
  CHECK(ix->snapshot()->live_docs() == 1);
}

TEST_CASE("index: a batch whose documents type a new field int and float stores the later ones as the first type") {
  TempDir dir;
  auto ix = open_index(dir.path());
  std::vector<Json> docs = {*parse_json(R"({"id":1,"lon":20.5,"day":"x"})"),
                            *parse_json(R"({"id":2,"lon":20,"day":"2024-05-01"})"),
                            *parse_json(R"({"id":3,"lon":-7})")};
  for (auto& r : ix->put_many(docs)) CHECK(r.is_ok());
  CHECK(ix->schema()->find("lon")->type == FieldType::kFloat);
  CHECK(ix->schema()->find("day")->type == FieldType::kText);  // the date string went into the text field
  REQUIRE(ix->refresh().is_ok());
  CHECK(ix->snapshot()->live_docs() == 3);
  CHECK(live_matches(*ix->snapshot(), term_key("day", "2024")) == 1);
  // The other way round a fraction cannot go into the int field: refused, not truncated.
  auto r = ix->put_many({*parse_json(R"({"id":4,"n2":3})"), *parse_json(R"({"id":5,"n2":3.5})"),
                         *parse_json(R"({"id":6,"n2":4.0})")});
  CHECK(r[0].is_ok());
  REQUIRE_FALSE(r[1].is_ok());
  CHECK(r[1].status().message().find("'n2' has type int") != std::string::npos);
  CHECK(r[2].is_ok());
}

TEST_CASE("index: merges keep every live document and drop deleted ones") {
  TempDir dir;
  IndexOptions o = manual();
  o.merge_factor = 4;
  auto ix = open_index(dir.path(), o);
  std::mt19937 rng(7);
  std::map<int, std::string> oracle;
  for (int round = 0; round < 12; ++round) {
    for (int i = 0; i < 30; ++i) {
      int id = static_cast<int>(rng() % 200);
      if (rng() % 5 == 0) {
        REQUIRE(ix->remove(std::to_string(id)).is_ok());
        oracle.erase(id);
      } else {
        std::string text = "w" + std::to_string(rng() % 10) + " common";
        REQUIRE(ix->put(doc(id, text)).is_ok());
        oracle[id] = text;
      }
    }
    REQUIRE(ix->refresh().is_ok());
    while (*ix->maybe_merge()) {
    }
  }
  CHECK(ix->stats().merges > 0);
  auto snap = ix->snapshot();
  CHECK(snap->live_docs() == oracle.size());
  CHECK(live_matches(*snap, term_key("body", "common")) == oracle.size());
  for (auto& [id, text] : oracle) {
    auto g = snap->get(std::to_string(id));
    REQUIRE(g.is_ok());
    REQUIRE(g->has_value());
    CHECK(g->value().find(text) != std::string::npos);
  }
  REQUIRE(ix->force_merge().is_ok());
  snap = ix->snapshot();
  CHECK(snap->segments().size() == 1);
  CHECK(snap->total_docs() == oracle.size());  // deletes dropped
  ix.reset();
  auto again = open_index(dir.path());
  CHECK(again->snapshot()->live_docs() == oracle.size());
}

TEST_CASE("index: concurrent readers see consistent snapshots during writes and merges") {
  TempDir dir;
  IndexOptions o;
  o.refresh_interval_ms = 5;
  o.merge_factor = 3;
  o.commit_interval_ms = 50;
  auto ix = open_index(dir.path(), o);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&] {
      while (!stop) {
        auto snap = ix->snapshot();
        // Every document has the term "all"; the count equals the live count.
        if (live_matches(*snap, term_key("body", "all")) != snap->live_docs()) errors++;
      }
    });
  for (int i = 0; i < 400; ++i) {
    REQUIRE(ix->put(doc(i % 150, "all doc" + std::to_string(i))).is_ok());
    if (i % 50 == 0) REQUIRE(ix->refresh().is_ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  CHECK(errors == 0);
  REQUIRE(ix->put(doc(1000, "all"), WriteOptions{true}).is_ok());
  CHECK(ix->snapshot()->get("1000")->has_value());
  CHECK(ix->snapshot()->live_docs() == 151);
}

TEST_CASE("index: truncate empties the index durably") {
  TempDir dir;
  crash_after([&] {
    auto ix = open_index(dir.path());
    for (int i = 0; i < 20; ++i)
      if (!ix->put(doc(i, "x")).is_ok()) ::_exit(1);
    if (!ix->commit().is_ok() || !ix->put(doc(99, "y")).is_ok() || !ix->truncate().is_ok() ||
        !ix->put(doc(100, "z")).is_ok() || !ix->refresh().is_ok() || ix->snapshot()->live_docs() != 1)
      ::_exit(1);
  });
  auto ix = open_index(dir.path());
  CHECK(ix->snapshot()->live_docs() == 1);
  CHECK(ix->snapshot()->get("100")->has_value());
}

TEST_CASE("engine: one process owns a data directory; indexes are created, listed and dropped") {
  TempDir dir;
  auto e = Engine::open(dir.path());
  REQUIRE(e.is_ok());
  auto second = Engine::open(dir.path());
  REQUIRE_FALSE(second.is_ok());
  CHECK(second.status().code() == Status::Code::kBusy);
  REQUIRE((*e)->create_index("cities", Schema()).is_ok());
  CHECK((*e)->create_index("cities", Schema()).status().code() == Status::Code::kAlreadyExists);
  CHECK_FALSE((*e)->create_index("../x", Schema()).is_ok());
  auto ix = (*e)->get("cities");
  REQUIRE(ix.is_ok());
  REQUIRE((*ix)->put(doc(1, "paris")).is_ok());
  CHECK((*e)->list() == std::vector<std::string>{"cities"});
  REQUIRE((*e)->close().is_ok());
  e->reset();
  auto again = Engine::open(dir.path());
  REQUIRE(again.is_ok());
  auto ix2 = (*again)->get("cities");
  REQUIRE(ix2.is_ok());
  CHECK((*ix2)->get("1")->has_value());
  REQUIRE((*again)->drop("cities").is_ok());
  CHECK((*again)->get("cities").status().code() == Status::Code::kNotFound);
  CHECK((*again)->list().empty());
}

TEST_CASE("index: a bit flip in a committed segment file is reported by name on open") {
  TempDir dir;
  {
    auto ix = open_index(dir.path());
    for (int i = 0; i < 50; ++i) REQUIRE(ix->put(doc(i, "some words here")).is_ok());
    REQUIRE(ix->commit().is_ok());
  }
  auto names = *fs::list_dir(dir.path());
  std::string meta;
  for (const auto& n : names)
    if (n.size() > 5 && n.substr(n.size() - 5) == ".meta") meta = fs::join(dir.path(), n);
  REQUIRE_FALSE(meta.empty());
  std::string data = *fs::read_file(meta);
  data[36] ^= 0x40;
  REQUIRE(fs::write_file_atomic(meta, data).is_ok());
  Schema s;
  auto ix = Index::open(dir.path(), "t", manual(), &s);
  REQUIRE_FALSE(ix.is_ok());
  CHECK(ix.status().code() == Status::Code::kCorruption);
  CHECK(ix.status().message().find(".meta") != std::string::npos);
}

TEST_CASE("index: while someone waits for change events, refreshes come every live_refresh_interval_ms") {
  TempDir dir;
  IndexOptions o;
  o.refresh_interval_ms = 600000;  // never, within this test
  o.live_refresh_interval_ms = 20;
  auto ix = open_index(dir.path(), o);
  auto visible_within = [&](uint64_t seq, int ms) {
    for (int waited = 0; waited < ms; waited += 5) {
      if (ix->snapshot()->visible_seq() >= seq) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return ix->snapshot()->visible_seq() >= seq;
  };
  auto first = ix->put(doc(1, "alpha"));
  REQUIRE_MESSAGE(first.is_ok(), first.status().message());
  CHECK_FALSE(visible_within(first->seq, 300));  // the plain interval: not yet

  ix->set_live_interest(true);  // a watch stream opened
  CHECK(visible_within(first->seq, 10000));
  auto second = ix->put(doc(2, "beta"));
  REQUIRE(second.is_ok());
  CHECK(visible_within(second->seq, 10000));

  ix->set_live_interest(false);  // the last stream closed: back to the plain interval
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a refresh already waiting ends
  auto third = ix->put(doc(3, "gamma"));
  REQUIRE(third.is_ok());
  CHECK_FALSE(visible_within(third->seq, 300));
}

// Each live document's write order (the "_order" column), by external id.
static std::map<std::string, int64_t> write_orders(const Snapshot& snap) {
  std::map<std::string, int64_t> out;
  for (const auto& v : snap.segments()) {
    const columns::IntColumn* col = v.segment->columns().int_column(kOrderField);
    REQUIRE(col != nullptr);
    for (uint32_t d = 0; d < v.segment->num_docs(); ++d) {
      if (v.is_deleted(d)) continue;
      REQUIRE(col->has(d));
      out[v.segment->external_id(d)] = col->value(d, 0);
    }
  }
  return out;
}

TEST_CASE("index: each document keeps its write order (the put's sequence number) through merges and recovery") {
  TempDir dir;
  std::map<std::string, int64_t> want;
  crash_after([&] {
    auto ix = open_index(dir.path());
    for (int i = 0; i < 60; ++i) {
      auto r = ix->put(doc(i, "w", i));
      if (!r.is_ok()) ::_exit(1);
      if (i % 20 == 19 && !ix->refresh().is_ok()) ::_exit(1);
    }
    if (!ix->commit().is_ok()) ::_exit(1);
    // Logged only: the reopen replays these from the WAL.
    for (int i : {3, 70, 71})
      if (!ix->put(doc(i, "late", i)).is_ok()) ::_exit(1);
  });
  auto ix = open_index(dir.path());
  // Sequence numbers: puts 1..60 (refreshes take none), then 61..63.
  for (int i = 0; i < 60; ++i) want[std::to_string(i)] = i + 1;
  want["3"] = 61;
  want["70"] = 62;
  want["71"] = 63;
  REQUIRE(ix->refresh().is_ok());
  CHECK(write_orders(*ix->snapshot()) == want);
  REQUIRE(ix->force_merge().is_ok());
  CHECK(ix->snapshot()->segments().size() == 1);
  CHECK(write_orders(*ix->snapshot()) == want);
  auto r = ix->put(doc(10, "again", 10));
  REQUIRE(r.is_ok());
  want["10"] = static_cast<int64_t>(r->seq);
  REQUIRE(ix->refresh().is_ok());
  CHECK(write_orders(*ix->snapshot()) == want);
}

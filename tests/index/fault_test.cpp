// Fault injection under every write: an import-like batch load, a bulk write
// and a merge run against a file system that fails at one I/O call (disk
// full, EIO on write or fsync, a short write, a failed rename, a crash that
// drops unsynced data), for every call in turn. Afterwards every
// acknowledged write is there, no unacknowledged batch is half there, the
// index opens, and the error the caller got names the cause.
#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "../fault_fs.h"
#include "../test_util.h"
#include "meridian/index/index.h"

using namespace meridian;
using namespace meridian::index;
using testing::FaultInjectionFs;
using testing::ScopedFileSystem;
using Fault = FaultInjectionFs::Fault;

namespace {

// The fault file system simulates durability, so memory will do: a thousand
// runs on a slow disk would take minutes.
constexpr const char* kFastDir = "/dev/shm";

using Batch = std::vector<std::pair<std::string, std::string>>;  // (id, body)

struct Outcome {
  std::map<std::string, std::string> acked;  // must be there with this body
  std::set<std::string> acked_deletes;       // must be gone
  std::set<std::string> uncertain;           // a failed delete: there or not
  std::vector<Batch> unacked;                // each all there or not at all
  std::vector<std::pair<int, Batch>> import_batches;  // (position, docs)
  Status first_error;
  void note(const Status& st) {
    if (!st.is_ok() && first_error.is_ok()) first_error = st;
  }
};

Json doc(const std::string& id, const std::string& body) {
  Json j = Json::object();
  j.set("id", Json(id));
  j.set("body", Json(body));
  return j;
}

Batch make_batch(const std::string& prefix, int n) {
  Batch b;
  for (int i = 0; i < n; ++i)
    b.emplace_back(prefix + "-" + std::to_string(i), "words for " + prefix + " number " + std::to_string(i));
  return b;
}

std::vector<Json> jsons(const Batch& b) {
  std::vector<Json> out;
  for (const auto& [id, body] : b) out.push_back(doc(id, body));
  return out;
}

IndexOptions options() {
  IndexOptions o;
  o.background = false;
  o.merge_factor = 2;
  o.writer_slots = 1;
  return o;
}

// The workload; every Status it sees goes into the outcome.
Outcome run_workload(const std::string& dir) {
  Outcome out;
  Schema schema;
  auto opened = Index::open(dir, "f", options(), &schema);
  if (!opened) {
    out.note(opened.status());
    return out;
  }
  Index& ix = **opened;
  // Import: batches applied without fsync, each with its source position in
  // the same WAL write, acknowledged by the final commit.
  std::vector<Batch> imported;
  bool import_ok = true;
  for (int k = 1; k <= 3; ++k) {
    Batch b = make_batch("imp" + std::to_string(k), 4);
    WriteBatch wb;
    for (auto& p : ix.prepare(jsons(b))) wb.put(std::move(p));
    wb.set_position("import", std::to_string(k));
    WriteOptions w;
    w.durable = false;
    auto res = ix.write(std::move(wb), w);
    for (auto& r : res) {
      out.note(r.status());
      import_ok = import_ok && r.is_ok();
    }
    out.import_batches.emplace_back(k, b);
    imported.push_back(std::move(b));
    if (k == 2) out.note(ix.refresh());  // a second segment, for the merge
  }
  Status cst = ix.commit();
  out.note(cst);
  for (auto& b : imported) {
    if (import_ok && cst.is_ok()) {
      for (auto& [id, body] : b) out.acked[id] = body;
    } else {
      out.unacked.push_back(b);
    }
  }
  // Bulk writes, each batch durable when acknowledged.
  for (int k = 1; k <= 2; ++k) {
    Batch b = make_batch("bulk" + std::to_string(k), 3);
    auto res = ix.put_many(jsons(b));
    bool ok = true;
    for (auto& r : res) {
      out.note(r.status());
      ok = ok && r.is_ok();
    }
    if (ok) {
      for (auto& [id, body] : b) out.acked[id] = body;
    } else {
      out.unacked.push_back(b);
    }
    out.note(ix.refresh());
  }
  // A write batch with a delete, a put and a position (a CDC transaction):
  // durable together when acknowledged, and the position never without them.
  {
    WriteBatch wb;
    wb.remove("bulk2-1");
    wb.put(doc("txn-0", "written with its position"));
    wb.set_position("cdc", "7");
    auto res = ix.write(std::move(wb));
    bool ok = true;
    for (auto& r : res) {
      out.note(r.status());
      ok = ok && r.is_ok();
    }
    if (ok) {
      out.acked["txn-0"] = "written with its position";
      out.acked_deletes.insert("bulk2-1");
    } else {
      out.uncertain.insert("bulk2-1");
      out.unacked.push_back({{"txn-0", "written with its position"}});
    }
  }
  auto removed = ix.remove("bulk1-0");
  out.note(removed.status());
  if (removed.is_ok()) out.acked_deletes.insert("bulk1-0");
  else out.uncertain.insert("bulk1-0");
  out.note(ix.commit());
  out.note(ix.force_merge());
  out.note(ix.close());
  return out;
}

std::string fault_name(Fault f) {
  switch (f) {
    case Fault::kNone: return "none";
    case Fault::kNoSpace: return "ENOSPC";
    case Fault::kWriteEio: return "EIO on write";
    case Fault::kShortWrite: return "short write";
    case Fault::kSyncEio: return "EIO on fsync";
    case Fault::kRenameFail: return "failed rename";
    case Fault::kCrash: return "crash";
  }
  return "?";
}

void check_after(const std::string& dir, const Outcome& out, Fault f) {
  Schema schema;  // creates it when creating failed
  auto opened = Index::open(dir, "f", options(), &schema);
  REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
  Index& ix = **opened;
  for (const auto& [id, body] : out.acked) {
    if (out.uncertain.count(id)) continue;
    auto got = ix.get(id);
    REQUIRE(got.is_ok());
    if (out.acked_deletes.count(id)) {
      CHECK_MESSAGE(!got->has_value(), "acknowledged delete of " << id << " came back");
      continue;
    }
    REQUIRE_MESSAGE(got->has_value(), "acknowledged " << id << " is missing");
    CHECK(got->value().find(body) != std::string::npos);
  }
  for (const auto& b : out.unacked) {
    size_t present = 0, counted = 0;
    for (const auto& [id, body] : b) {
      if (out.acked_deletes.count(id) || out.uncertain.count(id)) continue;
      auto got = ix.get(id);
      REQUIRE(got.is_ok());
      ++counted;
      if (got->has_value()) {
        ++present;
        CHECK(got->value().find(body) != std::string::npos);
      }
    }
    CHECK_MESSAGE((present == 0 || present == counted), "a failed batch is half there (" << present << " of "
                                                            << counted << ") after " << fault_name(f));
  }
  // The transaction's position comes with its writes.
  if (ix.source_position("cdc")) {
    CHECK_MESSAGE(ix.get("txn-0")->has_value(), "position recorded without its document");
    CHECK_MESSAGE(!ix.get("bulk2-1")->has_value(), "position recorded without its delete");
  }
  // The source position never runs ahead of the documents it stands for.
  if (auto pos = ix.source_position("import")) {
    int p = std::stoi(*pos);
    for (const auto& [k, b] : out.import_batches) {
      if (k > p) continue;
      for (const auto& [id, body] : b) {
        auto got = ix.get(id);
        REQUIRE(got.is_ok());
        CHECK_MESSAGE(got->has_value(), "position " << p << " recorded but " << id << " is missing");
      }
    }
  }
  CHECK(ix.close().is_ok());
}

const char* errno_text(Fault f) {
  return std::strerror(f == Fault::kNoSpace || f == Fault::kShortWrite ? ENOSPC : EIO);
}

}  // namespace

TEST_CASE("fault injection: a fault at any I/O call keeps acknowledged writes and names its cause") {
  FaultInjectionFs ffs;
  ScopedFileSystem scoped(&ffs);
  uint64_t total;
  {
    TempDir t(kFastDir);
    Outcome clean = run_workload(t.path());
    REQUIRE_MESSAGE(clean.first_error.is_ok(), clean.first_error.to_string());
    total = ffs.calls();
    CHECK(clean.acked.size() == 19);
    check_after(t.path(), clean, Fault::kNone);
  }
  REQUIRE(total > 20);
  size_t runs = 0;
  for (Fault f : {Fault::kNoSpace, Fault::kWriteEio, Fault::kShortWrite, Fault::kSyncEio, Fault::kRenameFail,
                  Fault::kCrash}) {
    for (uint64_t at = 1; at <= total; ++at) {
      TempDir t(kFastDir);
      const uint64_t base = ffs.calls();
      ffs.arm(f, base + at);
      Outcome out = run_workload(t.path());
      const bool fired = ffs.fired();
      if (f == Fault::kCrash) {
        ffs.crash();
      } else {
        ffs.heal();
      }
      if (!fired) break;  // no call of that kind from here on
      ++runs;
      CAPTURE(fault_name(f));
      CAPTURE(at);
      std::string where = ffs.fired_at();
      CAPTURE(where);
      CAPTURE(out.first_error.to_string());
      // The caller was told, and told why: "<file>: <errno text>".
      REQUIRE(!out.first_error.is_ok());
      CHECK(out.first_error.message().find(errno_text(f)) != std::string::npos);
      CHECK(out.first_error.message().find(t.path()) != std::string::npos);
      {
        ScopedFileSystem posix(nullptr);  // reopen on a healthy disk
        check_after(t.path(), out, f);
      }
    }
  }
  MESSAGE(runs << " fault runs over " << total << " I/O calls");
  CHECK(runs > total);
}

TEST_CASE("index health: a full disk degrades the index, which refuses writes and recovers by itself") {
  FaultInjectionFs ffs;
  ScopedFileSystem scoped(&ffs);
  TempDir t;
  IndexOptions o;
  o.refresh_interval_ms = 10;
  o.retry_min_ms = 10;
  o.retry_max_ms = 40;
  Schema schema;
  auto opened = Index::open(t.path(), "h", o, &schema);
  REQUIRE(opened.is_ok());
  Index& ix = **opened;
  REQUIRE(ix.put(doc("a", "first")).is_ok());
  CHECK(ix.health().is_ok());

  ffs.arm(Fault::kNoSpace, ffs.calls() + 1, /*sticky=*/true);
  auto failed = ix.put(doc("b", "second"));
  REQUIRE(!failed.is_ok());
  CHECK(failed.status().code() == Status::Code::kIOError);
  CHECK(failed.status().message().find("No space left on device") != std::string::npos);
  CHECK(failed.status().message().find(t.path()) != std::string::npos);
  Status h = ix.health();
  REQUIRE(!h.is_ok());
  CHECK(h.message().find("No space left on device") != std::string::npos);
  CHECK(!ix.stats().degraded.empty());
  // Sticky: later writes fail with the same cause, without touching the disk.
  auto refused = ix.put(doc("c", "third"));
  REQUIRE(!refused.is_ok());
  CHECK(refused.status().message() == h.message());
  CHECK(!ix.remove("a").is_ok());
  // Reads go on.
  auto got = ix.get("a");
  REQUIRE(got.is_ok());
  CHECK(got->has_value());

  ffs.heal();  // space returns
  for (int i = 0; i < 300 && !ix.health().is_ok(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(ix.health().is_ok());
  CHECK(ix.stats().degraded.empty());
  REQUIRE(ix.put(doc("d", "fourth")).is_ok());
  CHECK(ix.get("d")->has_value());
}

TEST_CASE("index health: a failed commit refuses writes until a commit succeeds") {
  FaultInjectionFs ffs;
  ScopedFileSystem scoped(&ffs);
  TempDir t;
  IndexOptions o = options();
  Schema schema;
  auto opened = Index::open(t.path(), "h", o, &schema);
  REQUIRE(opened.is_ok());
  Index& ix = **opened;
  REQUIRE(ix.put(doc("a", "first")).is_ok());
  ffs.arm(Fault::kNoSpace, ffs.calls() + 1, /*sticky=*/true);
  Status c = ix.commit();
  REQUIRE(!c.is_ok());
  CHECK(c.message().find("No space left on device") != std::string::npos);
  CHECK(!ix.health().is_ok());
  CHECK(!ix.put(doc("b", "second")).is_ok());
  CHECK(ix.get("a")->has_value());  // the document stayed in memory
  CHECK(!ix.commit().is_ok());      // still full
  ffs.heal();
  REQUIRE(ix.commit().is_ok());
  CHECK(ix.health().is_ok());
  REQUIRE(ix.put(doc("b", "second")).is_ok());
  REQUIRE(ix.close().is_ok());
  ScopedFileSystem posix(nullptr);
  auto again = Index::open(t.path(), "h", o);
  REQUIRE(again.is_ok());
  CHECK((*again)->get("a")->has_value());
  CHECK((*again)->get("b")->has_value());
}

TEST_CASE("index health: a failed fsync of a segment file is not retried; reopening recovers from the WAL") {
  FaultInjectionFs ffs;
  TempDir t;
  IndexOptions o = options();
  Schema schema;
  {
    ScopedFileSystem scoped(&ffs);
    auto opened = Index::open(t.path(), "h", o, &schema);
    REQUIRE(opened.is_ok());
    Index& ix = **opened;
    REQUIRE(ix.put(doc("a", "first")).is_ok());
    REQUIRE(ix.refresh().is_ok());
    ffs.arm(Fault::kSyncEio, ffs.calls() + 1);
    ffs.only_on("seg-");  // the commit syncs its new WAL first
    Status c = ix.commit();
    REQUIRE(!c.is_ok());
    CHECK(c.message().find("seg-") != std::string::npos);
    CHECK(c.message().find(std::strerror(EIO)) != std::string::npos);
    ffs.heal();
    CHECK(!ix.commit().is_ok());  // a second fsync could lie: not tried
    CHECK(!ix.health().is_ok());
    CHECK(!ix.put(doc("b", "second")).is_ok());
  }
  auto again = Index::open(t.path(), "h", o);
  REQUIRE(again.is_ok());
  CHECK((*again)->health().is_ok());
  CHECK((*again)->get("a")->has_value());
}

TEST_CASE("index: remove and truncate honour WriteOptions::durable") {
  FaultInjectionFs ffs;
  ScopedFileSystem scoped(&ffs);
  TempDir t;
  Schema schema;
  auto opened = Index::open(t.path(), "d", options(), &schema);
  REQUIRE(opened.is_ok());
  Index& ix = **opened;
  REQUIRE(ix.put_many({doc("a", "x"), doc("b", "y")}).size() == 2);
  WriteOptions lazy;
  lazy.durable = false;
  uint64_t before = ffs.syncs();
  REQUIRE(ix.remove("a", lazy).is_ok());
  REQUIRE(ix.truncate(lazy).is_ok());
  CHECK(ffs.syncs() == before);
  REQUIRE(ix.remove("b").is_ok());
  CHECK(ffs.syncs() == before + 1);
}

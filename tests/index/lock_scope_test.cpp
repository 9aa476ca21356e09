// No file I/O under the writer lock: while a refresh writes its segment or
// a commit fsyncs and writes its manifest (held on a latch in the file
// system seam), puts, deletes, realtime gets and searches complete; the
// deletes and replacements that arrive meanwhile are neither lost nor
// published early, and a crash at that point keeps every acknowledged
// write.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include "../fault_fs.h"
#include "../test_util.h"
#include "meridian/index/index.h"

using namespace meridian;
using namespace meridian::index;
using testing::FaultInjectionFs;
using testing::ScopedFileSystem;
using namespace std::chrono_literals;

namespace {

// A fault-injecting file system whose next matching call waits on a latch.
class LatchFs : public FaultInjectionFs {
 public:
  enum class Op { kCreate, kSync };
  // The next `op` on a path containing `part` blocks until release().
  void block(Op op, std::string part) {
    std::lock_guard<std::mutex> l(mu_);
    op_ = op;
    part_ = std::move(part);
    armed_ = true;
    blocked_ = released_ = false;
  }
  bool wait_blocked() {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, 10s, [&] { return blocked_; });
  }
  void release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    armed_ = false;
    cv_.notify_all();
  }
  int open(const char* path, int flags, mode_t mode) override {
    if ((flags & O_CREAT) && (flags & (O_WRONLY | O_RDWR))) wait_if(Op::kCreate, path);
    int fd = FaultInjectionFs::open(path, flags, mode);
    if (fd >= 0) {
      std::lock_guard<std::mutex> l(mu_);
      paths_[fd] = path;
    }
    return fd;
  }
  int sync(int fd, bool data_only) override {
    std::string path;
    {
      std::lock_guard<std::mutex> l(mu_);
      path = paths_.count(fd) ? paths_[fd] : std::string();
    }
    wait_if(Op::kSync, path);
    return FaultInjectionFs::sync(fd, data_only);
  }
  int close(int fd) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      paths_.erase(fd);
    }
    return FaultInjectionFs::close(fd);
  }

 private:
  void wait_if(Op op, const std::string& path) {
    std::unique_lock<std::mutex> l(mu_);
    if (!armed_ || op != op_ || path.find(part_) == std::string::npos) return;
    armed_ = false;
    blocked_ = true;
    cv_.notify_all();
    cv_.wait(l, [&] { return released_; });
  }
  std::mutex mu_;
  std::condition_variable cv_;
  Op op_ = Op::kCreate;
  std::string part_;
  bool armed_ = false, blocked_ = false, released_ = false;
  std::map<int, std::string> paths_;
};

IndexOptions options() {
  IndexOptions o;
  o.background = false;
  o.writer_slots = 1;
  return o;
}

Json doc(const std::string& id, int version) {
  Json j = Json::object();
  j.set("id", Json(id));
  j.set("body", Json("words of " + id));
  j.set("version", Json(static_cast<int64_t>(version)));
  return j;
}

// Runs `fn` on another thread; false when it did not finish in time (it
// waited for the latched I/O: the latch is released to let it end).
template <typename F>
bool finishes(LatchFs& latch, F fn) {
  auto f = std::async(std::launch::async, fn);
  if (f.wait_for(10s) == std::future_status::ready) return true;
  latch.release();
  f.wait();
  return false;
}

bool removed(Index& ix, const std::string& id) {
  auto r = ix.remove(id);
  return r.is_ok() && *r;
}

int version_of(const Result<std::optional<std::string>>& got) {
  if (!got.is_ok() || !got->has_value()) return -1;
  auto j = parse_json(**got);
  return j.is_ok() && j->find("version") ? static_cast<int>(j->find("version")->as_int()) : -2;
}

// Simulated power loss: the index dies at its next I/O call, then whatever
// was not fsynced is dropped.
void crash(FaultInjectionFs& ffs, std::unique_ptr<Index> ix) {
  ffs.arm(FaultInjectionFs::Fault::kCrash, ffs.calls() + 1);
  ix.reset();  // its closing commit fails at once
  ffs.crash();
}

// A new index with the dynamic schema and this file's options.
std::unique_ptr<Index> open_new(const std::string& dir) {
  Schema schema;
  auto opened = Index::open(dir, "l", options(), &schema);
  REQUIRE(opened.is_ok());
  return std::move(*opened);
}

}  // namespace

TEST_CASE("index: puts, deletes, realtime gets and searches go on while a refresh writes its segment") {
  LatchFs lfs;
  ScopedFileSystem scoped(&lfs);
  TempDir t("/dev/shm");
  std::unique_ptr<Index> ix = open_new(t.path());
  REQUIRE(ix->put(doc("a", 1)).is_ok());
  REQUIRE(ix->put(doc("b", 1)).is_ok());
  REQUIRE(ix->refresh().is_ok());  // a and b in a segment
  REQUIRE(ix->put(doc("c", 1)).is_ok());
  REQUIRE(ix->put(doc("d", 1)).is_ok());
  REQUIRE(ix->put(doc("e", 1)).is_ok());

  lfs.block(LatchFs::Op::kCreate, "seg-");
  auto refreshing = std::async(std::launch::async, [&] { return ix->refresh(); });
  REQUIRE(lfs.wait_blocked());  // c, d, e are being written as a segment
  bool ok = finishes(lfs, [&] {
    CHECK(ix->put(doc("f", 1)).is_ok());          // a new document
    CHECK(ix->put(doc("c", 2)).is_ok());          // replaces one being written
    CHECK(removed(*ix, "d"));              // deletes one being written
    CHECK(removed(*ix, "a"));              // deletes one in a published segment
    CHECK(version_of(ix->get("c")) == 2);           // realtime gets see all of it
    CHECK(version_of(ix->get("e")) == 1);
    CHECK(version_of(ix->get("f")) == 1);
    CHECK(version_of(ix->get("d")) == -1);
    CHECK(version_of(ix->get("a")) == -1);
    CHECK(version_of(ix->snapshot()->get("b")) == 1);  // searches read the published snapshot
    CHECK(version_of(ix->snapshot()->get("a")) == 1);
  });
  lfs.release();
  REQUIRE_MESSAGE(ok, "a write or get waited for the segment write");
  REQUIRE(refreshing.get().is_ok());

  // Published: what the refresh took, with nothing newer, so no document
  // is missing in between (c's old copy stays until its new one is visible).
  auto snap = ix->snapshot();
  CHECK(version_of(snap->get("c")) == 1);
  CHECK(version_of(snap->get("d")) == 1);
  CHECK(version_of(snap->get("a")) == 1);
  CHECK(version_of(snap->get("e")) == 1);
  CHECK(version_of(snap->get("f")) == -1);
  REQUIRE(ix->refresh().is_ok());
  snap = ix->snapshot();
  CHECK(version_of(snap->get("c")) == 2);
  CHECK(version_of(snap->get("d")) == -1);
  CHECK(version_of(snap->get("a")) == -1);
  CHECK(version_of(snap->get("f")) == 1);
  CHECK(snap->live_docs() == 4);  // b, c, e, f

  crash(lfs, std::move(ix));
  ScopedFileSystem posix(nullptr);
  auto again = Index::open(t.path(), "l", options());
  REQUIRE(again.is_ok());
  CHECK(version_of((*again)->get("c")) == 2);
  CHECK(version_of((*again)->get("d")) == -1);
  CHECK(version_of((*again)->get("a")) == -1);
  CHECK(version_of((*again)->get("b")) == 1);
  CHECK(version_of((*again)->get("e")) == 1);
  CHECK(version_of((*again)->get("f")) == 1);
  CHECK((*again)->snapshot()->live_docs() == 4);
}

TEST_CASE("index: writes go on while a commit fsyncs its segments") {
  LatchFs lfs;
  ScopedFileSystem scoped(&lfs);
  TempDir t("/dev/shm");
  std::unique_ptr<Index> ix = open_new(t.path());
  for (int i = 0; i < 5; ++i) REQUIRE(ix->put(doc("p" + std::to_string(i), 1)).is_ok());

  lfs.block(LatchFs::Op::kSync, "seg-");
  auto committing = std::async(std::launch::async, [&] { return ix->commit(); });
  REQUIRE(lfs.wait_blocked());
  bool ok = finishes(lfs, [&] {
    CHECK(ix->put(doc("q", 1)).is_ok());
    CHECK(removed(*ix, "p0"));
    CHECK(version_of(ix->get("p1")) == 1);
    CHECK(version_of(ix->get("q")) == 1);
    CHECK(ix->refresh().is_ok());  // a refresh too: the commit holds no refresh lock while it syncs
    CHECK(version_of(ix->snapshot()->get("q")) == 1);
  });
  lfs.release();
  REQUIRE_MESSAGE(ok, "a write, get or refresh waited for the commit's fsync");
  REQUIRE(committing.get().is_ok());
  CHECK(ix->stats().committed_seq < ix->stats().last_seq);  // q and the delete came after its capture

  crash(lfs, std::move(ix));
  ScopedFileSystem posix(nullptr);
  auto again = Index::open(t.path(), "l", options());
  REQUIRE(again.is_ok());
  CHECK(version_of((*again)->get("q")) == 1);
  CHECK(version_of((*again)->get("p0")) == -1);
  for (int i = 1; i < 5; ++i) CHECK(version_of((*again)->get("p" + std::to_string(i))) == 1);
}

TEST_CASE("index: a crash while a commit writes its manifest keeps the writes acknowledged meanwhile") {
  LatchFs lfs;
  ScopedFileSystem scoped(&lfs);
  TempDir t("/dev/shm");
  std::unique_ptr<Index> ix = open_new(t.path());
  REQUIRE(ix->put(doc("a", 1)).is_ok());
  REQUIRE(ix->commit().is_ok());
  REQUIRE(ix->put(doc("b", 1)).is_ok());
  REQUIRE(removed(*ix, "a"));

  lfs.block(LatchFs::Op::kCreate, "MANIFEST");
  auto committing = std::async(std::launch::async, [&] { return ix->commit(); });
  REQUIRE(lfs.wait_blocked());
  // Acknowledged while the commit is between its capture and its manifest:
  // they went to the new WAL.
  bool ok = finishes(lfs, [&] {
    CHECK(ix->put(doc("c", 1)).is_ok());
    WriteBatch wb;
    wb.put(doc("d", 1));
    wb.remove("b");
    wb.set_position("src", "42");
    for (auto& r : ix->write(std::move(wb))) CHECK(r.is_ok());
  });
  // The power fails before the manifest is written.
  lfs.arm(FaultInjectionFs::Fault::kCrash, lfs.calls() + 1);
  lfs.release();
  REQUIRE_MESSAGE(ok, "a write waited for the commit");
  CHECK_FALSE(committing.get().is_ok());
  ix.reset();
  lfs.crash();
  ScopedFileSystem posix(nullptr);
  auto again = Index::open(t.path(), "l", options());
  REQUIRE(again.is_ok());
  CHECK(version_of((*again)->get("a")) == -1);
  CHECK(version_of((*again)->get("b")) == -1);
  CHECK(version_of((*again)->get("c")) == 1);
  CHECK(version_of((*again)->get("d")) == 1);
  CHECK((*again)->source_position("src") == "42");
}

TEST_CASE("index: a writer waiting for a busy writer slot does not hold the index lock") {
  TempDir t("/dev/shm");
  std::unique_ptr<Index> ix = open_new(t.path());  // one writer slot
  REQUIRE(ix->put(doc("a", 1)).is_ok());
  REQUIRE(ix->put(doc("b", 1)).is_ok());
  REQUIRE(ix->refresh().is_ok());  // a and b in a segment, not in the slot
  // An importer's batch admitted and not yet indexed holds the only slot.
  WriteBatch first;
  first.put(doc("c", 1));
  Index::PendingWrite holding = ix->begin_write(std::move(first));
  // A second writer of documents waits for that slot...
  auto waiting = std::async(std::launch::async, [&] { return ix->put(doc("w", 1)); });
  CHECK(waiting.wait_for(200ms) == std::future_status::timeout);
  // ...while gets, deletes and searches go on (a refresh would wait for
  // the admitted batch to be added, by design: its doc numbers are taken).
  auto others = std::async(std::launch::async, [&] {
    CHECK(version_of(ix->get("a")) == 1);
    CHECK(removed(*ix, "b"));
    CHECK(version_of(ix->get("b")) == -1);
    CHECK(version_of(ix->snapshot()->get("b")) == 1);  // searches read the published snapshot
  });
  bool ok = others.wait_for(10s) == std::future_status::ready;
  for (auto& r : holding.finish()) CHECK(r.is_ok());
  others.wait();
  REQUIRE_MESSAGE(ok, "a get, delete or search waited behind a writer waiting for a slot");
  REQUIRE(waiting.wait_for(10s) == std::future_status::ready);
  CHECK(waiting.get().is_ok());
  CHECK(version_of(ix->get("c")) == 1);
  CHECK(version_of(ix->get("w")) == 1);
  CHECK(version_of(ix->get("b")) == -1);
}

TEST_CASE("index: refreshes go on while a background merge writes its segment") {
  LatchFs lfs;
  ScopedFileSystem scoped(&lfs);
  TempDir t("/dev/shm");
  {
    std::unique_ptr<Index> ix = open_new(t.path());  // no background threads
    REQUIRE(ix->put(doc("a", 1)).is_ok());
    REQUIRE(ix->refresh().is_ok());
    REQUIRE(ix->put(doc("b", 1)).is_ok());
    REQUIRE(ix->refresh().is_ok());  // two segments: a merge is due at factor 2
    REQUIRE(ix->close().is_ok());
  }
  IndexOptions o = options();
  o.background = true;
  o.merge_factor = 2;
  o.refresh_interval_ms = 20;
  lfs.block(LatchFs::Op::kCreate, "seg-");  // the first segment file written is the merge's
  auto opened = Index::open(t.path(), "l", o);
  REQUIRE(opened.is_ok());
  std::unique_ptr<Index> ix = std::move(*opened);
  REQUIRE(lfs.wait_blocked());  // the maintenance thread is merging a and b
  WriteOptions visible;
  visible.wait_visible = true;
  bool ok = finishes(lfs, [&] {
    CHECK(ix->put(doc("c", 1), visible).is_ok());  // needs a refresh
    CHECK(version_of(ix->snapshot()->get("c")) == 1);
  });
  lfs.release();
  REQUIRE_MESSAGE(ok, "a refresh waited for the merge");
  CHECK(ix->close().is_ok());  // joins the merge, which then completes
  CHECK(ix->stats().merges >= 1);
  auto snap = ix->snapshot();
  for (const char* id : {"a", "b", "c"}) CHECK(version_of(snap->get(id)) == 1);
}

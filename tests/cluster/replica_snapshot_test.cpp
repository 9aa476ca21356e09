#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "meridian/base/crc32c.h"
#include "meridian/base/file.h"
#include "meridian/cluster/cluster_node.h"
#include "meridian/cluster/log_record.h"
#include "meridian/cluster/replica_applier.h"
#include "meridian/cluster/replica_snapshot.h"
#include "nats_fixture.h"

using namespace meridian;
using namespace meridian::cluster;

namespace {
LogMessage put_msg(uint64_t seq, const std::string& id) {
  LogRecord r;
  r.doc = Json(Json::Object{{"id", Json(id)}, {"v", Json(static_cast<int64_t>(seq))}});
  return LogMessage{seq, 0, r.encode()};
}
std::string read(const std::string& path) {
  auto s = fs::read_file(path);
  REQUIRE(s.is_ok());
  return *s;
}
void write(const std::string& path, const std::string& data) { REQUIRE(fs::write_file_new(path, data).is_ok()); }
Status stage(const std::string& dir, const SnapshotFile& f, const std::string& bytes, size_t piece) {
  auto s = StagedFile::create(dir, f);
  if (!s) return s.status();
  for (size_t off = 0; off < bytes.size(); off += piece) {
    Status st = (*s)->append(bytes.data() + off, std::min(piece, bytes.size() - off));
    if (!st) return st;
  }
  return (*s)->finish();
}
}  // namespace

TEST_CASE("replica snapshot: the file list has every regular file, sorted, with its size and CRC32C") {
  TempDir dir;
  const std::string big(3 << 20, 'x');  // more than one 1 MiB read
  write(dir.path() + "/seg-2.dat", big);
  write(dir.path() + "/MANIFEST-1", "manifest");
  write(dir.path() + "/empty", "");
  REQUIRE(fs::ensure_dir(dir.path() + "/sub").is_ok());
  auto files = list_snapshot_files(dir.path());
  REQUIRE(files.is_ok());
  REQUIRE(files->size() == 3);
  CHECK((*files)[0].name == "MANIFEST-1");
  CHECK((*files)[0].size == 8);
  CHECK((*files)[0].crc32c == crc32c::value("manifest"));
  CHECK((*files)[1].name == "empty");
  CHECK((*files)[1].size == 0);
  CHECK((*files)[2].size == big.size());
  CHECK((*files)[2].crc32c == crc32c::value(big));

  auto back = parse_snapshot_files(snapshot_files_json(*files));
  REQUIRE(back.is_ok());
  REQUIRE(back->size() == 3);
  CHECK((*back)[2].name == "seg-2.dat");
  CHECK((*back)[2].crc32c == (*files)[2].crc32c);
}

TEST_CASE("replica snapshot: a file list naming a path, twice the same file or a bad size is refused") {
  for (const char* bad : {R"([{"name":"../x","size":1,"crc32c":0}])", R"([{"name":"a/b","size":1,"crc32c":0}])",
                          R"([{"name":"..","size":1,"crc32c":0}])", R"([{"name":"","size":1,"crc32c":0}])",
                          R"([{"name":"a","size":-1,"crc32c":0}])", R"([{"name":"a","size":1,"crc32c":4294967296}])",
                          R"([{"name":"a","size":1}])", R"([{"name":"a","size":1,"crc32c":0},{"name":"a","size":1,"crc32c":0}])",
                          R"({"name":"a"})"}) {
    auto j = parse_json(bad);
    REQUIRE(j.is_ok());
    CHECK_MESSAGE(parse_snapshot_files(*j).status().code() == Status::Code::kInvalidArgument, bad);
  }
}

TEST_CASE("replica snapshot: a staged file is checked for its size and checksum as listed") {
  TempDir dir;
  const std::string bytes = "0123456789abcdef";
  const SnapshotFile good{"f", bytes.size(), crc32c::value(bytes)};
  CHECK(stage(dir.path(), good, bytes, 5).is_ok());
  CHECK(read(dir.path() + "/f") == bytes);
  // Pieces of any size end in the same file.
  CHECK(stage(dir.path(), SnapshotFile{"g", bytes.size(), good.crc32c}, bytes, 1).is_ok());
  CHECK(read(dir.path() + "/g") == bytes);

  std::string flipped = bytes;
  flipped[7] ^= 1;
  Status st = stage(dir.path(), SnapshotFile{"h", bytes.size(), good.crc32c}, flipped, 4);
  CHECK(st.code() == Status::Code::kCorruption);
  CHECK(st.message().find("checksum") != std::string::npos);
  st = stage(dir.path(), SnapshotFile{"i", bytes.size() - 1, good.crc32c}, bytes, 4);
  CHECK(st.code() == Status::Code::kCorruption);  // more bytes than listed: refused as they arrive
  st = stage(dir.path(), SnapshotFile{"j", bytes.size() + 1, good.crc32c}, bytes, 4);
  CHECK(st.code() == Status::Code::kCorruption);  // a short transfer
  CHECK(StagedFile::create(dir.path(), SnapshotFile{"../k", 0, 0}).status().code() == Status::Code::kInvalidArgument);
  CHECK_FALSE(StagedFile::create(dir.path(), good).is_ok());  // never over an existing file
}

TEST_CASE("replica snapshot: a peer's backup covers the sequence its replica applied, WAL tail included") {
  TempDir live, copy, empty;
  index::IndexOptions o;
  o.background = false;
  index::Schema schema;
  {
    auto ix = index::Index::open(live.path(), "r", o, &schema);
    REQUIRE(ix.is_ok());
    std::shared_ptr<index::Index> shared(std::move(*ix));
    auto a = ReplicaApplier::open(shared);
    REQUIRE(a.is_ok());
    REQUIRE((*a)->apply({put_msg(1, "a"), put_msg(2, "b")}).is_ok());
    REQUIRE(shared->commit().is_ok());
    REQUIRE((*a)->apply({put_msg(3, "c"), put_msg(4, "d"), put_msg(5, "e")}).is_ok());
    REQUIRE(shared->backup(copy.path() + "/s").is_ok());
    REQUIRE((*a)->apply({put_msg(6, "f")}).is_ok());  // after the snapshot: not in it
    REQUIRE(shared->close().is_ok());
  }
  auto seq = staged_log_sequence(copy.path() + "/s", "r", o, schema);
  REQUIRE_MESSAGE(seq.is_ok(), seq.status().to_string());
  CHECK(*seq == 5);
  auto ix = index::Index::open(copy.path() + "/s", "r", o, &schema);
  REQUIRE(ix.is_ok());
  CHECK((*ix)->get("e")->has_value());
  CHECK_FALSE((*ix)->get("f")->has_value());
  REQUIRE((*ix)->close().is_ok());
  // A fresh index covers nothing; a missing one is an error.
  {
    auto fresh = index::Index::open(empty.path() + "/x", "x", o, &schema);
    REQUIRE(fresh.is_ok());
    REQUIRE((*fresh)->close().is_ok());
  }
  CHECK(*staged_log_sequence(empty.path() + "/x", "x", o, schema) == 0);
  CHECK_FALSE(staged_log_sequence(empty.path() + "/missing", "x", o, schema).is_ok());
}

TEST_CASE("replica snapshot: the swap keeps the old replica until told, and a crash mid-swap is undone") {
  TempDir dir;
  const std::string live = dir.path() + "/0";
  auto make = [&](const std::string& d, const std::string& mark) {
    REQUIRE(fs::ensure_dir(d).is_ok());
    write(d + "/mark", mark);
  };
  make(live, "old");
  make(staging_dir_of(live), "new");
  REQUIRE(swap_in_staged(staging_dir_of(live), live).is_ok());
  CHECK(read(live + "/mark") == "new");
  CHECK(read(old_dir_of(live) + "/mark") == "old");
  CHECK_FALSE(fs::exists(staging_dir_of(live)));
  // The new one did not open: the old one comes back.
  REQUIRE(restore_old(live).is_ok());
  CHECK(read(live + "/mark") == "old");
  CHECK_FALSE(fs::exists(old_dir_of(live)));
  // It did: the old one goes.
  make(staging_dir_of(live), "new");
  REQUIRE(swap_in_staged(staging_dir_of(live), live).is_ok());
  REQUIRE(discard_old(live).is_ok());
  CHECK(read(live + "/mark") == "new");
  CHECK_FALSE(fs::exists(old_dir_of(live)));
  // A crash between the two renames: only the old one and the staged one exist.
  make(staging_dir_of(live), "newer");
  REQUIRE(::rename(live.c_str(), old_dir_of(live).c_str()) == 0);
  REQUIRE(recover_replica_dir(live).is_ok());
  CHECK(read(live + "/mark") == "new");
  CHECK_FALSE(fs::exists(staging_dir_of(live)));
  CHECK_FALSE(fs::exists(old_dir_of(live)));
  // A brand-new replica (nothing in place) is swapped in alone.
  const std::string other = dir.path() + "/1";
  make(staging_dir_of(other), "first");
  REQUIRE(swap_in_staged(staging_dir_of(other), other).is_ok());
  CHECK(read(other + "/mark") == "first");
}

namespace {
// A snapshot transfer between two nodes of this process: the peer's
// snapshot_replica, copied file by file through StagedFile in 64 KiB pieces
// (the HTTP routes do the same over the network).
Status copy_from(ClusterNode& peer, const SnapshotRequest& req, const std::string& staging, const std::string& tmp) {
  const std::string src = tmp + "/snap-" + req.node;
  (void)fs::remove_all(src);
  auto info = peer.snapshot_replica(req.index, req.shard, req.uid, src);
  if (!info) return info.status();
  MERIDIAN_ASSIGN_OR_RETURN(auto files, list_snapshot_files(src));
  for (const auto& f : files) {
    MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(src + "/" + f.name));
    MERIDIAN_RETURN_IF_ERROR(stage(staging, f, bytes, 64 << 10));
  }
  return fs::remove_all(src);
}
}  // namespace

TEST_CASE("cluster node: a replica placed on a stream that no longer starts at 1 is rebuilt from its peer") {
  MERIDIAN_NATS_SERVER_OR_SKIP(server);
  TempDir dir;
  std::map<std::string, ClusterNode*> by_id;
  std::atomic<int> transfers{0}, refuse{3};
  auto start = [&](const std::string& id) {
    ClusterOptions o;
    o.servers = {server.url()};
    o.node_id = id;
    o.url = "http://127.0.0.1:0";
    o.dir = dir.path() + "/" + id;
    o.heartbeat_ms = 200;
    o.ttl_ms = 1000;
    o.sync_ms = 100;
    o.stream_replicas = 1;
    o.stream_max_bytes = 16 << 10;
    o.rebuild_retry_ms = 200;  // retries 0.2, 0.6, 1.4 s after the first try
    o.fetch_snapshot = [&](const SnapshotRequest& req, const std::string& staging) -> Status {
      if (refuse.fetch_sub(1) > 0) return Status::io_error("peer unreachable (test)");  // the first tries fail
      ++transfers;
      return copy_from(*by_id.at(req.node), req, staging, dir.path());
    };
    index::IndexOptions io;
    io.refresh_interval_ms = 50;
    auto n = ClusterNode::start(o, io);
    REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
    by_id[id] = n->get();
    return std::move(*n);
  };
  auto n1 = start("n1");
  Json schema(Json::Object{{"fields", Json(Json::Object{{"title", Json("text")}})}});
  auto m = n1->create_index("rb", schema, 1, 2);  // one live node: the second replica waits for n2
  REQUIRE_MESSAGE(m.is_ok(), m.status().to_string());
  std::set<std::string> want;
  for (int b = 0; b < 15; ++b) {
    std::vector<Json> docs;
    for (int i = b * 20; i < b * 20 + 20; ++i) {
      docs.push_back(Json(Json::Object{{"id", Json("d" + std::to_string(i))}, {"title", Json("word" + std::to_string(i))}}));
      want.insert("d" + std::to_string(i));
    }
    auto acks = n1->put_batch(*m, docs);
    REQUIRE(acks.back().is_ok());
    REQUIRE(n1->wait_for("rb", 0, acks.back()->seq, 10000).is_ok());
  }
  auto st = n1->status();
  REQUIRE(st.is_ok());
  const Json& shard = st->find("indexes")->as_array()[0].find("shard_list")->as_array()[0];
  CHECK(shard.find("first_seq")->as_int() > 1);  // retention dropped the start of the stream
  CHECK(shard.find("last_seq")->as_int() == 300);

  auto n2 = start("n2");
  auto eventually = [](const std::function<bool()>& f, int ms) {
    for (int waited = 0; waited < ms; waited += 20) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return f();
  };
  // While no peer can serve, the replica is visibly rebuilding and never routed to.
  auto n2_state = [&]() -> Json {
    auto s = n2->status();
    if (!s || s->find("indexes")->as_array().empty()) return Json();
    for (const auto& r : s->find("indexes")->as_array()[0].find("shard_list")->as_array()[0].find("replicas")->as_array())
      if (r.find("node")->as_string() == "n2") return r;
    return Json();
  };
  REQUIRE(eventually([&] { return !n2_state().is_null() && n2_state().find("rebuild_error"); }, 5000));
  CHECK(n2_state().find("state")->as_string() == "rebuilding");
  CHECK(n2_state().find("rebuild_error")->as_string().find("peer unreachable") != std::string::npos);
  CHECK(n2->counters().replicas_rebuilding == 1);
  auto routes = n2->routes(*m);
  REQUIRE(routes.is_ok());
  REQUIRE(routes->size() == 1);
  REQUIRE((*routes)[0].size() == 1);
  CHECK((*routes)[0][0].node == "n1");
  auto holds_all = [&] {
    auto ix = n2->local_replica("rb", 0);
    if (!ix) return false;
    for (const auto& id : want)
      if (!ix->get(id)->has_value()) return false;
    return true;
  };
  REQUIRE(eventually(holds_all, 15000));
  CHECK(transfers.load() == 1);
  CHECK(eventually([&] { return n2->counters().rebuilds == 1; }, 2000));  // counted once the swap returned
  ClusterCounters c = n2->counters();
  CHECK(c.rebuilds == 1);
  CHECK(c.rebuild_failures >= 3);  // the refused tries, each retried after the back-off
  CHECK(c.replicas_rebuilding == 0);
  // It consumes from the sequence its copy covered: a write after the rebuild reaches it.
  auto ack = n2->put(*m, Json(Json::Object{{"id", Json("late")}, {"title", Json("after")}}));
  REQUIRE(ack.is_ok());
  REQUIRE(n2->wait_for("rb", 0, ack->seq, 10000).is_ok());
  CHECK(n2->local_replica("rb", 0)->get("late")->has_value());
  CHECK(n2->local_replica("rb", 0)->stats().docs == 301);
  CHECK(eventually(
      [&] {
        auto s = n1->status();
        if (!s) return false;
        int in_sync = 0;
        for (const auto& r : s->find("indexes")->as_array()[0].find("shard_list")->as_array()[0].find("replicas")->as_array())
          in_sync += r.find("state")->as_string() == "in_sync";
        return in_sync == 2;
      },
      5000));
  // The staging and old directories are gone.
  CHECK_FALSE(fs::exists(dir.path() + "/snap-n1"));
  n2->stop();
  n1->stop();
}

#include "meridian/index/wal.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <thread>

#include "../test_util.h"
#include "meridian/base/file.h"

using namespace meridian;
using namespace meridian::index;

namespace {
std::vector<WalRecord> replay_all(const std::string& dir, uint64_t after, Status* st, WalReplayStats* rs = nullptr) {
  std::vector<WalRecord> out;
  *st = replay_wal(dir, after, [&](const WalRecord& r) { out.push_back(r); return Status::ok(); }, rs);
  return out;
}
}  // namespace

TEST_CASE("wal: records replay in order after the given sequence number") {
  TempDir dir;
  {
    auto w = WalWriter::create(dir.path(), 1);
    REQUIRE(w.is_ok());
    for (uint64_t s = 1; s <= 50; ++s)
      REQUIRE((*w)->append(s, s % 3 ? WalRecordType::kPut : WalRecordType::kDelete, "doc" + std::to_string(s)).is_ok());
    REQUIRE((*w)->sync_to(50).is_ok());
  }
  Status st;
  auto recs = replay_all(dir.path(), 20, &st);
  REQUIRE(st.is_ok());
  REQUIRE(recs.size() == 30);
  CHECK(recs.front().seq == 21);
  CHECK(recs.front().payload == "doc21");
  CHECK(recs.back().seq == 50);
  CHECK(recs[0].type == WalRecordType::kDelete);  // 21 % 3 == 0
}

TEST_CASE("wal: a batch is written by end_batch, in order with single records") {
  TempDir dir;
  {
    auto w = WalWriter::create(dir.path(), 1);
    REQUIRE(w.is_ok());
    REQUIRE((*w)->append(1, WalRecordType::kPut, "one").is_ok());
    (*w)->begin_batch();
    for (uint64_t s = 2; s <= 10; ++s) REQUIRE((*w)->append(s, WalRecordType::kPut, "b" + std::to_string(s)).is_ok());
    Status st;
    CHECK(replay_all(dir.path(), 0, &st).size() == 1);  // the batch is not in the file yet
    REQUIRE((*w)->end_batch().is_ok());
    CHECK(replay_all(dir.path(), 0, &st).size() == 10);
    REQUIRE((*w)->append(11, WalRecordType::kDelete, "b3").is_ok());
    REQUIRE((*w)->sync_to(11).is_ok());  // the batch counts as written
  }
  Status st;
  auto recs = replay_all(dir.path(), 0, &st);
  REQUIRE(st.is_ok());
  REQUIRE(recs.size() == 11);
  for (uint64_t i = 0; i < recs.size(); ++i) CHECK(recs[i].seq == i + 1);
  CHECK(recs[9].payload == "b10");
  CHECK(recs[10].type == WalRecordType::kDelete);
}

TEST_CASE("wal: a torn last record is dropped on replay and the file truncated") {
  TempDir dir;
  std::string path;
  {
    auto w = WalWriter::create(dir.path(), 1);
    REQUIRE(w.is_ok());
    path = (*w)->path();
    for (uint64_t s = 1; s <= 3; ++s) REQUIRE((*w)->append(s, WalRecordType::kPut, std::string(100, 'x')).is_ok());
  }
  auto size = *fs::file_size(path);
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(size - 30)) == 0);
  Status st;
  WalReplayStats rs;
  auto recs = replay_all(dir.path(), 0, &st, &rs);
  REQUIRE(st.is_ok());
  CHECK(recs.size() == 2);
  CHECK(rs.torn_tail_bytes > 0);
  // Replaying again sees the same two records and nothing torn.
  WalReplayStats rs2;
  CHECK(replay_all(dir.path(), 0, &st, &rs2).size() == 2);
  CHECK(rs2.torn_tail_bytes == 0);
}

TEST_CASE("wal: a batch torn at any byte replays whole or not at all") {
  TempDir dir;
  std::string path;
  size_t batch_start = 0, full = 0;
  {
    auto w = WalWriter::create(dir.path(), 1);
    REQUIRE(w.is_ok());
    path = (*w)->path();
    REQUIRE((*w)->append(1, WalRecordType::kPut, "before").is_ok());
    batch_start = static_cast<size_t>((*w)->bytes());
    (*w)->begin_batch();
    REQUIRE((*w)->append(2, WalRecordType::kPut, "doc a").is_ok());
    REQUIRE((*w)->append(3, WalRecordType::kDelete, "b").is_ok());
    REQUIRE((*w)->append(4, WalRecordType::kPosition, "position").is_ok());
    REQUIRE((*w)->end_batch().is_ok());
    full = static_cast<size_t>((*w)->bytes());
  }
  auto bytes = fs::read_file(path);
  REQUIRE(bytes.is_ok());
  REQUIRE(bytes->size() == full);
  for (size_t cut = batch_start; cut <= full; ++cut) {
    CAPTURE(cut);
    REQUIRE(fs::write_file_atomic(path, bytes->substr(0, cut)).is_ok());
    Status st;
    WalReplayStats rs;
    auto recs = replay_all(dir.path(), 0, &st, &rs);
    REQUIRE(st.is_ok());
    if (cut < full) {  // the batch is incomplete: none of it, and the file cut back to before it
      REQUIRE(recs.size() == 1);
      CHECK(recs[0].payload == "before");
      CHECK(rs.torn_tail_bytes == cut - batch_start);
      CHECK(fs::read_file(path)->size() == batch_start);
    } else {
      REQUIRE(recs.size() == 4);
      CHECK(recs[1].type == WalRecordType::kPut);
      CHECK(recs[2].type == WalRecordType::kDelete);
      CHECK(recs[3].type == WalRecordType::kPosition);
      CHECK(recs[3].payload == "position");
    }
  }
}

TEST_CASE("wal: a bad CRC in the middle is corruption naming the file and offset") {
  TempDir dir;
  std::string path;
  {
    auto w = WalWriter::create(dir.path(), 1);
    REQUIRE(w.is_ok());
    path = (*w)->path();
    for (uint64_t s = 1; s <= 3; ++s) REQUIRE((*w)->append(s, WalRecordType::kPut, std::string(100, 'x')).is_ok());
  }
  std::string data = *fs::read_file(path);
  data[32 + 17 + 50] ^= 0x20;  // inside the first record's payload
  REQUIRE(fs::write_file_atomic(path, data).is_ok());
  Status st;
  replay_all(dir.path(), 0, &st);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.code() == Status::Code::kCorruption);
  CHECK(st.message().find(path) != std::string::npos);
  CHECK(st.message().find("offset 32") != std::string::npos);
}

TEST_CASE("wal: concurrent writers share fsyncs and every synced record replays") {
  TempDir dir;
  auto w = WalWriter::create(dir.path(), 1);
  REQUIRE(w.is_ok());
  std::mutex mu;
  uint64_t next = 1;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        uint64_t seq;
        {
          std::lock_guard<std::mutex> l(mu);
          seq = next++;
          REQUIRE((*w)->append(seq, WalRecordType::kPut, "p").is_ok());
        }
        REQUIRE((*w)->sync_to(seq).is_ok());
      }
    });
  for (auto& t : threads) t.join();
  Status st;
  CHECK(replay_all(dir.path(), 0, &st).size() == 200);
  CHECK(st.is_ok());
}

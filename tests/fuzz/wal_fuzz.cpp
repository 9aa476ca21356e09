// Fuzz target: write-ahead log replay (index/wal.h) as index recovery runs
// it: one or two WAL files in a directory, replayed after a given sequence
// number, each record handled as recovery handles it (a put's JSON parsed, a
// position record's varint-prefixed source name read). A torn tail truncates
// the last file, as after a crash.
// Input: byte 0: bit 0 = two files, bit 1 = fix the CRCs (so that mutations
// reach the record checks behind them); byte 1: after_seq; then u32 split
// point (two files); then the file bytes. Each file is named after the first
// sequence number in its header (wal-<seq>.log).
// Contract: OK or Corruption naming the file; records come in increasing
// sequence order; never a crash.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "meridian/base/bytes.h"
#include "meridian/base/file.h"
#include "meridian/base/json.h"
#include "meridian/index/wal.h"

using namespace meridian;
using namespace meridian::index;

namespace {

const std::string& work_dir() {
  static const std::string* dir = [] {
    // Memory-backed when possible: a run writes and truncates files.
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp && *tmp ? tmp : fs::exists("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string t = base + "/meridian-wal-fuzz-XXXXXX";
    if (!mkdtemp(t.data())) std::abort();
    auto* d = new std::string(t);
    std::atexit([] { (void)fs::remove_all(work_dir()); });
    return d;
  }();
  return *dir;
}

std::string wal_name(std::string_view file, uint64_t fallback) {
  uint64_t seq = fallback;
  if (file.size() >= 16) std::memcpy(&seq, file.data() + 8, 8);
  char name[40];
  std::snprintf(name, sizeof name, "wal-%020llu.log", static_cast<unsigned long long>(seq));
  return name;
}

void fail(const char* what) {
  std::fprintf(stderr, "wal: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using C = Status::Code;
  fuzz::InputReader in(data, size);
  uint8_t mode = in.u8();
  uint64_t after_seq = in.u8();
  std::string files[2];
  if (mode & 1) {
    uint32_t split = in.u32();
    std::string_view rest = in.rest();
    size_t at = rest.empty() ? 0 : split % (rest.size() + 1);
    files[0] = std::string(rest.substr(0, at));
    files[1] = std::string(rest.substr(at));
  } else {
    files[0] = std::string(in.rest());
  }
  const std::string& dir = work_dir();
  if (!fs::remove_all(dir).is_ok() || !fs::ensure_dir(dir).is_ok()) fail("cannot reset the work directory");
  for (int i = 0; i < ((mode & 1) ? 2 : 1); ++i) {
    if (mode & 2) fuzz::fix_wal_crcs(&files[i]);
    std::string path = fs::join(dir, wal_name(files[i], 1 + i));
    if (fs::exists(path)) continue;  // both files claim the same first seq
    if (!fs::write_file_new(path, files[i], false).is_ok()) fail("cannot write a WAL file");
  }

  uint64_t last = after_seq;
  WalReplayStats stats;
  Status st = replay_wal(dir, after_seq, [&](const WalRecord& rec) -> Status {
    if (rec.seq <= last) fail("records out of sequence order");
    last = rec.seq;
    switch (rec.type) {
      case WalRecordType::kPut: (void)parse_json(rec.payload).is_ok(); break;
      case WalRecordType::kDelete:
      case WalRecordType::kTruncate: break;
      case WalRecordType::kPosition: {
        ByteReader r(rec.payload);
        (void)r.str();
        break;
      }
      default: break;  // recovery reports an unknown type as corruption
    }
    return Status::ok();
  }, &stats);
  fuzz::check_status(st, {C::kCorruption}, "wal-");
  return 0;
}

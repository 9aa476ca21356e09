// The pieces of rebuilding a replica from a peer (docs/CLUSTER.md,
// "Rebuilding a replica from a peer"): a replica whose applied sequence fell
// below its shard stream's first sequence cannot replay what it missed, so it
// copies a consistent snapshot of an in-sync peer replica (Index::backup on
// the peer: its committed segment files, manifest and WAL tail, which carry
// the "_cluster_log" sequence they cover) and consumes from that sequence + 1.
//
// Here: the snapshot's file list (names, sizes, CRC32C), a staged file
// written as its bytes arrive and verified at the end (a transfer never holds
// a whole file in memory), the sequence a staged snapshot covers, and the
// directory swap that puts a staged replica in place of the old one.
// The transfer itself (HTTP between nodes) is the server's: ClusterOptions::
// fetch_snapshot.
//
// Thread safety: the functions are reentrant; a StagedFile is used by one
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/index/index.h"

namespace meridian::cluster {

// One file of a snapshot.
struct SnapshotFile {
  std::string name;  // a plain file name (valid_snapshot_file_name)
  uint64_t size = 0;
  uint32_t crc32c = 0;  // unmasked CRC32C of the whole file
};

// What a node asks a peer for: the peer's replica of (index, shard) of the
// index creation `uid`, served by the node at `url`.
struct SnapshotRequest {
  std::string index;
  uint32_t shard = 0;
  std::string uid;
  std::string node;
  std::string url;
};

// Copies the snapshot of `req` into the empty directory `staging`, each file
// checked against its listed size and CRC32C (the server's HTTP transfer).
using SnapshotFetcher = std::function<Status(const SnapshotRequest& req, const std::string& staging)>;

// A name a snapshot may hold: no path separator, not "." or "..", not empty,
// at most 255 bytes (it is joined to a local directory).
bool valid_snapshot_file_name(std::string_view name);

// The regular files of `dir` (a finished Index::backup), sorted by name, each
// with its size and CRC32C (read in 1 MiB pieces).
Result<std::vector<SnapshotFile>> list_snapshot_files(const std::string& dir);

// [{"name", "size", "crc32c"}, ...] and back; the parse refuses a bad name,
// a duplicate name or a missing or mistyped member (InvalidArgument).
Json snapshot_files_json(const std::vector<SnapshotFile>& files);
Result<std::vector<SnapshotFile>> parse_snapshot_files(const Json& j);

// One snapshot file being written into a staging directory as it arrives:
// append() writes through (no buffering beyond the caller's piece) and
// checks the size bound; finish() checks size and CRC32C, then fsyncs.
// A StagedFile destroyed before finish() leaves a partial file, which the
// caller's staging directory removal takes away.
class StagedFile {
 public:
  static Result<std::unique_ptr<StagedFile>> create(const std::string& dir, const SnapshotFile& want);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  Status append(const char* data, size_t n);
  Status finish();

 private:
  StagedFile(int fd, std::string path, SnapshotFile want) : fd_(fd), path_(std::move(path)), want_(std::move(want)) {}
  int fd_;
  std::string path_;
  SnapshotFile want_;
  uint64_t size_ = 0;
  uint32_t crc_ = 0;
};

// Opens the index staged in `dir` (recovery replays its WAL tail), reads the
// "_cluster_log" sequence it covers and closes it. Corruption if it does not
// open or has no readable sequence.
Result<uint64_t> staged_log_sequence(const std::string& dir, const std::string& name, const index::IndexOptions& opt,
                                     const index::Schema& schema);

// The directories around a replica directory `live`: the staging directory
// a rebuild downloads into, and where the old replica waits while the new
// one opens.
std::string staging_dir_of(const std::string& live);
std::string old_dir_of(const std::string& live);

// Renames `live` (if it exists) to old_dir_of(live), then `staging` to
// `live`, and fsyncs the parent. On failure of the second rename the old
// directory is put back.
Status swap_in_staged(const std::string& staging, const std::string& live);
// After a swap: the new replica opened, so the old one goes; or it did not,
// so the staged one goes and the old one comes back.
Status discard_old(const std::string& live);
Status restore_old(const std::string& live);
// Before a replica opens: finishes or undoes what a crash interrupted (no
// `live` but an old one: put back), and removes a leftover staging or old
// directory.
Status recover_replica_dir(const std::string& live);

}  // namespace meridian::cluster

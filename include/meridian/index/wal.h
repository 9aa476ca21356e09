// The write-ahead log of an index: every put and delete is appended as a
// record with a sequence number and a CRC32C before it is acknowledged.
// Files are wal-<first seq>.log; a commit rotates to a new file and deletes
// the ones whose records are all in committed segments. Format:
// docs/FORMAT.md, "Write-ahead log".
//
// WalWriter: append() is called by the index writer under its mutex;
// sync_to() may be called by any number of threads at once and implements
// group commit (one fdatasync covers every record written before it).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::index {

// 2: records of one batch are framed as one (docs/FORMAT.md); files of
// version 1 (no batches) are still read.
constexpr uint32_t kWalVersion = 2;

enum class WalRecordType : uint8_t {
  kPut = 1,       // payload: the document JSON
  kDelete = 2,    // payload: the external id
  kPosition = 3,  // payload: varint-length source name + position bytes (CDC)
  kTruncate = 4,  // payload: empty; removes every document
  kPutOrdered = 5,  // payload: the write order (8 bytes, little-endian), then the document JSON
};

struct WalRecord {
  uint64_t seq = 0;
  WalRecordType type = WalRecordType::kPut;
  std::string payload;
};

class WalWriter {
 public:
  // Creates dir/wal-<first_seq>.log (a new, empty log).
  static Result<std::unique_ptr<WalWriter>> create(const std::string& dir, uint64_t first_seq);
  ~WalWriter();

  // Appends one record (written to the OS, not yet durable). Between
  // begin_batch() and end_batch() records are only encoded into a buffer that
  // end_batch() writes with one system call (a WriteBatch), framed as one
  // batch: replay applies all of its records or, torn, none.
  // Callers serialize append/begin_batch/end_batch (the index writer lock).
  Status append(uint64_t seq, WalRecordType type, std::string_view payload);
  void begin_batch();
  Status end_batch();
  // Returns once every record up to `seq` is durable; concurrent callers
  // share one fdatasync.
  Status sync_to(uint64_t seq);
  const std::string& path() const { return path_; }
  uint64_t first_seq() const { return first_seq_; }
  uint64_t bytes() const { return bytes_; }

 private:
  WalWriter(int fd, std::string path, uint64_t first_seq);
  int fd_;
  std::string path_;
  uint64_t first_seq_;
  uint64_t bytes_ = 0;
  // Writes `data`; on failure cuts the file back to bytes_ (no torn record
  // stays behind). If even that fails, every later write fails too.
  Status write_or_undo(std::string_view data);
  Status write_error_;
  bool batching_ = false;
  std::string batch_;        // encoded records not yet written (batch mode)
  uint64_t batch_seq_ = 0;   // highest seq in batch_
  size_t batch_last_ = 0;    // offset of the last record in batch_
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t written_seq_ = 0;  // GUARDED_BY(mu_)
  uint64_t synced_seq_ = 0;   // GUARDED_BY(mu_)
  bool syncing_ = false;      // GUARDED_BY(mu_)
  Status sync_error_;         // GUARDED_BY(mu_)
};

struct WalReplayStats {
  uint64_t records = 0;
  uint64_t torn_tail_bytes = 0;  // bytes of an incomplete last record that were dropped
};

// Names of the WAL files in `dir`, oldest first, with their first seq.
Result<std::vector<std::pair<uint64_t, std::string>>> list_wal_files(const std::string& dir);

// Replays every record of every WAL file in `dir` with seq > after_seq, in
// order. A torn last record (incomplete write at a crash) is dropped with
// the rest of its batch and the file truncated to the last complete batch;
// a damaged record followed by more data is Corruption naming the file and
// offset.
Status replay_wal(const std::string& dir, uint64_t after_seq,
                  const std::function<Status(const WalRecord&)>& fn, WalReplayStats* stats);

}  // namespace meridian::index

#include "meridian/index/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "meridian/base/bytes.h"
#include "meridian/base/crc32c.h"
#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"
#include "meridian/base/file_system.h"

namespace meridian::index {
namespace {

constexpr uint32_t kMagic = fourcc("MWAL");
constexpr size_t kHeaderSize = 32;
constexpr size_t kRecordHeader = 4 + 4 + 1 + 8;  // crc, len, type, seq
constexpr uint32_t kMaxPayload = 256u << 20;
// Type-byte flag (version 2): another record of the same batch follows.
// Replay applies a batch only once its last record (without the flag) is
// read, so a write torn anywhere in a batch drops the whole batch.
constexpr uint8_t kBatchContinues = 0x80;

// The masked CRC32C of a record starting at rec[0] (over bytes [4, end)).
void seal_record(std::string& buf, size_t start) {
  uint32_t crc = crc32c::mask(crc32c::value(buf.data() + start + 4, buf.size() - start - 4));
  for (int i = 0; i < 4; ++i) buf[start + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

std::string wal_name(uint64_t first_seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "wal-%020llu.log", static_cast<unsigned long long>(first_seq));
  return buf;
}

}  // namespace

WalWriter::WalWriter(int fd, std::string path, uint64_t first_seq)
    : fd_(fd), path_(std::move(path)), first_seq_(first_seq) {
  written_seq_ = synced_seq_ = first_seq ? first_seq - 1 : 0;
}

WalWriter::~WalWriter() {
  if (fd_ >= 0) fs::file_system().close(fd_);
}

Result<std::unique_ptr<WalWriter>> WalWriter::create(const std::string& dir, uint64_t first_seq) {
  std::string path = fs::join(dir, wal_name(first_seq));
  fs::FileSystem& fsys = fs::file_system();
  int fd = fsys.open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0644);
  if (fd < 0) return Status::from_errno(path, errno);
  std::string header;
  ByteWriter w(&header);
  w.u32(kMagic);
  w.u32(kWalVersion);
  w.u64(first_seq);
  w.u32(crc32c::mask(crc32c::value(header.data(), 16)));
  w.u32(0);
  w.u64(0);
  Status st = fs::write_all(fd, header, path);
  if (st.is_ok() && fsys.sync(fd, true) != 0) st = Status::from_errno(path, errno);
  if (st.is_ok()) st = fs::fsync_dir(dir);
  if (!st.is_ok()) {
    fsys.close(fd);
    fsys.unlink(path.c_str());  // best effort; a short file is dropped at replay anyway
    return st;
  }
  auto wal = std::unique_ptr<WalWriter>(new WalWriter(fd, path, first_seq));
  wal->bytes_ = header.size();
  return wal;
}

Status WalWriter::append(uint64_t seq, WalRecordType type, std::string_view payload) {
  if (payload.size() > kMaxPayload) return Status::too_large("WAL record larger than 256 MiB");
  std::string single;
  std::string& rec = batching_ ? batch_ : single;
  const size_t start = rec.size();
  rec.reserve(start + kRecordHeader + payload.size());
  ByteWriter w(&rec);
  w.u32(0);
  w.u32(static_cast<uint32_t>(payload.size()));
  // In a batch every record says "more follows"; end_batch() clears it on the last.
  w.u8(static_cast<uint8_t>(type) | (batching_ ? kBatchContinues : 0));
  w.u64(seq);
  w.bytes(payload);
  seal_record(rec, start);
  if (batching_) {
    batch_seq_ = std::max(batch_seq_, seq);
    batch_last_ = start;
    return Status::ok();
  }
  MERIDIAN_RETURN_IF_ERROR(write_or_undo(rec));
  std::lock_guard<std::mutex> lock(mu_);
  if (seq > written_seq_) written_seq_ = seq;
  return Status::ok();
}

Status WalWriter::write_or_undo(std::string_view data) {
  if (!write_error_.is_ok()) return write_error_;
  Status st = fs::write_all(fd_, data, path_);
  if (st.is_ok()) {
    bytes_ += data.size();
    return st;
  }
  // A failed (possibly partial) write must leave no half record behind, or a
  // later record would follow garbage: cut the file back to where it was.
  if (fs::file_system().ftruncate(fd_, static_cast<off_t>(bytes_)) != 0) write_error_ = st;
  return st;
}

void WalWriter::begin_batch() {
  batching_ = true;
  batch_.clear();
  batch_seq_ = 0;
}

Status WalWriter::end_batch() {
  batching_ = false;
  if (batch_.empty()) return Status::ok();
  batch_[batch_last_ + 8] = static_cast<char>(static_cast<uint8_t>(batch_[batch_last_ + 8]) & ~kBatchContinues);
  seal_record(batch_, batch_last_);
  Status st = write_or_undo(batch_);
  batch_.clear();
  if (!st.is_ok()) return st;
  std::lock_guard<std::mutex> lock(mu_);
  if (batch_seq_ > written_seq_) written_seq_ = batch_seq_;
  return Status::ok();
}

Status WalWriter::sync_to(uint64_t seq) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!sync_error_.is_ok()) return sync_error_;
    if (synced_seq_ >= seq) return Status::ok();
    if (!syncing_) break;
    cv_.wait(lock);
  }
  syncing_ = true;
  uint64_t target = written_seq_;
  lock.unlock();
  Status st;
  if (fs::file_system().sync(fd_, true) != 0) st = Status::from_errno(path_, errno);
  lock.lock();
  syncing_ = false;
  if (st.is_ok()) {
    if (target > synced_seq_) synced_seq_ = target;
  } else {
    sync_error_ = st;
  }
  cv_.notify_all();
  if (!sync_error_.is_ok()) return sync_error_;
  return synced_seq_ >= seq ? Status::ok() : Status::internal("WAL sync did not reach the record");
}

Result<std::vector<std::pair<uint64_t, std::string>>> list_wal_files(const std::string& dir) {
  MERIDIAN_ASSIGN_OR_RETURN(auto names, fs::list_dir(dir));
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const auto& n : names) {
    unsigned long long seq;
    char tail[8];
    if (n.size() == 28 && std::sscanf(n.c_str(), "wal-%20llu.%3s", &seq, tail) == 2 && std::string(tail) == "log")
      out.emplace_back(seq, fs::join(dir, n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status replay_wal(const std::string& dir, uint64_t after_seq, const std::function<Status(const WalRecord&)>& fn,
                  WalReplayStats* stats) {
  MERIDIAN_ASSIGN_OR_RETURN(auto files, list_wal_files(dir));
  uint64_t last_seq = after_seq;
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const std::string& path = files[fi].second;
    const bool last_file = fi + 1 == files.size();
    MERIDIAN_ASSIGN_OR_RETURN(std::string data, fs::read_file(path));
    if (data.size() < kHeaderSize) {
      if (last_file) {  // crashed while creating it
        if (stats) stats->torn_tail_bytes += data.size();
        MERIDIAN_RETURN_IF_ERROR(fs::remove_file(path));
        continue;
      }
      return Status::corruption(path + ": WAL header truncated");
    }
    ByteReader h(std::string_view(data).substr(0, kHeaderSize));
    uint32_t magic = h.u32(), version = h.u32();
    h.u64();
    uint32_t hcrc = crc32c::unmask(h.u32());
    if (magic != kMagic || hcrc != crc32c::value(data.data(), 16))
      return Status::corruption(path + ": bad WAL header at offset 0");
    if (version != 1 && version != kWalVersion)
      return Status::corruption(path + ": unsupported WAL version " + std::to_string(version));
    size_t off = kHeaderSize;
    std::vector<WalRecord> batch;  // records of a batch whose last record is not read yet
    size_t batch_start = 0;
    // Drops an incomplete last batch (torn at a crash): the file is cut back
    // to the last complete one.
    auto drop_tail = [&](size_t at) -> Status {
      if (!last_file)
        return Status::corruption(path + ": WAL record at offset " + std::to_string(at) + " is truncated");
      if (stats) stats->torn_tail_bytes += data.size() - at;
      if (fs::file_system().truncate(path.c_str(), static_cast<off_t>(at)) != 0) return Status::from_errno(path, errno);
      return Status::ok();
    };
    bool dropped = false;
    while (off < data.size()) {
      size_t left = data.size() - off;
      bool torn = false;
      uint32_t len = 0;
      if (left < kRecordHeader) {
        torn = true;
      } else {
        ByteReader r(std::string_view(data).substr(off, kRecordHeader));
        uint32_t crc = crc32c::unmask(r.u32());
        len = r.u32();
        if (len > kMaxPayload || left < kRecordHeader + len) {
          torn = true;
        } else if (crc != crc32c::value(data.data() + off + 4, kRecordHeader - 4 + len)) {
          // A bad record at the very end is a torn write; anywhere else it is damage.
          torn = off + kRecordHeader + len == data.size();
          if (!torn || !last_file)
            return Status::corruption(path + ": WAL record at offset " + std::to_string(off) + ": checksum mismatch");
        }
      }
      if (torn) {
        MERIDIAN_RETURN_IF_ERROR(drop_tail(batch.empty() ? off : batch_start));
        dropped = true;
        break;
      }
      ByteReader r(std::string_view(data).substr(off + 8, kRecordHeader - 8 + len));
      WalRecord rec;
      const uint8_t type = r.u8();
      const bool continues = version >= 2 && (type & kBatchContinues);
      rec.type = static_cast<WalRecordType>(type & ~(version >= 2 ? kBatchContinues : 0));
      rec.seq = r.u64();
      rec.payload = std::string(r.bytes(len));
      if (batch.empty()) batch_start = off;
      off += kRecordHeader + len;
      if (rec.seq <= last_seq && rec.seq > after_seq)
        return Status::corruption(path + ": WAL sequence numbers go backwards at seq " + std::to_string(rec.seq));
      if (rec.seq > after_seq) last_seq = rec.seq;
      batch.push_back(std::move(rec));
      if (continues) continue;
      for (const auto& b : batch) {
        if (b.seq <= after_seq) continue;
        if (stats) stats->records++;
        MERIDIAN_RETURN_IF_ERROR(fn(b));
      }
      batch.clear();
    }
    // A batch whose last record never came (the write was cut at a record
    // boundary) is as torn as one cut inside a record.
    if (!dropped && !batch.empty()) MERIDIAN_RETURN_IF_ERROR(drop_tail(batch_start));
  }
  return Status::ok();
}

}  // namespace meridian::index

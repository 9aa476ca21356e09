// Index::backup: a consistent online snapshot of one index directory.
//
// commit() first (so the WAL tail is short), then, under the writer lock
// (and the commit lock) for only as long as a directory listing and some
// link() calls take: every
// immutable file (manifests, segment files, deletes files) is hard-linked
// into the destination (copied when it is on another file system) and each
// WAL file is opened with its current length noted. The WAL prefixes are
// copied after the lock is released: WAL files are append-only, and an open
// descriptor keeps a file readable even if a commit deletes it meanwhile.
// Writes go on throughout; the backup holds exactly the writes whose WAL
// records were complete when the lock was taken (the manifest's segments
// plus the WAL tail, replayed when the backup is opened).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "meridian/base/file.h"
#include "meridian/index/index.h"

namespace meridian::index {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status copy_prefix(int fd, uint64_t len, const std::string& to) {
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) return Status::io_error(to + ": " + std::strerror(errno));
  std::string buf(1 << 20, '\0');
  uint64_t off = 0;
  Status st;
  while (off < len && st.is_ok()) {
    ssize_t n = ::pread(fd, buf.data(), std::min<uint64_t>(buf.size(), len - off), static_cast<off_t>(off));
    if (n <= 0) {
      st = Status::io_error(to + ": reading the source: " + (n < 0 ? std::strerror(errno) : "unexpected end of file"));
      break;
    }
    for (ssize_t w = 0; w < n;) {
      ssize_t k = ::write(out, buf.data() + w, static_cast<size_t>(n - w));
      if (k < 0) {
        st = Status::io_error(to + ": " + std::strerror(errno));
        break;
      }
      w += k;
    }
    off += static_cast<uint64_t>(n);
  }
  if (st.is_ok() && ::fsync(out) != 0) st = Status::io_error(to + ": fsync: " + std::strerror(errno));
  ::close(out);
  return st;
}

Status link_or_copy(const std::string& from, const std::string& to, uint64_t* bytes) {
  if (::link(from.c_str(), to.c_str()) == 0) return Status::ok();
  if (errno == ENOENT) return Status::not_found(from + ": removed while backing up");
  if (errno != EXDEV && errno != EPERM && errno != EMLINK) return Status::io_error(to + ": link: " + std::strerror(errno));
  int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io_error(from + ": " + std::strerror(errno));
  off_t len = ::lseek(fd, 0, SEEK_END);
  Status st = len < 0 ? Status::io_error(from + ": " + std::strerror(errno)) : copy_prefix(fd, static_cast<uint64_t>(len), to);
  ::close(fd);
  if (st.is_ok()) *bytes += static_cast<uint64_t>(len);
  return st;
}

}  // namespace

Result<BackupInfo> Index::backup(const std::string& dest) {
  MERIDIAN_RETURN_IF_ERROR(commit());
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(dest));
  BackupInfo info;
  struct WalTail {
    std::string name;
    int fd;
    uint64_t len;
  };
  std::vector<WalTail> wals;
  Status st;
  {
    // commit_mu_: no commit removes files or publishes a manifest while the
    // directory is listed (commits do that I/O without mu_).
    std::lock_guard<std::mutex> cl(commit_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::invalid("index '" + name_ + "' is closed");
    auto names = fs::list_dir(dir_);
    if (!names) return names.status();
    for (const auto& n : *names) {
      if (n == "LOCK" || ends_with(n, ".tmp")) continue;
      std::string from = fs::join(dir_, n);
      if (n.rfind("wal-", 0) == 0) {
        int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          st = Status::io_error(from + ": " + std::strerror(errno));
          break;
        }
        off_t len = ::lseek(fd, 0, SEEK_END);
        wals.push_back({n, fd, len < 0 ? 0 : static_cast<uint64_t>(len)});
        continue;
      }
      st = link_or_copy(from, fs::join(dest, n), &info.bytes_copied);
      if (!st.is_ok()) break;
      ++info.files;
    }
    info.last_seq = last_seq_;
    info.committed_seq = committed_seq_;
    info.generation = manifest_gen_;
  }
  for (auto& w : wals) {
    if (st.is_ok()) {
      st = copy_prefix(w.fd, w.len, fs::join(dest, w.name));
      info.wal_bytes += w.len;
      ++info.files;
    }
    ::close(w.fd);
  }
  MERIDIAN_RETURN_IF_ERROR(st);
  MERIDIAN_RETURN_IF_ERROR(fs::fsync_dir(dest));
  return info;
}

}  // namespace meridian::index

// FaultInjectionFs: a file system for tests that fails on purpose (RocksDB's
// FaultInjectionTestFS, LevelDB's FaultInjectionTestEnv). It passes every
// call to the real file system, counts the calls that can fail, and from
// call number `at` on injects one fault of the armed kind (or keeps
// injecting, when `sticky`: a disk that stays full):
//   kNoSpace      write fails with ENOSPC
//   kWriteEio     write fails with EIO
//   kShortWrite   write writes half, the retry of the rest fails with ENOSPC
//   kSyncEio      fsync/fdatasync fails with EIO
//   kRenameFail   rename fails with EIO
//   kCrash        the process "dies": this and every later mutating call
//                 fails with EIO; crash() then drops what was never synced
// It remembers what was made durable: a file's size at its last fsync, and
// files created since their directory's last fsync. crash() cuts every file
// back to its synced size and removes files whose directory entry was never
// synced, as a power loss would.
//
// fsync is not passed to the disk (durability is simulated), which keeps
// the fault tests fast. Thread-safe: one mutex around the bookkeeping.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "meridian/base/file_system.h"

namespace meridian::testing {

class FaultInjectionFs : public fs::PosixFileSystem {
 public:
  enum class Fault { kNone, kNoSpace, kWriteEio, kShortWrite, kSyncEio, kRenameFail, kCrash };

  // Injects `fault` at the first fitting call numbered >= `at` (1-based).
  void arm(Fault fault, uint64_t at, bool sticky = false) {
    std::lock_guard<std::mutex> l(mu_);
    fault_ = fault;
    at_ = at;
    sticky_ = sticky;
    fired_ = false;
    crashed_ = false;
    only_on_.clear();
  }
  // After arm(): inject only at calls on a path containing `part` (others
  // are still counted).
  void only_on(std::string part) {
    std::lock_guard<std::mutex> l(mu_);
    only_on_ = std::move(part);
  }
  // Stops injecting (the disk has room again).
  void heal() {
    std::lock_guard<std::mutex> l(mu_);
    fault_ = Fault::kNone;
    crashed_ = false;
  }
  uint64_t calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }
  uint64_t syncs() const {
    std::lock_guard<std::mutex> l(mu_);
    return syncs_;
  }
  // The call the fault hit ("write <path>"), for test messages.
  std::string fired_at() const {
    std::lock_guard<std::mutex> l(mu_);
    return fired_at_;
  }
  bool fired() const {
    std::lock_guard<std::mutex> l(mu_);
    return fired_;
  }
  // Power loss: unsynced data and unsynced directory entries disappear.
  void crash() {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [dir, names] : unsynced_entries_)
      for (const auto& p : names) {
        ::unlink(p.c_str());
        synced_size_.erase(p);
      }
    unsynced_entries_.clear();
    for (const auto& [p, size] : synced_size_) {
      struct stat st{};
      if (::stat(p.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > size)
        (void)!::truncate(p.c_str(), static_cast<off_t>(size));
    }
    fault_ = Fault::kNone;
    crashed_ = false;
  }

  int open(const char* path, int flags, mode_t mode) override {
    const bool creating = (flags & O_CREAT) && ::access(path, F_OK) != 0;
    if ((flags & (O_WRONLY | O_RDWR)) && fail(Op::kMutate, nullptr, -1, path)) return -1;
    int fd = ::open(path, flags, mode);
    if (fd < 0) return fd;
    std::lock_guard<std::mutex> l(mu_);
    paths_[fd] = path;
    if (flags & (O_WRONLY | O_RDWR)) {
      if (creating) {
        unsynced_entries_[dir_of(path)].insert(path);
        synced_size_[path] = 0;
      } else if (flags & O_TRUNC) {
        synced_size_[path] = 0;
      } else if (!synced_size_.count(path)) {
        struct stat st{};
        synced_size_[path] = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      }
    }
    return fd;
  }
  ssize_t write(int fd, const void* buf, size_t n) override {
    int err = 0;
    if (fail(Op::kWrite, &err, fd)) {
      if (err == -1 && n > 1) {  // short write: half of it lands
        ssize_t w = ::write(fd, buf, n / 2);
        std::lock_guard<std::mutex> l(mu_);
        pending_nospace_ = true;
        return w;
      }
      errno = err == -1 ? ENOSPC : err;
      return -1;
    }
    return ::write(fd, buf, n);
  }
  int sync(int fd, bool) override {
    if (fail(Op::kSync, nullptr, fd)) return -1;
    std::lock_guard<std::mutex> l(mu_);
    ++syncs_;
    auto it = paths_.find(fd);
    if (it == paths_.end()) return 0;
    struct stat st{};
    if (::fstat(fd, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) {
      unsynced_entries_.erase(it->second);
    } else {
      synced_size_[it->second] = static_cast<uint64_t>(st.st_size);
    }
    return 0;
  }
  int close(int fd) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      paths_.erase(fd);
    }
    return ::close(fd);
  }
  int rename(const char* from, const char* to) override {
    if (fail(Op::kRename, nullptr, -1, from)) return -1;
    int rc = ::rename(from, to);
    if (rc != 0) return rc;
    std::lock_guard<std::mutex> l(mu_);
    auto node = synced_size_.extract(from);
    synced_size_.erase(to);
    if (!node.empty()) {
      node.key() = to;
      synced_size_.insert(std::move(node));
    }
    // The new name is durable only once its directory is synced.
    for (auto& [dir, names] : unsynced_entries_) names.erase(from);
    unsynced_entries_[dir_of(to)].insert(to);
    return 0;
  }
  int link(const char* from, const char* to) override {
    if (fail(Op::kMutate, nullptr, -1, to)) return -1;
    int rc = ::link(from, to);
    if (rc != 0) return rc;
    std::lock_guard<std::mutex> l(mu_);
    auto it = synced_size_.find(from);
    if (it != synced_size_.end()) synced_size_[to] = it->second;
    unsynced_entries_[dir_of(to)].insert(to);
    return 0;
  }
  int unlink(const char* path) override {
    if (fail(Op::kMutate, nullptr)) return -1;
    int rc = ::unlink(path);
    if (rc == 0) {
      std::lock_guard<std::mutex> l(mu_);
      synced_size_.erase(path);
      for (auto& [dir, names] : unsynced_entries_) names.erase(path);
    }
    return rc;
  }
  int truncate(const char* path, off_t len) override {
    if (fail(Op::kMutate, nullptr)) return -1;
    return ::truncate(path, len);
  }
  int ftruncate(int fd, off_t len) override {
    if (fail(Op::kMutate, nullptr)) return -1;
    return ::ftruncate(fd, len);
  }

 private:
  enum class Op { kWrite, kSync, kRename, kMutate };

  static std::string dir_of(const std::string& p) {
    auto pos = p.find_last_of('/');
    return pos == std::string::npos ? "." : p.substr(0, pos);
  }

  // Counts the call; returns true (errno set) when it must fail. For a
  // write, *err gets the errno to report, or -1 for a short write.
  bool fail(Op op, int* err, int fd = -1, const char* path = nullptr) {
    std::lock_guard<std::mutex> l(mu_);
    ++calls_;
    if (crashed_) {
      errno = EIO;
      if (err) *err = EIO;
      return true;
    }
    if (pending_nospace_ && op == Op::kWrite) {
      pending_nospace_ = sticky_;
      *err = ENOSPC;
      return true;
    }
    if (fault_ == Fault::kNone || calls_ < at_ || (fired_ && !sticky_)) return false;
    if (!only_on_.empty()) {
      std::string p = path ? path : (paths_.count(fd) ? paths_[fd] : std::string());
      if (p.find(only_on_) == std::string::npos) return false;
    }
    int e = 0;
    switch (fault_) {
      case Fault::kNone: return false;
      case Fault::kNoSpace: if (op == Op::kWrite) e = ENOSPC; break;
      case Fault::kWriteEio: if (op == Op::kWrite) e = EIO; break;
      case Fault::kShortWrite: if (op == Op::kWrite) e = -1; break;
      case Fault::kSyncEio: if (op == Op::kSync) e = EIO; break;
      case Fault::kRenameFail: if (op == Op::kRename) e = EIO; break;
      case Fault::kCrash:
        crashed_ = true;
        e = EIO;
        break;
    }
    if (!e) return false;
    fired_ = true;
    static const char* kOps[] = {"write ", "sync ", "rename ", "mutate "};
    fired_at_ = kOps[static_cast<int>(op)];
    if (path) fired_at_ += path;
    else if (auto it = paths_.find(fd); it != paths_.end()) fired_at_ += it->second;
    if (err) *err = e;
    errno = e == -1 ? 0 : e;
    return true;
  }

  mutable std::mutex mu_;
  Fault fault_ = Fault::kNone;
  uint64_t at_ = 0;
  bool sticky_ = false;
  bool fired_ = false;
  bool crashed_ = false;
  bool pending_nospace_ = false;
  uint64_t calls_ = 0;
  uint64_t syncs_ = 0;
  std::string fired_at_;
  std::string only_on_;
  std::map<int, std::string> paths_;
  std::map<std::string, uint64_t> synced_size_;
  std::map<std::string, std::set<std::string>> unsynced_entries_;  // dir -> paths created or renamed in
};

// Installs a file system for the scope of a test.
class ScopedFileSystem {
 public:
  explicit ScopedFileSystem(fs::FileSystem* f) : prev_(fs::set_file_system(f)) {}
  ~ScopedFileSystem() { fs::set_file_system(prev_); }
  ScopedFileSystem(const ScopedFileSystem&) = delete;
  ScopedFileSystem& operator=(const ScopedFileSystem&) = delete;

 private:
  fs::FileSystem* prev_;
};

}  // namespace meridian::testing

// File-system helpers with the durability rules Meridian relies on: atomic
// replacement (write temp, fsync, rename, fsync directory), whole-file reads,
// directory listing, and an exclusive lock file so that one process owns a
// data directory. All functions return Status/Result; none throw. Every
// operation goes through the current fs::FileSystem (file_system.h); errors
// read "<path>: <errno text>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::fs {

Result<std::string> read_file(const std::string& path);
// Writes all of `data` to `fd` (retrying short writes); errors name `path`.
Status write_all(int fd, std::string_view data, const std::string& path);
// Writes `data` to `path` via `path.tmp`, fsyncs file and directory.
Status write_file_atomic(const std::string& path, std::string_view data);
// Writes a new file (fails if it exists); fsyncs it when `sync`.
Status write_file_new(const std::string& path, std::string_view data, bool sync = true);
// fsyncs an existing file.
Status fsync_file(const std::string& path);
Status fsync_dir(const std::string& dir);
Status ensure_dir(const std::string& dir);  // mkdir -p
Status remove_file(const std::string& path);  // ok if missing
Status remove_all(const std::string& path);   // rm -rf
bool exists(const std::string& path);
Result<uint64_t> file_size(const std::string& path);
// Names (not paths) of the entries of `dir`, sorted.
Result<std::vector<std::string>> list_dir(const std::string& dir);
std::string join(std::string_view a, std::string_view b);
// Total bytes of regular files below `dir`.
uint64_t dir_bytes(const std::string& dir);

// An exclusive advisory lock (flock) on a file, held while the object lives.
// A second process (or a second LockFile in this one) gets Status::busy.
class LockFile {
 public:
  static Result<LockFile> acquire(const std::string& path);
  LockFile(LockFile&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  LockFile& operator=(LockFile&& o) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  ~LockFile();

 private:
  LockFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace meridian::fs

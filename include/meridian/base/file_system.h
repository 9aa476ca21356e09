// FileSystem: the seam every file operation of the index, WAL, manifest and
// store goes through (LevelDB's Env, RocksDB's FileSystem), so that tests can
// replace the operating system with one that fails on purpose (disk full,
// EIO on write or fsync, short writes, failed renames, a crash that drops
// unsynced data).
//
// The interface mirrors the system calls one to one: each method returns what
// the call would (-1 on failure) and sets errno, so the callers' error
// handling is the real one. Callers turn a failure into a Status with
// Status::from_errno(path, errno), which reads "<path>: <errno text>".
//
// Ownership and threads: the process has one current FileSystem, the POSIX
// one unless a test installs another with set_file_system() (before it opens
// anything; the installed object must outlive every file opened through it).
// Implementations must be thread-safe: the index writes from several threads.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace meridian::fs {

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual int open(const char* path, int flags, mode_t mode) = 0;
  virtual ssize_t read(int fd, void* buf, size_t n) = 0;
  virtual ssize_t write(int fd, const void* buf, size_t n) = 0;
  // fsync(2) when `data_only` is false, fdatasync(2) otherwise.
  virtual int sync(int fd, bool data_only) = 0;
  virtual int close(int fd) = 0;
  virtual int rename(const char* from, const char* to) = 0;
  virtual int link(const char* from, const char* to) = 0;
  virtual int unlink(const char* path) = 0;
  virtual int truncate(const char* path, off_t len) = 0;
  virtual int ftruncate(int fd, off_t len) = 0;
};

// The operating system's file system.
class PosixFileSystem : public FileSystem {
 public:
  int open(const char* path, int flags, mode_t mode) override;
  ssize_t read(int fd, void* buf, size_t n) override;
  ssize_t write(int fd, const void* buf, size_t n) override;
  int sync(int fd, bool data_only) override;
  int close(int fd) override;
  int rename(const char* from, const char* to) override;
  int link(const char* from, const char* to) override;
  int unlink(const char* path) override;
  int truncate(const char* path, off_t len) override;
  int ftruncate(int fd, off_t len) override;
};

// The current file system (PosixFileSystem unless replaced).
FileSystem& file_system();
// Replaces the current file system (nullptr restores POSIX); returns the
// previous one. For tests.
FileSystem* set_file_system(FileSystem* fs);

}  // namespace meridian::fs

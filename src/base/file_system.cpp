#include "meridian/base/file_system.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace meridian::fs {

int PosixFileSystem::open(const char* path, int flags, mode_t mode) { return ::open(path, flags, mode); }
ssize_t PosixFileSystem::read(int fd, void* buf, size_t n) { return ::read(fd, buf, n); }
ssize_t PosixFileSystem::write(int fd, const void* buf, size_t n) { return ::write(fd, buf, n); }
int PosixFileSystem::sync(int fd, bool data_only) { return data_only ? ::fdatasync(fd) : ::fsync(fd); }
int PosixFileSystem::close(int fd) { return ::close(fd); }
int PosixFileSystem::rename(const char* from, const char* to) { return ::rename(from, to); }
int PosixFileSystem::link(const char* from, const char* to) { return ::link(from, to); }
int PosixFileSystem::unlink(const char* path) { return ::unlink(path); }
int PosixFileSystem::truncate(const char* path, off_t len) { return ::truncate(path, len); }
int PosixFileSystem::ftruncate(int fd, off_t len) { return ::ftruncate(fd, len); }

namespace {
PosixFileSystem g_posix;
std::atomic<FileSystem*> g_current{&g_posix};
}  // namespace

FileSystem& file_system() { return *g_current.load(std::memory_order_acquire); }

FileSystem* set_file_system(FileSystem* fs) {
  return g_current.exchange(fs ? fs : &g_posix, std::memory_order_acq_rel);
}

}  // namespace meridian::fs

#include "meridian/base/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "meridian/base/file_system.h"

namespace meridian::fs {
Status write_all(int fd, std::string_view data, const std::string& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = file_system().write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::from_errno(path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::ok();
}

namespace {

std::string parent_dir(const std::string& path) {
  auto pos = path.find_last_of('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

Status write_and_sync(const std::string& path, std::string_view data, int flags, bool sync = true) {
  FileSystem& fsys = file_system();
  int fd = fsys.open(path.c_str(), flags | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Status::from_errno(path, errno);
  Status st = write_all(fd, data, path);
  if (st.is_ok() && sync && fsys.sync(fd, false) != 0) st = Status::from_errno(path, errno);
  if (fsys.close(fd) != 0 && st.is_ok()) st = Status::from_errno(path, errno);
  return st;
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  FileSystem& fsys = file_system();
  int fd = fsys.open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(path, errno);
  std::string out;
  struct stat st{};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = fsys.read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      fsys.close(fd);
      return Status::from_errno(path, e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  fsys.close(fd);
  return out;
}

Status write_file_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  MERIDIAN_RETURN_IF_ERROR(write_and_sync(tmp, data, O_CREAT | O_TRUNC));
  if (file_system().rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = Status::from_errno(path, errno);
    file_system().unlink(tmp.c_str());  // best effort: recovery removes *.tmp too
    return st;
  }
  return fsync_dir(parent_dir(path));
}

Status write_file_new(const std::string& path, std::string_view data, bool sync) {
  return write_and_sync(path, data, O_CREAT | O_EXCL, sync);
}

Status fsync_file(const std::string& path) {
  FileSystem& fsys = file_system();
  int fd = fsys.open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(path, errno);
  int rc = fsys.sync(fd, false);
  int e = errno;
  fsys.close(fd);
  if (rc != 0) return Status::from_errno(path, e);
  return Status::ok();
}

Status fsync_dir(const std::string& dir) {
  FileSystem& fsys = file_system();
  int fd = fsys.open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(dir, errno);
  int rc = fsys.sync(fd, false);
  int e = errno;
  fsys.close(fd);
  if (rc != 0) return Status::from_errno(dir, e);
  return Status::ok();
}

Status ensure_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::io_error("mkdir " + dir + ": " + ec.message());
  return Status::ok();
}

Status remove_file(const std::string& path) {
  if (file_system().unlink(path.c_str()) != 0 && errno != ENOENT) return Status::from_errno(path, errno);
  return Status::ok();
}

Status remove_all(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::io_error("remove " + path + ": " + ec.message());
  return Status::ok();
}

bool exists(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0;
}

Result<uint64_t> file_size(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return Status::from_errno("stat " + path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return Status::from_errno("opendir " + dir, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(std::string_view a, std::string_view b) {
  std::string s(a);
  if (!s.empty() && s.back() != '/') s += '/';
  s += b;
  return s;
}

uint64_t dir_bytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

Result<LockFile> LockFile::acquire(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::from_errno("open lock " + path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::busy(path + " is locked by another process (is a server or import running?)");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) { [[maybe_unused]] auto n = ::pwrite(fd, pid.data(), pid.size(), 0); }
  return LockFile(fd, path);
}

LockFile& LockFile::operator=(LockFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

LockFile::~LockFile() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace meridian::fs

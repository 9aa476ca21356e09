#include "meridian/base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "meridian/base/file_system.h"

namespace meridian {

Result<std::unique_ptr<MappedFile>> MappedFile::open(const std::string& path) {
  fs::FileSystem& fsys = fs::file_system();
  int fd = fsys.open(path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return Status::from_errno(path, errno);
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    fsys.close(fd);
    return Status::from_errno(path, e);
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* addr = nullptr;
  if (size > 0) {
    addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
      int e = errno;
      fsys.close(fd);
      return Status::from_errno(path, e);
    }
  }
  fsys.close(fd);
  return std::unique_ptr<MappedFile>(new MappedFile(addr, size, path));
}

MappedFile::~MappedFile() {
  if (addr_ && size_) ::munmap(addr_, size_);
}

}  // namespace meridian

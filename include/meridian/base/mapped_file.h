// MappedFile: a read-only mmap of a whole file, owned by one object.
// Segment readers hold one per file (through shared_ptr<Segment>); the
// string_views they hand out must not outlive it. Read-only after open,
// so any number of threads may read it at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "meridian/base/status.h"

namespace meridian {

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(void* addr, size_t size, std::string path)
      : addr_(addr), size_(size), path_(std::move(path)) {}
  void* addr_;
  size_t size_;
  std::string path_;
};

}  // namespace meridian

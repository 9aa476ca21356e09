// Helpers shared by unit tests: a temporary directory removed at scope exit.
#pragma once

#include <cstdlib>
#include <string>

#include "meridian/base/file.h"

namespace meridian {

class TempDir {
 public:
  TempDir() : TempDir(nullptr) {}
  // Under `base` (e.g. /dev/shm for tests whose durability is simulated)
  // when it exists, else under $TMPDIR or /tmp.
  explicit TempDir(const char* base) {
    if (!base || !fs::exists(base)) base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/meridian-test-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() { (void)fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace meridian

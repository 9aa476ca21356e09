// Engine: the data directory and the indexes in it. It holds the directory's
// lock file, so one process owns a data directory; a second process gets a
// clear "locked" error. Indexes live in <data>/indexes/<name>/.
//
// Thread safety: all methods may be called concurrently; the index map is
// behind a mutex, and indexes are handed out as shared_ptr so that dropping
// one while a request still uses it is safe (the files go when it is done).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "meridian/base/file.h"
#include "meridian/index/index.h"

namespace meridian::index {

class Engine {
 public:
  // Opens (creating if needed) a data directory and every index in it.
  static Result<std::unique_ptr<Engine>> open(const std::string& data_dir, const IndexOptions& opt = {});
  ~Engine();

  Result<std::shared_ptr<Index>> create_index(const std::string& name, const Schema& schema);
  // NotFound if there is no such index.
  Result<std::shared_ptr<Index>> get(const std::string& name) const;
  std::vector<std::string> list() const;
  Status drop(const std::string& name);
  // Commits and closes every index.
  Status close();
  const std::string& data_dir() const { return dir_; }

 private:
  Engine(std::string dir, IndexOptions opt, fs::LockFile lock)
      : dir_(std::move(dir)), opt_(opt), lock_(std::move(lock)) {}
  std::string index_dir(const std::string& name) const;

  const std::string dir_;
  const IndexOptions opt_;
  fs::LockFile lock_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Index>> indexes_;  // GUARDED_BY(mu_)
};

}  // namespace meridian::index

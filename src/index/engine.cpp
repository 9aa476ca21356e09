#include "meridian/index/engine.h"

#include <cerrno>
#include <cstdio>

namespace meridian::index {

std::string Engine::index_dir(const std::string& name) const { return fs::join(fs::join(dir_, "indexes"), name); }

Result<std::unique_ptr<Engine>> Engine::open(const std::string& data_dir, const IndexOptions& opt) {
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(fs::join(data_dir, "indexes")));
  auto lock = fs::LockFile::acquire(fs::join(data_dir, "LOCK"));
  if (!lock) {
    if (lock.status().code() == Status::Code::kBusy)
      return Status::busy("data directory " + data_dir +
                          " is in use by another Meridian process (a running server or import)");
    return lock.status();
  }
  std::unique_ptr<Engine> e(new Engine(data_dir, opt, std::move(*lock)));
  MERIDIAN_ASSIGN_OR_RETURN(auto names, fs::list_dir(fs::join(data_dir, "indexes")));
  for (const auto& n : names) {
    if (!validate_index_name(n).is_ok()) continue;  // ".trash" and strays
    auto ix = Index::open(e->index_dir(n), n, opt);
    if (!ix) return ix.status().with_context("opening index '" + n + "'");
    e->indexes_[n] = std::shared_ptr<Index>(std::move(*ix));
  }
  return e;
}

Engine::~Engine() { (void)close(); }

Result<std::shared_ptr<Index>> Engine::create_index(const std::string& name, const Schema& schema) {
  MERIDIAN_RETURN_IF_ERROR(validate_index_name(name));
  std::lock_guard<std::mutex> lock(mu_);
  if (indexes_.count(name)) return Status::exists("index '" + name + "' already exists");
  std::string dir = index_dir(name);
  if (fs::exists(dir)) MERIDIAN_RETURN_IF_ERROR(fs::remove_all(dir));  // leftovers of a failed drop
  auto ix = Index::open(dir, name, opt_, &schema);
  if (!ix) return ix.status();
  auto sp = std::shared_ptr<Index>(std::move(*ix));
  indexes_[name] = sp;
  return sp;
}

Result<std::shared_ptr<Index>> Engine::get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = indexes_.find(name);
  if (it == indexes_.end()) return Status::not_found("no such index '" + name + "'");
  return it->second;
}

std::vector<std::string> Engine::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [n, ix] : indexes_) out.push_back(n);
  return out;
}

Status Engine::drop(const std::string& name) {
  std::shared_ptr<Index> ix;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = indexes_.find(name);
    if (it == indexes_.end()) return Status::not_found("no such index '" + name + "'");
    ix = it->second;
    indexes_.erase(it);
  }
  (void)ix->close();
  // Move aside first so a crash mid-delete never leaves a half index behind.
  std::string trash = fs::join(dir_, ".trash-" + name);
  (void)fs::remove_all(trash);
  if (std::rename(index_dir(name).c_str(), trash.c_str()) != 0) return Status::from_errno("rename " + index_dir(name), errno);
  (void)fs::fsync_dir(fs::join(dir_, "indexes"));
  return fs::remove_all(trash);
}

Status Engine::close() {
  std::map<std::string, std::shared_ptr<Index>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(indexes_);
  }
  Status first;
  for (auto& [n, ix] : all) {
    Status st = ix->close();
    if (!st.is_ok() && first.is_ok()) first = st;
  }
  return first;
}

}  // namespace meridian::index

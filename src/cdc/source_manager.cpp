#include "meridian/cdc/source_manager.h"

#include "meridian/base/file.h"

namespace meridian::cdc {

Result<std::unique_ptr<SourceManager>> SourceManager::open(const std::string& data_dir, IndexLookup lookup) {
  MERIDIAN_ASSIGN_OR_RETURN(auto reg, SourceRegistry::open(fs::join(data_dir, "sources.json")));
  return std::unique_ptr<SourceManager>(new SourceManager(std::move(reg), std::move(lookup)));
}

SourceManager::~SourceManager() { stop_all(); }

void SourceManager::start_locked(const SourceConfig& c) {
  if (c.type != "postgres") return;
  auto key = std::make_pair(c.index, c.name);
  if (auto it = running_.find(key); it != running_.end()) {
    it->second->stop();
    running_.erase(it);
  }
  auto ix = lookup_(c.index);
  if (!ix) return;
  auto src = std::make_unique<PgSource>(c, *ix);
  src->start();
  running_[key] = std::move(src);
}

void SourceManager::start_all() {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& c : registry_->list()) start_locked(c);
}

Status SourceManager::put(const SourceConfig& c) {
  auto ix = lookup_(c.index);
  if (!ix) return ix.status();
  index::Schema fixed = c.mapping.schema_fields();
  if (!fixed.fields().empty()) MERIDIAN_RETURN_IF_ERROR((*ix)->add_fields(fixed).with_context("mapping"));
  std::lock_guard<std::mutex> l(mu_);
  MERIDIAN_RETURN_IF_ERROR(registry_->put(c));
  start_locked(c);
  return Status::ok();
}

Status SourceManager::remove(const std::string& index, const std::string& name, bool drop_slot) {
  std::unique_ptr<PgSource> stopped;
  std::optional<SourceConfig> cfg;
  {
    std::lock_guard<std::mutex> l(mu_);
    cfg = registry_->get(index, name);
    if (!cfg) return Status::not_found("no source '" + name + "' on index '" + index + "'");
    if (auto it = running_.find({index, name}); it != running_.end()) {
      stopped = std::move(it->second);
      running_.erase(it);
    }
    MERIDIAN_RETURN_IF_ERROR(registry_->remove(index, name));
  }
  if (stopped) stopped->stop();
  if (drop_slot && cfg->type == "postgres") return PgSource::drop_slot(*cfg);
  return Status::ok();
}

void SourceManager::remove_index(const std::string& index) {
  std::vector<std::unique_ptr<PgSource>> stopped;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& c : registry_->list())
      if (c.index == index) {
        if (auto it = running_.find({c.index, c.name}); it != running_.end()) {
          stopped.push_back(std::move(it->second));
          running_.erase(it);
        }
        (void)registry_->remove(c.index, c.name);
      }
  }
  for (auto& s : stopped) s->stop();
}

std::optional<SourceConfig> SourceManager::get(const std::string& index, const std::string& name) const {
  return registry_->get(index, name);
}

std::optional<SourceReport> SourceManager::report(const std::string& index, const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto cfg = registry_->get(index, name);
  if (!cfg) return std::nullopt;
  SourceReport r{*cfg, std::nullopt};
  if (auto it = running_.find({index, name}); it != running_.end()) r.status = it->second->status();
  return r;
}

std::vector<SourceReport> SourceManager::reports() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<SourceReport> out;
  for (const auto& c : registry_->list()) {
    SourceReport r{c, std::nullopt};
    if (auto it = running_.find({c.index, c.name}); it != running_.end()) r.status = it->second->status();
    out.push_back(std::move(r));
  }
  return out;
}

void SourceManager::stop_all() {
  std::map<std::pair<std::string, std::string>, std::unique_ptr<PgSource>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all.swap(running_);
  }
  for (auto& [k, s] : all) s->stop();
}

}  // namespace meridian::cdc

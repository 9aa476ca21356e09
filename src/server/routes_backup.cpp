// Route: POST /v1/backup — a consistent online snapshot of indexes into a
// directory on the server's machine (admin; `meridian backup` calls it).
//   {"path": "/abs/dir", "indexes": ["cities", ...]}   (indexes: default all)
// Layout of the backup (docs/FORMAT.md "Backups"): <path>/indexes/<name>/
// (Index::backup: hard links of immutable files, the WAL tail copied),
// <path>/aliases.json (the aliases among the backed-up indexes) and
// <path>/BACKUP.json, written last: a backup without it is incomplete.
#include <chrono>

#include "meridian/base/file.h"
#include "server_impl.h"

namespace meridian::server {

void ServerImpl::install_backup_routes() {
  route("POST", "/v1/backup", [this](const httplib::Request& req, httplib::Response& res) {
    auto start = std::chrono::steady_clock::now();
    auto body = parse_body(req, res, false);
    if (!body) return;
    if (!body->is_object()) return send_error(res, 400, "request body: expected {\"path\": \"/dir\"}", Json(Json::Object{{"path", Json("")}}));
    for (const auto& [k, v] : body->as_object())
      if (k != "path" && k != "indexes")
        return send_error(res, 400, "unknown key '" + k + "' (expected path, indexes)", Json(Json::Object{{"path", Json(k)}}));
    const Json* path = body->find("path");
    if (!path || !path->is_string() || path->as_string().empty() || path->as_string()[0] != '/')
      return send_error(res, 400, "path: expected an absolute directory path on the server", Json(Json::Object{{"path", Json("path")}}));
    std::string dir = path->as_string();
    if (fs::exists(dir)) {
      auto entries = fs::list_dir(dir);
      if (!entries || !entries->empty())
        return send_error(res, 409, "path: '" + dir + "' exists and is not an empty directory", Json(Json::Object{{"path", Json("path")}}));
    }
    std::vector<std::string> names;
    if (const Json* list = body->find("indexes")) {
      if (!list->is_array()) return send_error(res, 400, "indexes: expected an array of index names", Json(Json::Object{{"path", Json("indexes")}}));
      for (const auto& n : list->as_array()) {
        if (!n.is_string()) return send_error(res, 400, "indexes: expected an array of index names", Json(Json::Object{{"path", Json("indexes")}}));
        names.push_back(resolve_alias(n.as_string()));
      }
    } else {
      names = engine_->list();
    }
    std::vector<std::shared_ptr<index::Index>> indexes;
    for (const auto& n : names) {
      auto idx = find_index(n, res);
      if (!idx) return;
      indexes.push_back(idx);
    }
    Json arr = Json::array();
    for (const auto& idx : indexes) {
      auto info = idx->backup(fs::join(fs::join(dir, "indexes"), idx->name()));
      if (!info) return send_error(res, info.status(), Json(Json::Object{{"index", Json(idx->name())}}));
      Json e = Json::object();
      e.set("name", Json(idx->name()));
      e.set("last_seq", Json(info->last_seq));
      e.set("generation", Json(info->generation));
      e.set("files", Json(info->files));
      e.set("wal_bytes", Json(info->wal_bytes));
      e.set("bytes_copied", Json(info->bytes_copied));
      arr.push(std::move(e));
    }
    Json aliases = Json::object();
    for (const auto& [a, i] : aliases_->list())
      for (const auto& idx : indexes)
        if (idx->name() == i) aliases.set(a, Json(i));
    auto sub = AliasStore::open(fs::join(dir, "aliases.json"));
    if (!sub) return send_error(res, sub.status());
    std::vector<AliasAction> actions;
    for (const auto& [a, i] : aliases.as_object()) actions.push_back({AliasAction::Kind::kAdd, a, i.as_string()});
    if (!actions.empty()) {
      Status st = (*sub)->apply(actions, [&](const std::string& n) {
        for (const auto& idx : indexes)
          if (idx->name() == n) return true;
        return false;
      });
      if (!st.is_ok()) return send_error(res, st);
    }
    Json manifest = Json::object();
    manifest.set("format", Json("meridian-backup"));
    manifest.set("version", Json(static_cast<int64_t>(1)));
    manifest.set("created_ms", Json(static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                             std::chrono::system_clock::now().time_since_epoch()).count())));
    manifest.set("indexes", arr);
    manifest.set("aliases", aliases);
    Status st = fs::write_file_atomic(fs::join(dir, "BACKUP.json"), manifest.dump());
    if (!st.is_ok()) return send_error(res, st);
    Json out = Json::object();
    out.set("path", Json(dir));
    out.set("indexes", std::move(arr));
    out.set("aliases", std::move(aliases));
    out.set("took_ms", Json(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count()));
    send_json(res, 200, out.dump());
  });
}

}  // namespace meridian::server

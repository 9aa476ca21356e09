// meridian backup --url URL --out DIR [--index NAME]... [--key KEY]
//   asks a running server for a consistent online snapshot (POST /v1/backup)
//   into DIR (absolute, on the server's machine; hard links need the same
//   file system as the data directory to be instant).
// meridian restore --from DIR --data DATA [--force]
//   copies a backup's indexes and aliases into a data directory that no
//   server holds, then opens each restored index to check it (WAL replayed).
#include <cstdio>
#include <cstdlib>

#include "commands.h"
#include "meridian/base/file.h"
#include "meridian/index/engine.h"
#include "shell_http.h"

namespace meridian::cli {
namespace {

const char* const kBackupUsage =
    "usage: meridian backup --url http://HOST:PORT --out DIR [--index NAME]... [--key KEY]\n"
    "  --url URL      the running server (MERIDIAN_URL)\n"
    "  --out DIR      absolute path of a new or empty directory on the server's machine\n"
    "  --index NAME   back up this index (repeatable; default: every index)\n"
    "  --key KEY      API key with the admin scope (MERIDIAN_KEY)\n";

const char* const kRestoreUsage =
    "usage: meridian restore --from DIR --data DATA [--force]\n"
    "  --from DIR     a directory written by meridian backup\n"
    "  --data DATA    the data directory to restore into (no server may be running on it)\n"
    "  --force        replace indexes of the same name that DATA already has\n";

Status copy_tree(const std::string& from, const std::string& to) {
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(to));
  MERIDIAN_ASSIGN_OR_RETURN(auto names, fs::list_dir(from));
  for (const auto& n : names) {
    MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(fs::join(from, n)));
    MERIDIAN_RETURN_IF_ERROR(fs::write_file_new(fs::join(to, n), bytes, true));
  }
  return fs::fsync_dir(to);
}

}  // namespace

int cmd_backup(const Args& args) {
  std::string url = std::getenv("MERIDIAN_URL") ? std::getenv("MERIDIAN_URL") : "";
  std::string key = std::getenv("MERIDIAN_KEY") ? std::getenv("MERIDIAN_KEY") : "";
  std::string out;
  Json indexes = Json::array();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kBackupUsage, stdout);
      return 0;
    }
    bool has = i + 1 < args.size();
    if (a == "--url" && has) url = args[++i];
    else if (a == "--out" && has) out = args[++i];
    else if (a == "--key" && has) key = args[++i];
    else if (a == "--index" && has) indexes.push(Json(args[++i]));
    else {
      std::fprintf(stderr, "meridian backup: unexpected argument '%s'\n%s", a.c_str(), kBackupUsage);
      return 2;
    }
  }
  if (url.empty() || out.empty()) {
    std::fprintf(stderr, "meridian backup: --url and --out are required\n%s", kBackupUsage);
    return 2;
  }
  if (Status st = check_url(url); !st.is_ok()) {
    std::fprintf(stderr, "meridian backup: --url: %s\n", st.message().c_str());
    return 2;
  }
  Json body = Json::object();
  body.set("path", Json(out));
  if (indexes.size() > 0) body.set("indexes", std::move(indexes));
  auto client = make_client(url, key, 600);
  auto r = json_result(client->Post("/v1/backup", body.dump(), "application/json"), url);
  if (!r) {
    std::fprintf(stderr, "meridian backup: %s\n", r.status().message().c_str());
    return 2;
  }
  std::printf("%s\n", r->dump().c_str());
  return 0;
}

int cmd_restore(const Args& args) {
  std::string from, data;
  bool force = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kRestoreUsage, stdout);
      return 0;
    }
    bool has = i + 1 < args.size();
    if (a == "--from" && has) from = args[++i];
    else if (a == "--data" && has) data = args[++i];
    else if (a == "--force") force = true;
    else {
      std::fprintf(stderr, "meridian restore: unexpected argument '%s'\n%s", a.c_str(), kRestoreUsage);
      return 2;
    }
  }
  if (from.empty() || data.empty()) {
    std::fprintf(stderr, "meridian restore: --from and --data are required\n%s", kRestoreUsage);
    return 2;
  }
  auto manifest = fs::read_file(fs::join(from, "BACKUP.json"));
  auto mj = manifest ? parse_json(*manifest) : Result<Json>(manifest.status());
  if (!mj || !mj->find("indexes") || !mj->find("indexes")->is_array()) {
    std::fprintf(stderr, "meridian restore: %s: not a complete backup (BACKUP.json missing or unreadable)\n", from.c_str());
    return 2;
  }
  std::vector<std::string> names;
  for (const auto& e : mj->find("indexes")->as_array())
    if (const Json* n = e.find("name"); n && n->is_string()) names.push_back(n->as_string());
  {
    // Take the data directory's lock while copying: no server may run on it.
    if (Status st = fs::ensure_dir(data); !st.is_ok()) {
      std::fprintf(stderr, "meridian restore: %s\n", st.message().c_str());
      return 2;
    }
    auto lock = fs::LockFile::acquire(fs::join(data, "LOCK"));
    if (!lock) {
      std::fprintf(stderr, "meridian restore: %s: %s (stop the server first)\n", data.c_str(), lock.status().message().c_str());
      return 2;
    }
    for (const auto& n : names) {
      std::string dst = fs::join(fs::join(data, "indexes"), n);
      if (fs::exists(dst)) {
        if (!force) {
          std::fprintf(stderr, "meridian restore: index '%s' exists in %s (--force replaces it)\n", n.c_str(), data.c_str());
          return 2;
        }
        (void)fs::remove_all(dst);
      }
      if (Status st = copy_tree(fs::join(fs::join(from, "indexes"), n), dst); !st.is_ok()) {
        std::fprintf(stderr, "meridian restore: %s\n", st.message().c_str());
        return 2;
      }
    }
    std::string aliases = fs::join(from, "aliases.json");
    if (fs::exists(aliases) && (force || !fs::exists(fs::join(data, "aliases.json")))) {
      auto bytes = fs::read_file(aliases);
      Status st = bytes ? fs::write_file_atomic(fs::join(data, "aliases.json"), *bytes) : bytes.status();
      if (!st.is_ok()) {
        std::fprintf(stderr, "meridian restore: %s\n", st.message().c_str());
        return 2;
      }
    }
  }
  index::IndexOptions opt;
  opt.background = false;
  auto engine = index::Engine::open(data, opt);
  if (!engine) {
    std::fprintf(stderr, "meridian restore: %s\n", engine.status().message().c_str());
    return 2;
  }
  Json out = Json::array();
  for (const auto& n : names) {
    auto ix = (*engine)->get(n);
    if (!ix || !(*ix)->refresh().is_ok()) {
      std::fprintf(stderr, "meridian restore: index '%s' does not open after the restore\n", n.c_str());
      return 2;
    }
    Json e = Json::object();
    e.set("name", Json(n));
    e.set("docs", Json((*ix)->stats().docs));
    out.push(std::move(e));
  }
  Json res = Json::object();
  res.set("restored", std::move(out));
  std::printf("%s\n", res.dump().c_str());
  return (*engine)->close().is_ok() ? 0 : 2;
}

}  // namespace meridian::cli

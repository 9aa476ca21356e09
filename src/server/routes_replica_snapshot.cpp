// Rebuilding a replica from a peer over HTTP (docs/CLUSTER.md "Rebuilding a
// replica from a peer"): the peer's routes and the rebuilding node's client.
//   POST   /v1/cluster/snapshots                     {"index", "shard", "uid"}: a consistent
//          snapshot (Index::backup) of this node's replica into <data>/cluster/.snapshots/<id>/,
//          answered with its files (name, size, crc32c)
//   GET    /v1/cluster/snapshots/{id}/files/{name}  one file, streamed from disk
//   DELETE /v1/cluster/snapshots/{id}               removes the snapshot
// All three are admin routes between nodes; a snapshot left behind by a
// client that died is removed by the next POST once an hour old, and every
// snapshot at the node's start.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "meridian/base/file.h"
#include "server_impl.h"

namespace meridian::server {
namespace {

constexpr size_t kPiece = 256 << 10;  // bytes read (and sent) per step of a file transfer
constexpr int64_t kStaleSeconds = 3600;

bool valid_snapshot_id(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string new_snapshot_id() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) id += hex[rng() & 15];
  return id;
}

// Removes the snapshots older than kStaleSeconds (all with max_age 0).
void remove_stale(const std::string& root, int64_t max_age) {
  auto names = fs::list_dir(root);
  if (!names) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  for (const auto& n : *names) {
    struct stat sb;
    const std::string path = fs::join(root, n);
    if (::stat(path.c_str(), &sb) == 0 && now - static_cast<int64_t>(sb.st_mtime) >= max_age) (void)fs::remove_all(path);
  }
}

std::string url_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string error_of(const httplib::Response& r) {
  auto j = parse_json(r.body);
  if (j && j->is_object())
    if (const Json* e = j->find("error"); e && e->is_object())
      if (const Json* why = e->find("reason"); why && why->is_string()) return why->as_string();
  return "HTTP " + std::to_string(r.status);
}

}  // namespace

std::string ServerImpl::snapshot_root() const { return fs::join(fs::join(opt_.data_dir, "cluster"), ".snapshots"); }

Status fetch_replica_snapshot(const cluster::SnapshotRequest& req, const std::string& staging,
                              const std::string& master_key) {
  httplib::Client c(req.url);
  c.set_connection_timeout(std::chrono::seconds(2));
  c.set_read_timeout(std::chrono::seconds(60));  // the peer's Index::backup commits first
  c.set_write_timeout(std::chrono::seconds(10));
  httplib::Headers h;
  if (!master_key.empty()) h.emplace("Authorization", "Bearer " + master_key);
  const std::string what = "snapshot from " + req.node + " (" + req.url + ")";
  Json body(Json::Object{{"index", Json(req.index)}, {"shard", Json(static_cast<int64_t>(req.shard))},
                         {"uid", Json(req.uid)}});
  auto made = c.Post("/v1/cluster/snapshots", h, body.dump(), "application/json");
  if (!made) return Status::io_error(what + ": " + httplib::to_string(made.error()));
  if (made->status != 201) return Status::io_error(what + ": " + error_of(*made));
  auto parsed = parse_json(made->body);
  const Json* id = parsed && parsed->is_object() ? parsed->find("id") : nullptr;
  const Json* list = parsed && parsed->is_object() ? parsed->find("files") : nullptr;
  if (!id || !id->is_string() || !valid_snapshot_id(id->as_string()) || !list)
    return Status::corruption(what + ": unexpected answer");
  const std::string base = "/v1/cluster/snapshots/" + id->as_string();
  Status st;
  auto files = cluster::parse_snapshot_files(*list);
  if (!files) st = files.status().with_context(what);
  for (size_t i = 0; st && i < files->size(); ++i) {
    const auto& f = (*files)[i];
    auto staged = cluster::StagedFile::create(staging, f);
    if (!staged) {
      st = staged.status();
      break;
    }
    // Each piece goes to disk as it arrives: a file is never held in memory.
    Status written;
    int code = 0;
    auto got = c.Get(
        base + "/files/" + url_escape(f.name), h,
        [&](const httplib::Response& r) {
          code = r.status;
          return r.status == 200;
        },
        [&](const char* data, size_t n) {
          written = (*staged)->append(data, n);
          return written.is_ok();
        });
    if (!written) st = written;
    else if (!got && code != 0 && code != 200) st = Status::io_error(what + ": " + f.name + ": HTTP " + std::to_string(code));
    else if (!got) st = Status::io_error(what + ": " + f.name + ": " + httplib::to_string(got.error()));
    else if (got->status != 200) st = Status::io_error(what + ": " + f.name + ": HTTP " + std::to_string(got->status));
    else st = (*staged)->finish();
  }
  (void)c.Delete(base, h);  // the peer's copy goes either way (or ages out)
  if (st) st = fs::fsync_dir(staging);
  return st;
}

void ServerImpl::install_snapshot_routes() {
  (void)fs::remove_all(snapshot_root());  // nobody is copying from a node that just started
  route("POST", "/v1/cluster/snapshots", [this](const httplib::Request& req, httplib::Response& res) {
    if (!cluster_) return send_error(res, 404, "not in cluster mode");
    auto body = parse_body(req, res, false);
    if (!body) return;
    const Json* index = body->is_object() ? body->find("index") : nullptr;
    const Json* shard = body->is_object() ? body->find("shard") : nullptr;
    const Json* uid = body->is_object() ? body->find("uid") : nullptr;
    if (!index || !index->is_string() || !shard || !shard->is_int() || shard->as_int() < 0 ||
        shard->as_int() > int64_t{0xffffffff} || !uid || !uid->is_string())
      return send_error(res, 400, "request body: expected {\"index\": string, \"shard\": integer, \"uid\": string}");
    const std::string root = snapshot_root();
    remove_stale(root, kStaleSeconds);
    const std::string id = new_snapshot_id();
    const std::string dest = fs::join(fs::join(root, id), "replica");
    auto info = cluster_->snapshot_replica(index->as_string(), static_cast<uint32_t>(shard->as_int()),
                                           uid->as_string(), dest);
    if (!info) {
      (void)fs::remove_all(fs::join(root, id));
      return send_error(res, info.status());
    }
    auto files = cluster::list_snapshot_files(dest);
    if (!files) {
      (void)fs::remove_all(fs::join(root, id));
      return send_error(res, files.status());
    }
    uint64_t bytes = 0;
    for (const auto& f : *files) bytes += f.size;
    send_json(res, 201,
              Json(Json::Object{{"id", Json(id)},
                                {"index", Json(index->as_string())},
                                {"shard", Json(shard->as_int())},
                                {"files", cluster::snapshot_files_json(*files)},
                                {"bytes", Json(bytes)}})
                  .dump());
  });
  route("GET", "/v1/cluster/snapshots/{id}/files/{name}", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1], name = req.matches[2];
    if (!valid_snapshot_id(id) || !cluster::valid_snapshot_file_name(name))
      return send_error(res, 404, "no snapshot file '" + name + "' in '" + id + "'");
    const std::string path = fs::join(fs::join(fs::join(snapshot_root(), id), "replica"), name);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return send_error(res, 404, "no snapshot file '" + name + "' in '" + id + "'");
    struct stat sb;
    if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
      ::close(fd);
      return send_error(res, 404, "no snapshot file '" + name + "' in '" + id + "'");
    }
    if (sb.st_size == 0) {
      ::close(fd);
      res.status = 200;
      return res.set_content("", "application/octet-stream");
    }
    auto file = std::shared_ptr<int>(new int(fd), [](int* p) {
      ::close(*p);
      delete p;
    });
    res.status = 200;
    res.set_content_provider(static_cast<size_t>(sb.st_size), "application/octet-stream",
                             [file](size_t offset, size_t length, httplib::DataSink& sink) {
                               std::string buf(std::min(length, kPiece), '\0');
                               ssize_t n = ::pread(*file, buf.data(), buf.size(), static_cast<off_t>(offset));
                               if (n <= 0) return false;  // the connection ends short: the client sees it
                               return sink.write(buf.data(), static_cast<size_t>(n));
                             });
  });
  route("DELETE", "/v1/cluster/snapshots/{id}", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches[1];
    const std::string dir = fs::join(snapshot_root(), id);
    if (!valid_snapshot_id(id) || !fs::exists(dir)) return send_error(res, 404, "no snapshot '" + id + "'");
    Status st = fs::remove_all(dir);
    if (!st) return send_error(res, st);
    send_json(res, 200, Json(Json::Object{{"deleted", Json(id)}}).dump());
  });
}

}  // namespace meridian::server

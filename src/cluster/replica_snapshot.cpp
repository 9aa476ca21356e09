// Rebuilding a replica from a peer: file lists, staged files, the swap
// (replica_snapshot.h).
#include "meridian/cluster/replica_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "meridian/base/crc32c.h"
#include "meridian/base/file.h"
#include "meridian/cluster/replica_applier.h"

namespace meridian::cluster {
namespace {

constexpr size_t kPiece = 1 << 20;

Result<SnapshotFile> describe(const std::string& dir, const std::string& name) {
  const std::string path = fs::join(dir, name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io_error(path + ": " + std::strerror(errno));
  SnapshotFile f{name, 0, 0};
  std::string buf(kPiece, '\0');
  Status st;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Status::io_error(path + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) break;
    f.crc32c = crc32c::extend(f.crc32c, buf.data(), static_cast<size_t>(n));
    f.size += static_cast<uint64_t>(n);
  }
  ::close(fd);
  if (!st) return st;
  return f;
}

Status rename_dir(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return Status::io_error("rename " + from + " -> " + to + ": " + std::strerror(errno));
  return Status::ok();
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

}  // namespace

bool valid_snapshot_file_name(std::string_view name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

Result<std::vector<SnapshotFile>> list_snapshot_files(const std::string& dir) {
  MERIDIAN_ASSIGN_OR_RETURN(auto names, fs::list_dir(dir));
  std::sort(names.begin(), names.end());
  std::vector<SnapshotFile> out;
  for (const auto& n : names) {
    struct stat sb;
    const std::string path = fs::join(dir, n);
    if (::stat(path.c_str(), &sb) != 0) return Status::io_error(path + ": " + std::strerror(errno));
    if (!S_ISREG(sb.st_mode)) continue;
    MERIDIAN_ASSIGN_OR_RETURN(auto f, describe(dir, n));
    out.push_back(std::move(f));
  }
  return out;
}

Json snapshot_files_json(const std::vector<SnapshotFile>& files) {
  Json arr = Json::array();
  for (const auto& f : files)
    arr.push(Json(Json::Object{{"name", Json(f.name)}, {"size", Json(f.size)},
                               {"crc32c", Json(static_cast<int64_t>(f.crc32c))}}));
  return arr;
}

Result<std::vector<SnapshotFile>> parse_snapshot_files(const Json& j) {
  if (!j.is_array()) return Status::invalid("snapshot files: expected an array");
  std::vector<SnapshotFile> out;
  std::set<std::string> seen;
  for (const auto& e : j.as_array()) {
    const Json* name = e.is_object() ? e.find("name") : nullptr;
    const Json* size = e.is_object() ? e.find("size") : nullptr;
    const Json* crc = e.is_object() ? e.find("crc32c") : nullptr;
    if (!name || !name->is_string() || !size || !size->is_int() || size->as_int() < 0 || !crc || !crc->is_int() ||
        crc->as_int() < 0 || crc->as_int() > int64_t{0xffffffff})
      return Status::invalid("snapshot files: expected {\"name\", \"size\", \"crc32c\"} entries");
    if (!valid_snapshot_file_name(name->as_string()))
      return Status::invalid("snapshot files: bad file name '" + name->as_string() + "'");
    if (!seen.insert(name->as_string()).second)
      return Status::invalid("snapshot files: '" + name->as_string() + "' listed twice");
    out.push_back({name->as_string(), static_cast<uint64_t>(size->as_int()), static_cast<uint32_t>(crc->as_int())});
  }
  return out;
}

Result<std::unique_ptr<StagedFile>> StagedFile::create(const std::string& dir, const SnapshotFile& want) {
  if (!valid_snapshot_file_name(want.name)) return Status::invalid("snapshot file: bad name '" + want.name + "'");
  std::string path = fs::join(dir, want.name);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error(path + ": " + std::strerror(errno));
  return std::unique_ptr<StagedFile>(new StagedFile(fd, std::move(path), want));
}

StagedFile::~StagedFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status StagedFile::append(const char* data, size_t n) {
  if (fd_ < 0) return Status::invalid(path_ + ": already finished");
  if (size_ + n > want_.size)
    return Status::corruption(path_ + ": more than the " + std::to_string(want_.size) + " bytes listed");
  MERIDIAN_RETURN_IF_ERROR(fs::write_all(fd_, std::string_view(data, n), path_));
  crc_ = crc32c::extend(crc_, data, n);
  size_ += n;
  return Status::ok();
}

Status StagedFile::finish() {
  if (fd_ < 0) return Status::invalid(path_ + ": already finished");
  Status st;
  if (size_ != want_.size)
    st = Status::corruption(path_ + ": " + std::to_string(size_) + " bytes received, " + std::to_string(want_.size) +
                            " listed");
  else if (crc_ != want_.crc32c)
    st = Status::corruption(path_ + ": checksum mismatch (the copy differs from the peer's file)");
  else if (::fsync(fd_) != 0)
    st = Status::io_error(path_ + ": fsync: " + std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  return st;
}

Result<uint64_t> staged_log_sequence(const std::string& dir, const std::string& name, const index::IndexOptions& opt,
                                     const index::Schema& schema) {
  if (!fs::exists(dir)) return Status::not_found(dir + ": no staged replica");
  auto ix = index::Index::open(dir, name, opt, &schema);
  if (!ix) return Status::corruption("staged replica " + dir + ": " + ix.status().message());
  auto seq = stored_log_sequence(**ix);
  Status closed = (*ix)->close();
  if (!seq) return seq.status();
  if (!closed) return closed;
  return *seq;
}

std::string staging_dir_of(const std::string& live) { return live + ".rebuild"; }
std::string old_dir_of(const std::string& live) { return live + ".old"; }

Status swap_in_staged(const std::string& staging, const std::string& live) {
  const std::string old = old_dir_of(live);
  MERIDIAN_RETURN_IF_ERROR(fs::remove_all(old));
  const bool had_live = fs::exists(live);
  if (had_live) MERIDIAN_RETURN_IF_ERROR(rename_dir(live, old));
  Status st = rename_dir(staging, live);
  if (!st && had_live) (void)rename_dir(old, live);
  if (st) st = fs::fsync_dir(parent_of(live));
  return st;
}

Status discard_old(const std::string& live) { return fs::remove_all(old_dir_of(live)); }

Status restore_old(const std::string& live) {
  MERIDIAN_RETURN_IF_ERROR(fs::remove_all(live));
  if (fs::exists(old_dir_of(live))) MERIDIAN_RETURN_IF_ERROR(rename_dir(old_dir_of(live), live));
  return fs::fsync_dir(parent_of(live));
}

Status recover_replica_dir(const std::string& live) {
  if (!fs::exists(live) && fs::exists(old_dir_of(live))) MERIDIAN_RETURN_IF_ERROR(rename_dir(old_dir_of(live), live));
  MERIDIAN_RETURN_IF_ERROR(fs::remove_all(old_dir_of(live)));
  return fs::remove_all(staging_dir_of(live));
}

}  // namespace meridian::cluster

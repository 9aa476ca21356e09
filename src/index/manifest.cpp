#include "meridian/index/manifest.h"

#include <algorithm>
#include <cstdio>

#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"

namespace meridian::index {
namespace {

constexpr uint32_t kMagic = fourcc("MMAN");

std::string manifest_name(uint64_t gen) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "MANIFEST-%020llu", static_cast<unsigned long long>(gen));
  return buf;
}

Result<uint64_t> get_u64(const Json& j, std::string_view key, const std::string& name) {
  const Json* v = j.find(key);
  if (!v || !v->is_int() || v->as_int() < 0) return Status::corruption(name + ": missing or bad '" + std::string(key) + "'");
  return static_cast<uint64_t>(v->as_int());
}

}  // namespace

std::string deletes_file(const std::string& dir, uint64_t segment_id, uint64_t gen) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "seg-%010llu.%llu.del", static_cast<unsigned long long>(segment_id),
                static_cast<unsigned long long>(gen));
  return fs::join(dir, buf);
}

std::string Manifest::encode() const {
  Json j;
  j.set("generation", static_cast<int64_t>(generation));
  j.set("last_seq", static_cast<int64_t>(last_seq));
  j.set("next_segment_id", static_cast<int64_t>(next_segment_id));
  j.set("schema", schema);
  Json segs = Json::array();
  for (const auto& s : segments) {
    Json o;
    o.set("id", static_cast<int64_t>(s.id));
    o.set("docs", static_cast<int64_t>(s.docs));
    o.set("deleted", static_cast<int64_t>(s.deleted));
    o.set("del_gen", static_cast<int64_t>(s.del_gen));
    segs.push(std::move(o));
  }
  j.set("segments", std::move(segs));
  Json src = Json::object();
  for (const auto& [k, v] : sources) src.set(k, v);
  j.set("sources", std::move(src));
  return frame_file(kMagic, kManifestVersion, j.dump());
}

Result<Manifest> Manifest::decode(std::string_view file, const std::string& name) {
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo fi, unframe_file(file, kMagic, 1, kManifestVersion, name));
  auto j = parse_json(fi.body);
  if (!j) return Status::corruption(name + ": " + j.status().message());
  Manifest m;
  MERIDIAN_ASSIGN_OR_RETURN(m.generation, get_u64(*j, "generation", name));
  MERIDIAN_ASSIGN_OR_RETURN(m.last_seq, get_u64(*j, "last_seq", name));
  MERIDIAN_ASSIGN_OR_RETURN(m.next_segment_id, get_u64(*j, "next_segment_id", name));
  if (const Json* s = j->find("schema")) m.schema = *s;
  const Json* segs = j->find("segments");
  if (!segs || !segs->is_array()) return Status::corruption(name + ": missing 'segments'");
  for (const auto& o : segs->as_array()) {
    ManifestSegment s;
    MERIDIAN_ASSIGN_OR_RETURN(s.id, get_u64(o, "id", name));
    MERIDIAN_ASSIGN_OR_RETURN(uint64_t docs, get_u64(o, "docs", name));
    MERIDIAN_ASSIGN_OR_RETURN(uint64_t deleted, get_u64(o, "deleted", name));
    MERIDIAN_ASSIGN_OR_RETURN(s.del_gen, get_u64(o, "del_gen", name));
    s.docs = static_cast<uint32_t>(docs);
    s.deleted = static_cast<uint32_t>(deleted);
    m.segments.push_back(s);
  }
  if (const Json* src = j->find("sources"); src && src->is_object())
    for (const auto& [k, v] : src->as_object())
      if (v.is_string()) m.sources[k] = v.as_string();
  return m;
}

Status publish_manifest(const std::string& dir, const Manifest& m) {
  MERIDIAN_RETURN_IF_ERROR(fs::write_file_atomic(fs::join(dir, manifest_name(m.generation)), m.encode()));
  MERIDIAN_ASSIGN_OR_RETURN(auto names, fs::list_dir(dir));
  for (const auto& n : names) {
    unsigned long long g;
    if (n.size() == 29 && std::sscanf(n.c_str(), "MANIFEST-%20llu", &g) == 1 && g + 1 < m.generation)
      MERIDIAN_RETURN_IF_ERROR(fs::remove_file(fs::join(dir, n)));
  }
  return Status::ok();
}

Result<Manifest> load_manifest(const std::string& dir, std::vector<std::string>* skipped) {
  MERIDIAN_ASSIGN_OR_RETURN(auto names, fs::list_dir(dir));
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const auto& n : names) {
    unsigned long long g;
    if (n.size() == 29 && std::sscanf(n.c_str(), "MANIFEST-%20llu", &g) == 1) found.emplace_back(g, n);
  }
  if (found.empty()) return Status::not_found("no manifest in " + dir);
  // Manifests are published by atomic rename, so the newest one is never
  // half-written: if it fails its checks the disk damaged it, and falling
  // back to an older one would silently drop acknowledged writes. Refuse.
  auto newest = *std::max_element(found.begin(), found.end());
  std::string path = fs::join(dir, newest.second);
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(path));
  auto m = Manifest::decode(bytes, path);
  if (!m) return m.status();
  if (m->generation != newest.first) return Status::corruption(path + ": generation mismatch");
  (void)skipped;
  return m;
}

}  // namespace meridian::index

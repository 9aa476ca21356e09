// Manifest: the committed state of an index: which segments (and which
// generation of each segment's deletes file) make it up, the schema, the
// last WAL sequence number the segments contain, and the positions of CDC
// sources. A commit writes MANIFEST-<generation> (temp file, fsync, rename,
// fsync directory); recovery loads the newest one that passes its checks.
// Format: docs/FORMAT.md, "Manifest".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::index {

constexpr uint32_t kManifestVersion = 1;

struct ManifestSegment {
  uint64_t id = 0;
  uint32_t docs = 0;
  uint32_t deleted = 0;
  uint64_t del_gen = 0;  // 0: no deletes file
};

struct Manifest {
  uint64_t generation = 0;
  uint64_t last_seq = 0;         // every WAL record <= last_seq is in the segments
  uint64_t next_segment_id = 1;
  Json schema;                   // Schema::to_json()
  std::vector<ManifestSegment> segments;
  std::map<std::string, std::string> sources;  // CDC source name -> position

  std::string encode() const;
  static Result<Manifest> decode(std::string_view file, const std::string& name);
};

// Writes MANIFEST-<m.generation> durably and removes manifests older than
// the previous one.
Status publish_manifest(const std::string& dir, const Manifest& m);
// Loads the newest manifest; NotFound if there is none, Corruption (naming
// the file) if the newest one is damaged: never an older one silently.
Result<Manifest> load_manifest(const std::string& dir, std::vector<std::string>* skipped = nullptr);

// Deletes-file name for a segment generation: seg-<id>.<gen>.del
std::string deletes_file(const std::string& dir, uint64_t segment_id, uint64_t gen);

}  // namespace meridian::index

#include "meridian/index/manifest.h"

#include <doctest/doctest.h>

#include "../test_util.h"
#include "meridian/base/file.h"

using namespace meridian;
using namespace meridian::index;

TEST_CASE("manifest: the newest published manifest is loaded and old ones pruned") {
  TempDir dir;
  for (uint64_t g = 1; g <= 4; ++g) {
    Manifest m;
    m.generation = g;
    m.last_seq = g * 10;
    m.next_segment_id = g + 1;
    m.segments.push_back(ManifestSegment{g, 100, 3, g});
    m.sources["pg"] = "0/16B3748";
    REQUIRE(publish_manifest(dir.path(), m).is_ok());
  }
  auto m = load_manifest(dir.path());
  REQUIRE(m.is_ok());
  CHECK(m->generation == 4);
  CHECK(m->last_seq == 40);
  CHECK(m->segments.size() == 1);
  CHECK(m->segments[0].deleted == 3);
  CHECK(m->sources.at("pg") == "0/16B3748");
  auto names = *fs::list_dir(dir.path());
  CHECK(names.size() == 2);  // generations 3 and 4
}

TEST_CASE("manifest: a damaged newest manifest is reported by name, never silently replaced") {
  TempDir dir;
  for (uint64_t g = 1; g <= 2; ++g) {
    Manifest m;
    m.generation = g;
    REQUIRE(publish_manifest(dir.path(), m).is_ok());
  }
  std::string newest = fs::join(dir.path(), "MANIFEST-00000000000000000002");
  std::string data = *fs::read_file(newest);
  data[40] ^= 1;
  REQUIRE(fs::write_file_atomic(newest, data).is_ok());
  auto m = load_manifest(dir.path());
  REQUIRE_FALSE(m.is_ok());
  CHECK(m.status().code() == Status::Code::kCorruption);
  CHECK(m.status().message().find("MANIFEST-00000000000000000002") != std::string::npos);
}

TEST_CASE("manifest: an empty directory has none") {
  TempDir dir;
  CHECK(load_manifest(dir.path()).status().code() == Status::Code::kNotFound);
}

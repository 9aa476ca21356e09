#include "meridian/base/file.h"
#include "meridian/base/file_frame.h"
#include "meridian/base/mapped_file.h"

#include <doctest/doctest.h>

#include "../test_util.h"

using namespace meridian;

TEST_CASE("file: atomic write then read back and map") {
  TempDir dir;
  std::string p = fs::join(dir.path(), "a.bin");
  REQUIRE(fs::write_file_atomic(p, "hello").is_ok());
  CHECK(*fs::read_file(p) == "hello");
  REQUIRE(fs::write_file_atomic(p, "world!").is_ok());
  auto m = MappedFile::open(p);
  REQUIRE(m.is_ok());
  CHECK((*m)->data() == "world!");
  CHECK_FALSE(fs::exists(p + ".tmp"));
}

TEST_CASE("file: missing file is NotFound") {
  auto r = fs::read_file("/nonexistent/meridian/x");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == Status::Code::kNotFound);
}

TEST_CASE("file: a second lock on the same file is refused") {
  TempDir dir;
  std::string p = fs::join(dir.path(), "LOCK");
  auto a = fs::LockFile::acquire(p);
  REQUIRE(a.is_ok());
  auto b = fs::LockFile::acquire(p);
  REQUIRE_FALSE(b.is_ok());
  CHECK(b.status().code() == Status::Code::kBusy);
}

TEST_CASE("file frame: round-trips and detects truncation, bit flips and wrong magic") {
  const uint32_t magic = fourcc("TEST");
  std::string f = frame_file(magic, 1, "payload bytes");
  auto ok = unframe_file(f, magic, 1, 1, "t.bin");
  REQUIRE(ok.is_ok());
  CHECK(ok->body == "payload bytes");
  CHECK(ok->version == 1);
  CHECK_FALSE(unframe_file(f.substr(0, f.size() - 1), magic, 1, 1, "t.bin").is_ok());
  CHECK_FALSE(unframe_file(f, fourcc("NOPE"), 1, 1, "t.bin").is_ok());
  CHECK_FALSE(unframe_file(f, magic, 2, 3, "t.bin").is_ok());
  for (size_t i = 0; i < f.size(); ++i) {
    std::string g = f;
    g[i] = static_cast<char>(g[i] ^ 0x10);
    auto r = unframe_file(g, magic, 1, 1, "t.bin");
    CHECK_FALSE(r.is_ok());
    if (!r.is_ok()) CHECK(r.status().message().find("t.bin") != std::string::npos);
  }
}

#include <doctest/doctest.h>

#include "../test_util.h"
#include "meridian/base/file.h"
#include "meridian/cdc/source_config.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {
Json J(const char* s) { return *parse_json(s); }
}  // namespace

TEST_CASE("sources: a postgres config gets defaults and validates") {
  auto c = SourceConfig::from_json("items", "pg", J(R"({"type":"postgres","dsn":"host=h password=secret","table":"items","id_column":"sku"})"));
  REQUIRE_MESSAGE(c.is_ok(), c.status().message());
  CHECK(c->table == "public.items");
  CHECK(c->slot == "meridian_items_pg");
  CHECK(c->publication == "meridian_items_pg");
  CHECK(c->mapping.id_column() == "sku");
  CHECK(c->position_key() == "postgres:pg");
  CHECK(c->to_json(true).find("dsn")->as_string() == "host=h password=***");
  for (const char* bad : {R"({"type":"postgres","table":"t"})", R"({"type":"postgres","dsn":"x"})", R"({"type":"mysql"})",
                          R"({"type":"postgres","dsn":"x","table":"t","slot":"Bad-Slot"})", R"({"type":"debezium","bogus":1})",
                          R"({"type":"debezium","mapping":{"columns":5}})", "[]"}) {
    CAPTURE(bad);
    CHECK_FALSE(SourceConfig::from_json("items", "pg", J(bad)).is_ok());
  }
  CHECK_FALSE(SourceConfig::from_json("items", "Bad Name", J(R"({"type":"debezium"})")).is_ok());
  CHECK(redact_dsn("postgres://u:pw@h/db") == "postgres://u:***@h/db");
}

TEST_CASE("sources: the registry persists atomically and detects damage") {
  TempDir dir;
  std::string path = fs::join(dir.path(), "sources.json");
  {
    auto reg = SourceRegistry::open(path);
    REQUIRE(reg.is_ok());
    auto a = SourceConfig::from_json("i1", "a", J(R"({"type":"debezium","id_column":"k"})"));
    auto b = SourceConfig::from_json("i2", "b", J(R"({"type":"postgres","dsn":"host=x","table":"s.t"})"));
    REQUIRE((*reg)->put(*a).is_ok());
    REQUIRE((*reg)->put(*b).is_ok());
    CHECK((*reg)->remove("i1", "zz").code() == Status::Code::kNotFound);
  }
  auto again = SourceRegistry::open(path);
  REQUIRE(again.is_ok());
  REQUIRE((*again)->list().size() == 2);
  CHECK((*again)->get("i1", "a")->mapping.id_column() == "k");
  CHECK((*again)->get("i2", "b")->dsn == "host=x");
  REQUIRE((*again)->remove("i1", "a").is_ok());
  CHECK((*SourceRegistry::open(path))->list().size() == 1);

  std::string bytes = *fs::read_file(path);
  for (size_t i : {size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    std::string bad = bytes;
    bad[i] ^= 0x10;
    REQUIRE(fs::write_file_atomic(path, bad).is_ok());
    auto r = SourceRegistry::open(path);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == Status::Code::kCorruption);
    CHECK(r.status().message().find("sources.json") != std::string::npos);
  }
  REQUIRE(fs::write_file_atomic(path, bytes.substr(0, bytes.size() - 3)).is_ok());
  CHECK_FALSE(SourceRegistry::open(path).is_ok());
}

#include <doctest/doctest.h>

#include "meridian/base/file.h"
#include "meridian/server/key_store.h"
#include "meridian/server/sha256.h"
#include "../test_util.h"

using namespace meridian;
using namespace meridian::server;

TEST_CASE("sha256: FIPS 180-4 test vectors, including block-boundary lengths") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(sha256_hex(std::string(55, 'a')) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(sha256_hex(std::string(56, 'a')) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(sha256_hex(std::string(64, 'a')) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("auth: constant_time_equal compares content and length") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(random_hex(16).size() == 32);
  CHECK(random_hex(16) != random_hex(16));
}

TEST_CASE("auth: index patterns are exact, prefix* or *") {
  CHECK(index_pattern_matches("*", "anything"));
  CHECK(index_pattern_matches("cities*", "cities"));
  CHECK(index_pattern_matches("cities*", "cities-2024"));
  CHECK_FALSE(index_pattern_matches("cities*", "towns"));
  CHECK(index_pattern_matches("logs", "logs"));
  CHECK_FALSE(index_pattern_matches("logs", "logs2"));
}

TEST_CASE("auth: scopes: admin allows all, search and write are separate, patterns restrict") {
  ApiKey k;
  k.scopes = {Scope::kSearch};
  k.indexes = {"cities*"};
  CHECK(k.allows(Scope::kSearch, "cities"));
  CHECK_FALSE(k.allows(Scope::kSearch, "towns"));
  CHECK_FALSE(k.allows(Scope::kWrite, "cities"));
  CHECK_FALSE(k.allows(Scope::kAdmin, ""));
  CHECK(k.allows(Scope::kSearch, ""));  // index-less reads (list, analyze)
  ApiKey a;
  a.scopes = {Scope::kAdmin};
  a.indexes = {"*"};
  CHECK(a.allows(Scope::kWrite, "x"));
  CHECK(a.allows(Scope::kAdmin, ""));
  ApiKey limited_admin;
  limited_admin.scopes = {Scope::kAdmin};
  limited_admin.indexes = {"a*"};
  CHECK(limited_admin.allows(Scope::kAdmin, "abc"));
  CHECK_FALSE(limited_admin.allows(Scope::kAdmin, ""));  // key management needs admin on "*"
}

TEST_CASE("auth: a refusal says whether the scope or the index pattern is missing") {
  ApiKey k;
  k.scopes = {Scope::kSearch};
  k.indexes = {"cities*", "logs"};
  CHECK(k.denial(Scope::kSearch, "cities-2024") == "");
  CHECK(k.denial(Scope::kSearch, "towns") == "this key's index patterns [\"cities*\", \"logs\"] do not cover index 'towns'");
  CHECK(k.denial(Scope::kWrite, "cities") == "this key lacks the 'write' scope (it has: search)");
  CHECK(k.denial(Scope::kAdmin, "") == "this key lacks the 'admin' scope (it has: search)");
  ApiKey a;
  a.scopes = {Scope::kAdmin};
  a.indexes = {"cities"};
  CHECK(a.denial(Scope::kAdmin, "").find("do not cover every index") != std::string::npos);
  Principal p;
  p.key = k;
  CHECK(p.denial(Scope::kSearch, "towns").find("do not cover index 'towns'") != std::string::npos);
}

TEST_CASE("auth: keys are stored only as hashes, survive a reopen, and can be revoked") {
  TempDir dir;
  std::string path = fs::join(dir.path(), "keys.json");
  std::string master = "master-key-0123456789";
  std::string secret, id;
  {
    auto ks = KeyStore::open(path, master);
    REQUIRE(ks.is_ok());
    CHECK((*ks)->enabled());
    auto m = (*ks)->authenticate("Bearer " + master);
    REQUIRE(m.has_value());
    CHECK(m->master);
    CHECK_FALSE((*ks)->authenticate("Bearer wrong").has_value());
    CHECK_FALSE((*ks)->authenticate(master).has_value());  // no "Bearer "
    auto k = (*ks)->create(*parse_json(R"({"name":"app","scopes":["search"],"indexes":["cities*"]})"));
    REQUIRE(k.is_ok());
    secret = k->find("key")->as_string();
    id = k->find("id")->as_string();
    CHECK((*ks)->create(*parse_json(R"({"scopes":["root"]})")).status().code() == Status::Code::kInvalidArgument);
    CHECK((*ks)->create(*parse_json(R"({"scopes":[]})")).status().code() == Status::Code::kInvalidArgument);
    CHECK((*ks)->create(*parse_json(R"({"scopes":["search"],"oops":1})")).status().code() ==
          Status::Code::kInvalidArgument);
  }
  auto bytes = fs::read_file(path);
  REQUIRE(bytes.is_ok());
  CHECK(bytes->find(secret) == std::string::npos);
  CHECK(bytes->find(master) == std::string::npos);
  CHECK(bytes->find(sha256_hex(secret)) != std::string::npos);

  auto ks = KeyStore::open(path, master);
  REQUIRE(ks.is_ok());
  auto p = (*ks)->authenticate("Bearer " + secret);
  REQUIRE(p.has_value());
  CHECK_FALSE(p->master);
  CHECK(p->id() == id);
  CHECK(p->allows(Scope::kSearch, "cities"));
  CHECK_FALSE(p->allows(Scope::kWrite, "cities"));
  CHECK((*ks)->list().size() == 1);
  CHECK((*ks)->remove(id).is_ok());
  CHECK((*ks)->remove(id).code() == Status::Code::kNotFound);
  CHECK_FALSE((*ks)->authenticate("Bearer " + secret).has_value());
}

TEST_CASE("auth: a damaged keys.json is reported as corruption naming the file") {
  TempDir dir;
  std::string path = fs::join(dir.path(), "keys.json");
  {
    auto ks = KeyStore::open(path, "master-key-0123456789");
    REQUIRE(ks.is_ok());
    REQUIRE((*ks)->create(*parse_json(R"({"scopes":["admin"]})")).is_ok());
  }
  auto bytes = *fs::read_file(path);
  SUBCASE("bit flip") { bytes[40] ^= 0x10; }
  SUBCASE("truncated") { bytes.resize(bytes.size() - 5); }
  REQUIRE(fs::write_file_atomic(path, bytes).is_ok());
  auto ks = KeyStore::open(path, "master-key-0123456789");
  REQUIRE_FALSE(ks.is_ok());
  CHECK(ks.status().code() == Status::Code::kCorruption);
  CHECK(ks.status().message().find("keys.json") != std::string::npos);
}

TEST_CASE("auth: without a master key auth is disabled") {
  auto ks = KeyStore::open("", "");
  REQUIRE(ks.is_ok());
  CHECK_FALSE((*ks)->enabled());
  CHECK_FALSE((*ks)->authenticate("Bearer ").has_value());
}

// Format stability: a store file written by format version 1, kept as bytes
// (zstd output may differ between zstd versions, so only reading is pinned).
#include <doctest/doctest.h>

#include <string>

#include "meridian/store/store_reader.h"

using namespace meridian::store;

namespace {

std::string unhex(const char* h) {
  std::string out;
  for (size_t i = 0; h[i] && h[i + 1]; i += 2) out.push_back(static_cast<char>(std::stoi(std::string(h + i, 2), nullptr, 16)));
  return out;
}

const char* kV1 =
      "4d53544f010000004b00000000000000000000000000000000000000000000000128b52ffd206e8d0000580700647b22"
      "61223a317d7a010020055e000000006e00000000000000000000001b000000afaa717403000000010000001b00000000"
      "000000b0268d9600000000be36fbaf4d454e444b00000000000000";

}  // namespace

TEST_CASE("store format: a version 1 file written earlier reads back") {
  std::string file = unhex(kV1);
  auto r = StoreReader::open(file, "v1.sto");
  REQUIRE(r.is_ok());
  CHECK(r->verify().is_ok());
  REQUIRE(r->num_docs() == 3);
  CHECK(*r->get(0) == "{\"a\":1}");
  CHECK(*r->get(1) == "");
  CHECK(*r->get(2) == std::string(100, 'z'));
}

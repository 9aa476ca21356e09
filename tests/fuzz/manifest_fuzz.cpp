// Fuzz target: the manifest (index/manifest.h): a whole MANIFEST-G file,
// its frame and JSON body, the schema it carries and the CDC source
// positions it records. Every input runs twice: as given, and with the frame
// CRC recomputed (fuzz_util.h), so that mutations of the JSON reach decode().
// Contract: errors are Corruption naming the file; a decoded manifest's
// schema either loads or fails with a Status; encode() of a decoded
// manifest decodes to the same manifest; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_util.h"
#include "meridian/cdc/position.h"
#include "meridian/index/manifest.h"
#include "meridian/index/schema.h"

using namespace meridian;
using namespace meridian::index;

namespace {

constexpr char kName[] = "MANIFEST-00000000000000000001";

void run(std::string_view bytes) {
  using C = Status::Code;
  auto m = Manifest::decode(bytes, kName);
  if (!fuzz::check_result(m, {C::kCorruption}, kName)) return;
  (void)fuzz::check_result(Schema::from_json(m->schema), {C::kInvalidArgument, C::kAlreadyExists});
  for (const auto& [name, pos] : m->sources)
    (void)fuzz::check_result(cdc::SourcePosition::parse(pos), {C::kInvalidArgument});
  std::string again = m->encode();
  auto back = Manifest::decode(again, kName);
  if (!back.is_ok() || back->encode() != again) {
    std::fprintf(stderr, "manifest: encode() does not decode back: %s\n", back.status().message().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  run(bytes);
  fuzz::fix_frame(&bytes);
  run(bytes);
  return 0;
}

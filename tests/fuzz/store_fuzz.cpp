// Fuzz target: the store reader (store/store_reader.h) on a whole
// seg-N.store file: block index, raw and zstd blocks, document lengths.
// Every input runs twice: as given, and with its checksums recomputed
// (fuzz_util.h). Exercised: open, get() of every document (bounded) twice
// (the second read comes from the caches), a document past the end, verify.
// Contract: errors are Corruption (NotFound past the end) naming the file;
// never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "meridian/store/store_reader.h"

using namespace meridian;
using namespace meridian::store;

namespace {

constexpr char kName[] = "fuzz.store";

void run(std::string_view bytes) {
  using C = Status::Code;
  fuzz::AlignedCopy file(bytes);
  auto r = StoreReader::open(file.view(), kName);
  if (!fuzz::check_result(r, {C::kCorruption}, kName)) return;
  uint32_t docs = std::min<uint32_t>(r->num_docs(), 2048);
  for (int pass = 0; pass < 2; ++pass)
    for (uint32_t d = 0; d < docs; ++d) (void)fuzz::check_result(r->get(d), {C::kCorruption}, kName);
  auto past = r->get(r->num_docs());
  if (past.is_ok() || past.status().code() != Status::Code::kNotFound) {
    std::fprintf(stderr, "store: a document past the end did not give NotFound\n");
    std::abort();
  }
  fuzz::check_status(r->verify(), {C::kCorruption}, kName);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  run(bytes);
  fuzz::fix_store_crcs(&bytes);
  run(bytes);
  return 0;
}

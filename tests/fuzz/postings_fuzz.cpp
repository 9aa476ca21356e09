// Fuzz target: the postings reader (postings/postings_reader.h) on a whole
// seg-N.post file, format versions 1 and 2. Every input runs twice: as given,
// and with its checksums recomputed (fuzz_util.h). Exercised: open, every
// term by offset (with a right, a wrong and no ordinal hint), cursors walked
// with next / next_geq / freq / positions / block bounds, verify_all.
// Contract: errors are Corruption naming the file; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "meridian/postings/postings_reader.h"

using namespace meridian;
using namespace meridian::postings;

namespace {

constexpr char kName[] = "fuzz.post";

void walk(const TermPostings& t) {
  PostingCursor c = t.cursor();
  uint32_t n = 0;
  for (uint32_t d = c.next(); d != PostingCursor::kEnd && n < 4096; d = c.next(), ++n) {
    (void)c.freq();
    (void)c.positions();
    (void)c.block_max_tf();
  }
  PostingCursor g = t.cursor();
  for (uint32_t target = 0; target != PostingCursor::kEnd && n < 8192; ++n) {
    g.shallow_advance(target);
    (void)g.block_last_doc();
    (void)g.block_min_len();
    uint32_t d = g.next_geq(target);
    if (d == PostingCursor::kEnd) break;
    (void)g.freq();
    target = d + 1 + (d % 7) * 50;
  }
  (void)t.docs().cardinality();
}

void run(std::string_view bytes) {
  using C = Status::Code;
  fuzz::AlignedCopy file(bytes);
  auto r = PostingsReader::open(file.view(), kName);
  if (!fuzz::check_result(r, {C::kCorruption}, kName)) return;
  // Record offsets from the term index, read the way the writer laid it out.
  uint64_t count = r->term_count();
  std::string_view body = file.view().substr(32, file.view().size() - 48);
  uint64_t index_off = 0;
  if (body.size() >= 24) std::memcpy(&index_off, body.data() + body.size() - 16, 8);
  for (uint64_t i = 0; i < count && i < 256; ++i) {
    uint64_t off = 0;
    if (index_off + 8 * (i + 1) <= body.size()) std::memcpy(&off, body.data() + index_off + 8 * i, 8);
    for (uint64_t hint : {i, i + 1, UINT64_MAX}) {
      auto t = r->term(off, hint);
      if (fuzz::check_result(t, {C::kCorruption, C::kNotFound}, kName)) walk(*t);
    }
  }
  (void)fuzz::check_result(r->term(1, 0), {C::kCorruption, C::kNotFound}, kName);
  fuzz::check_status(r->verify_all(), {C::kCorruption}, kName);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  run(bytes);
  fuzz::fix_postings_crcs(&bytes);
  run(bytes);
  return 0;
}

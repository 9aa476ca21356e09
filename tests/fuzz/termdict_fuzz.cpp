// Fuzz target: the term dictionary reader (termdict/term_dict_reader.h) on a
// whole seg-N.terms file. Every input runs twice: as given, and with its
// checksums recomputed (fuzz_util.h) so that mutations reach the structural
// checks. Exercised: open, full iteration, lookups and seeks of the terms
// seen (and of neighbours), prefix walks, verify_all.
// Contract: errors are Corruption naming the file; never a crash, never a
// term out of order.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "meridian/termdict/term_dict_reader.h"

using namespace meridian;
using namespace meridian::termdict;

namespace {

constexpr char kName[] = "fuzz.terms";

void fail(const char* what) {
  std::fprintf(stderr, "termdict: %s\n", what);
  std::abort();
}

void run(std::string_view bytes) {
  using C = Status::Code;
  fuzz::AlignedCopy file(bytes);
  auto r = TermDictReader::open(file.view(), kName);
  if (!fuzz::check_result(r, {C::kCorruption}, kName)) return;
  std::vector<std::string> seen;
  auto it = r->begin();
  std::string prev;
  for (size_t n = 0; it.valid() && n < 100000; it.next(), ++n) {
    if (n > 0 && std::string(it.term()) <= prev) fail("iteration out of order");
    prev = std::string(it.term());
    if (seen.size() < 64) seen.push_back(prev);
  }
  fuzz::check_status(it.status(), {C::kCorruption}, kName);
  for (const std::string& t : seen) {
    auto f = r->find(t);
    if (fuzz::check_result(f, {C::kCorruption}, kName) && !f->has_value()) fail("an iterated term is not found");
    auto lb = r->lower_bound(t + '\x01');
    fuzz::check_status(lb.status(), {C::kCorruption}, kName);
    it = r->begin();
    it.seek(t.substr(0, t.size() / 2));
    fuzz::check_status(it.status(), {C::kCorruption}, kName);
    size_t calls = 0;
    fuzz::check_status(r->for_each_prefix(t.substr(0, 1), [&](std::string_view, uint64_t) { return ++calls < 100; }),
                       {C::kCorruption}, kName);
  }
  (void)fuzz::check_result(r->find(""), {C::kCorruption}, kName);
  (void)fuzz::check_result(r->find("\xff\xff"), {C::kCorruption}, kName);
  fuzz::check_status(r->verify_all(), {C::kCorruption}, kName);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  run(bytes);
  fuzz::fix_termdict_crcs(&bytes);
  run(bytes);
  return 0;
}

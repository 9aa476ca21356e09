// Fuzz target: the columns reader (columns/columns_reader.h) on a whole
// seg-N.cols file. Every input runs twice: as given, and with its checksums
// recomputed (fuzz_util.h). Exercised: open, every column of the table
// through its typed accessor, every document's values (bounded), keyword
// dictionary lookups, column_status, verify.
// Contract: errors are Corruption naming the file; a damaged column reads as
// absent; never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "meridian/columns/columns_reader.h"

using namespace meridian;
using namespace meridian::columns;

namespace {

constexpr char kName[] = "fuzz.cols";

void read_column(const ColumnsReader& r, const ColumnInfo& c, uint32_t docs) {
  switch (c.kind) {
    case ColumnKind::kInt:
      if (auto* v = r.int_column(c.field))
        for (uint32_t d = 0; d < docs; ++d)
          for (size_t i = 0; i < v->count(d) && i < 16; ++i) (void)v->value(d, i);
      break;
    case ColumnKind::kDouble:
      if (auto* v = r.double_column(c.field))
        for (uint32_t d = 0; d < docs; ++d)
          for (size_t i = 0; i < v->count(d) && i < 16; ++i) (void)v->value(d, i);
      break;
    case ColumnKind::kKeyword:
      if (auto* v = r.keyword_column(c.field)) {
        for (uint32_t d = 0; d < docs; ++d)
          for (size_t i = 0; i < v->count(d) && i < 16; ++i) {
            std::string_view s = v->value_of(v->ord(d, i));
            (void)v->find(s);
          }
        (void)v->find("");
        (void)v->find("zzzz");
      }
      break;
    case ColumnKind::kGeo:
      if (auto* v = r.geo_column(c.field))
        for (uint32_t d = 0; d < docs; ++d)
          for (size_t i = 0; i < v->count(d) && i < 16; ++i) (void)(v->lat(d, i) + v->lon(d, i));
      break;
    case ColumnKind::kNorms:
      if (auto* v = r.norms(c.field))
        for (uint32_t d = 0; d < docs; ++d) (void)v->length(d);
      break;
  }
}

void run(std::string_view bytes) {
  using C = Status::Code;
  fuzz::AlignedCopy file(bytes);
  auto r = ColumnsReader::open(file.view(), kName);
  if (!fuzz::check_result(r, {C::kCorruption}, kName)) return;
  uint32_t docs = std::min<uint32_t>(r->num_docs(), 4096);
  for (const ColumnInfo& c : r->columns()) {
    read_column(*r, c, docs);
    fuzz::check_status(r->column_status(c.kind, c.field), {C::kCorruption}, kName);
    (void)r->info(c.kind, c.field);
  }
  fuzz::check_status(r->column_status(ColumnKind::kInt, "no such field"), {C::kNotFound});
  fuzz::check_status(r->status(), {C::kCorruption}, kName);
  fuzz::check_status(r->verify(), {C::kCorruption}, kName);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  run(bytes);
  fuzz::fix_columns_crcs(&bytes);
  run(bytes);
  return 0;
}

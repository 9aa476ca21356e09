// Fuzz target: PostgreSQL logical replication messages (cdc/pgoutput.h) as a
// replication connection receives them: the CopyData frame ('w' XLogData,
// 'k' keepalive), the pgoutput message inside ('B', 'R', 'I', 'U', 'D', 'T',
// 'C', ...), and each text-format tuple value converted to JSON by the
// column's type (integers, floats, numeric, bools, dates, timestamps, JSON,
// arrays, PostGIS EWKB hex). Input: byte 0 picks how the rest is read: as a
// CopyData payload, as a bare pgoutput message, or as one value (a type OID
// from a small table, then the text).
// Contract: a decoded message or InvalidArgument; never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "meridian/cdc/geometry.h"
#include "meridian/cdc/pgoutput.h"
#include "meridian/cdc/position.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {

constexpr uint32_t kGeometryOid = 90001;  // extension types get OIDs at connect time
const std::vector<uint32_t> kGeoOids = {kGeometryOid};

const uint32_t kTypes[] = {pgtype::kBool,      pgtype::kInt8,         pgtype::kInt2,         pgtype::kInt4,
                           pgtype::kOid,       pgtype::kText,         pgtype::kJson,         pgtype::kFloat4,
                           pgtype::kFloat8,    pgtype::kBpchar,       pgtype::kVarchar,      pgtype::kDate,
                           pgtype::kTimestamp, pgtype::kTimestampTz,  pgtype::kNumeric,      pgtype::kJsonb,
                           pgtype::kUuid,      pgtype::kBoolArray,    pgtype::kInt2Array,    pgtype::kInt4Array,
                           pgtype::kTextArray, pgtype::kVarcharArray, pgtype::kInt8Array,    pgtype::kFloat4Array,
                           pgtype::kFloat8Array, pgtype::kNumericArray, pgtype::kBpcharArray, kGeometryOid};

void value(std::string_view text, uint32_t oid) {
  using C = Status::Code;
  auto j = pg_text_to_json(text, oid, kGeoOids);
  if (fuzz::check_result(j, {C::kInvalidArgument})) (void)j->dump();
}

void message(std::string_view msg) {
  using C = Status::Code;
  auto m = decode_pgoutput(msg);
  if (!fuzz::check_result(m, {C::kInvalidArgument})) return;
  // Values of a tuple as a relation with one column per value would see them.
  const PgTuple* tuples[] = {&m->new_tuple, m->old_tuple ? &*m->old_tuple : nullptr};
  size_t i = 0;
  for (const PgTuple* t : tuples) {
    if (!t) continue;
    for (const PgValue& v : *t)
      if (v.kind == 't') value(v.text, kTypes[i++ % std::size(kTypes)]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using C = Status::Code;
  fuzz::InputReader in(data, size);
  uint8_t mode = in.u8();
  switch (mode % 3) {
    case 0: {
      std::string_view copy = in.rest();
      auto f = decode_replication_frame(copy);
      if (fuzz::check_result(f, {C::kInvalidArgument}) && f->kind == ReplicationFrame::Kind::kXLogData)
        message(f->data);
      break;
    }
    case 1: message(in.rest()); break;
    case 2: {
      uint32_t oid = kTypes[in.u8() % std::size(kTypes)];
      std::string_view text = in.rest();
      value(text, oid);
      (void)fuzz::check_result(parse_pg_array(text), {C::kInvalidArgument});
      (void)fuzz::check_result(parse_pg_lsn(text), {C::kInvalidArgument});
      (void)fuzz::check_result(decode_wkb_hex_point(text), {C::kInvalidArgument});
      (void)fuzz::check_result(decode_wkb_point(text), {C::kInvalidArgument});
      break;
    }
  }
  return 0;
}

// Decoding of PostgreSQL's logical replication stream: the CopyData
// envelopes of START_REPLICATION ('w' XLogData, 'k' keepalive), the
// pgoutput protocol version 1 messages inside them (Begin, Relation,
// Insert, Update, Delete, Truncate, Commit; Origin/Type/Message are
// recognised and ignored), and the Standby Status Update we send back.
// Tuple values arrive in PostgreSQL's text format; pg_text_to_json turns
// one into JSON by the column's type.
//
// Untrusted bytes: everything goes through ByteReader-style bounds checks;
// a malformed message is InvalidArgument, never a crash. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::cdc {

// PostgreSQL epoch (2000-01-01) microseconds ↔ Unix microseconds.
constexpr int64_t kPgEpochOffsetUs = 946684800LL * 1000000;

struct PgColumn {
  std::string name;
  uint32_t type_oid = 0;
  bool key = false;  // part of the replica identity
};

struct PgRelation {
  uint32_t id = 0;
  std::string schema, table;
  char replica_identity = 'd';
  std::vector<PgColumn> columns;
};

// One column value of a tuple: 'n' null, 'u' unchanged TOAST (not sent),
// 't' text.
struct PgValue {
  char kind = 'n';
  std::string text;
};
using PgTuple = std::vector<PgValue>;

struct PgMessage {
  enum class Kind { kBegin, kCommit, kRelation, kInsert, kUpdate, kDelete, kTruncate, kIgnored };
  Kind kind = Kind::kIgnored;
  uint64_t lsn = 0;         // Begin: final LSN; Commit: commit LSN
  uint64_t end_lsn = 0;     // Commit: end of the commit record (the flush position)
  int64_t timestamp_us = 0; // Begin/Commit: commit time, Unix µs
  uint32_t xid = 0;
  uint32_t relation_id = 0; // Insert/Update/Delete
  PgRelation relation;      // Relation
  std::optional<PgTuple> old_tuple;  // Update ('K' or 'O'), Delete
  char old_kind = 0;                 // 'K' key only, 'O' full old row
  PgTuple new_tuple;                 // Insert, Update
  std::vector<uint32_t> truncated;   // Truncate: relation ids
  bool truncate_cascade = false, truncate_restart = false;
};

Result<PgMessage> decode_pgoutput(std::string_view msg);

// A CopyData payload from START_REPLICATION.
struct ReplicationFrame {
  enum class Kind { kXLogData, kKeepalive } kind = Kind::kKeepalive;
  uint64_t wal_start = 0;  // XLogData
  uint64_t wal_end = 0;    // both: the server's current end of WAL
  int64_t send_time_us = 0;  // Unix µs
  bool reply_requested = false;  // keepalive
  std::string_view data;   // XLogData: the pgoutput message (points into the input)
};
Result<ReplicationFrame> decode_replication_frame(std::string_view copy_data);

// 'r' Standby Status Update: written, flushed, applied LSNs and the time.
std::string encode_standby_status(uint64_t write_lsn, uint64_t flush_lsn, uint64_t apply_lsn, int64_t now_unix_us,
                                  bool reply = false);

// Type OIDs with a fixed meaning (geometry/geography are extension types,
// looked up by name at connect time and passed as `geo_oids`).
namespace pgtype {
constexpr uint32_t kBool = 16, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kText = 25, kJson = 114,
                   kFloat4 = 700, kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kDate = 1082,
                   kTimestamp = 1114, kTimestampTz = 1184, kNumeric = 1700, kJsonb = 3802, kUuid = 2950,
                   kBoolArray = 1000, kInt2Array = 1005, kInt4Array = 1007, kTextArray = 1009,
                   kVarcharArray = 1015, kInt8Array = 1016, kFloat4Array = 1021, kFloat8Array = 1022,
                   kNumericArray = 1231, kBpcharArray = 1014;
}

// One text-format value → JSON: integers → int, float/numeric → double
// (NaN/Infinity → null), bool → bool, timestamps/dates → RFC 3339 strings,
// json/jsonb → parsed JSON, one-dimensional arrays of those → arrays,
// geometry/geography points (EWKB hex) → {"lat","lon"}; anything else
// stays a string.
Result<Json> pg_text_to_json(std::string_view text, uint32_t type_oid, const std::vector<uint32_t>& geo_oids);

// Splits a PostgreSQL array literal "{a,"b c",NULL}" into elements
// (nullopt for NULL). One dimension only.
Result<std::vector<std::optional<std::string>>> parse_pg_array(std::string_view text);

}  // namespace meridian::cdc

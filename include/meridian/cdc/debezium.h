// Debezium change events → RowChanges. Accepts events with or without the
// Kafka Connect {"schema": ..., "payload": ...} envelope, as one event, a
// JSON array of events, or NDJSON (one event per line). Ops: c (create),
// u (update), d (delete), r (snapshot read), t (truncate). Tombstones
// (a null event or null payload) are ignored.
//
// The source key of an event is "debezium:<connector>/<schema|db>.<table>"
// unless the caller names the source. Positions (docs/CDC.md):
//   PostgreSQL  source.sequence [last_commit_lsn, lsn] if present, else [lsn]
//   MySQL       [binlog file number, pos, row]
//   SQL Server  [commit_lsn, change_lsn, event_serial_no] (each LSN as 3 parts)
//   other       [scn] (Oracle) or [ts_ms] (shared by many events: applied at equal)
// Snapshot reads (op r) share one position, so they are applied at equal.
//
// When the envelope carries a schema, Debezium's logical types are turned
// into plain values first: io.debezium.time.* and Kafka Connect Date /
// Timestamp become RFC 3339 strings, Decimal and VariableScaleDecimal
// become numbers.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/cdc/mapping.h"
#include "meridian/cdc/row_change.h"

namespace meridian::cdc {

struct DebeziumOptions {
  ColumnMapping mapping;     // default: every column, id column "id"
  std::string id_field = "id";  // the index's id field
  std::string source_name;   // non-empty: every event's source key is "debezium:<source_name>"
};

// One element of the input: its 0-based event number, the 1-based line it
// starts on (NDJSON; 0 for arrays and single events) and the parsed JSON.
struct RawEvent {
  size_t event = 0;
  size_t line = 0;
  Result<Json> json = Status::invalid("empty");
};

// Splits a body or file into events. A body whose first byte is '[' is one
// JSON array; otherwise each non-blank line is an event (a single pretty-
// printed event spanning lines is also accepted when the whole text parses).
std::vector<RawEvent> split_debezium_events(std::string_view text);

// Decodes one event. Returns an empty vector for a tombstone, one change
// otherwise. InvalidArgument explains what is missing or malformed.
Result<std::vector<RowChange>> decode_debezium_event(const Json& event, const DebeziumOptions& opt);

// The source key and position of an event's `source` block (exposed for tests).
Result<std::string> debezium_source_key(const Json& source, const DebeziumOptions& opt);
Result<SourcePosition> debezium_position(const Json& source, bool* shared);

}  // namespace meridian::cdc

// ingest_debezium: the whole Debezium path for one request body or file:
// split into events, decode them with a mapping, validate every document
// against the index, and apply them with a ChangeApplier.
//
// All or nothing for malformed input: if any event is malformed (bad JSON,
// unknown op, missing id, a value the mapping or the index schema rejects),
// no event of the batch is applied and every failure is returned with its
// event number. Otherwise all events are applied in order (those at or
// before their source's stored position are skipped).
//
// Thread safety: as ChangeApplier; concurrent calls on one index must feed
// different sources (the server serializes calls per index).
#pragma once

#include <string_view>
#include <vector>

#include "meridian/cdc/change_applier.h"
#include "meridian/cdc/debezium.h"
#include "meridian/index/index.h"

namespace meridian::cdc {

struct IngestError {
  size_t event = 0;  // 0-based position of the event in the input
  size_t line = 0;   // 1-based line (NDJSON input), 0 otherwise
  std::string message;
};

struct IngestResult {
  size_t events = 0;      // events in the input, tombstones included
  size_t tombstones = 0;
  ApplyStats stats;       // empty when errors is non-empty
  std::vector<IngestError> errors;  // non-empty: nothing was applied
};

// The decoding half of ingest_debezium, which needs no index: the events of
// `text` split and decoded in order (opt.id_field must be the index's).
struct DecodedBatch {
  size_t events = 0;                 // tombstones included
  size_t tombstones = 0;
  std::vector<RowChange> changes;    // in event order
  std::vector<size_t> change_event;  // changes[k] came from event change_event[k]
  std::vector<size_t> event_line;    // per event: its 1-based NDJSON line, 0 otherwise
  std::vector<IngestError> errors;   // malformed events, in event order
};
DecodedBatch decode_debezium_batch(std::string_view text, const DebeziumOptions& opt);

// Checks a decoded batch against a schema the ingestion cannot extend (a
// clustered index's, fixed at creation) and appends each failure to
// b->errors: the mapping's typed columns must be fields of that type in
// `schema`; every upsert document must parse against it
// (index::parse_document, as each replica will); two upserts must not give
// one new field two types. Deletes and truncates need no check.
void check_fixed_schema(DecodedBatch* b, const ColumnMapping& mapping, const index::Schema& schema);

// Status errors are for the index itself (I/O, corruption, a closed index);
// malformed events are reported in IngestResult::errors.
Result<IngestResult> ingest_debezium(index::Index& ix, std::string_view text, DebeziumOptions opt,
                                     const index::WriteOptions& w = {});

}  // namespace meridian::cdc

namespace meridian::cdc {

// `meridian import --format debezium FILE`: reads the whole file ("-" is
// stdin) and ingests it as one batch (same all-or-nothing rule), then
// commits the index.
Result<IngestResult> ingest_debezium_file(index::Index& ix, const std::string& path, const DebeziumOptions& opt);

// Reads a mapping file ({"id_column": ..., "columns": ..., "geo": ...}).
Result<ColumnMapping> read_mapping_file(const std::string& path);

}  // namespace meridian::cdc

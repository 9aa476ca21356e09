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

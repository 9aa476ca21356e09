// RowChange: one change to apply to an index, whatever stream it came from
// (a Debezium event, a pgoutput message): upsert a document, delete an id,
// or truncate, tagged with the source it came from and its position there.
// A plain value type.
#pragma once

#include <string>

#include "meridian/base/json.h"
#include "meridian/cdc/position.h"

namespace meridian::cdc {

enum class ChangeKind { kUpsert, kDelete, kTruncate };

struct RowChange {
  ChangeKind kind = ChangeKind::kUpsert;
  std::string id;      // upsert, delete
  std::string old_id;  // upsert only: the row's previous id when its key changed ("" if same)
  Json doc;            // upsert only: the document, with the index's id field set
  std::string source;  // the position key, e.g. "debezium:postgresql/public.items"
  SourcePosition position;
  // Whether a change AT the stored position is still applied. True for
  // positions several changes share (snapshot reads, ts_ms-only positions):
  // those are idempotent re-applications of the same row image.
  bool apply_at_stored = false;
  // Upsert only: the document lacks fields whose stored values are to be
  // kept (unchanged TOASTed columns PostgreSQL did not resend), for a sink
  // that cannot read the stored document itself (ChangeSink::keep_unchanged).
  bool partial = false;
};

}  // namespace meridian::cdc

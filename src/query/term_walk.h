// Internal to the query module: leaf queries answered by walking a segment's
// term dictionary and unioning postings bitmaps.
//
// - pattern_docs: prefix/wildcard/regexp automata intersected with a field's
//   terms (seek-forward walk); more than `max_terms` matching terms in the
//   segment is Status::invalid naming the query (no silent truncation: a
//   filter that dropped terms would give wrong answers).
// - range_docs: numeric (int, bool, date, float) and keyword ranges. Keys are
//   order-preserving (index/term_key.h), so the range is one contiguous run
//   of keys: walk it and union the postings. The walk gives up after
//   max(16, num_docs / 32) terms (each term costs a lookup and a bitmap
//   union, roughly 30 documents' worth of column scanning) and scans the
//   column instead, so a range over many distinct values costs about one
//   column scan, and a narrow or low-cardinality range touches only its terms.
//   Text fields are ranged over their column values.
//
// Stateless functions; safe from any thread; the segment must outlive calls.
#pragma once

#include <cstddef>
#include <string>

#include "meridian/index/segment.h"
#include "meridian/index/snapshot.h"
#include "meridian/postings/bitmap.h"
#include "meridian/query/ast.h"
#include "meridian/termdict/automaton.h"

namespace meridian::query::plan {

// `what` names the query in errors, e.g. "wildcard 'fo*' on field 'title'".
Result<postings::Bitmap> pattern_docs(const index::Segment& seg, const std::string& field,
                                      const termdict::Automaton& a, size_t max_terms, const std::string& what);

Result<postings::Bitmap> range_docs(const index::Snapshot& snap, const index::Segment& seg, const Range& r);

}  // namespace meridian::query::plan

// DocumentParser: turns a JSON document into the values the segment builder
// indexes: the external id, the stored source, and per flattened field its
// tokens (text), exact values (keyword), numbers, dates, bools or points.
// Applies dynamic mapping: fields not in the schema are typed from their
// first value and reported in `new_fields` for the caller to add.
//
// Stateless apart from the schema it is given; safe to call from many
// threads at once with the same schema (analyzers are thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "meridian/analysis/analyzer.h"
#include "meridian/base/json.h"
#include "meridian/geo/geo.h"
#include "meridian/index/schema.h"

namespace meridian::index {

// Position gap between the values of a multi-valued text field, so that a
// phrase never matches across two values.
constexpr uint32_t kArrayPositionGap = 100;
// Longest keyword value kept as a column value / exact term (bytes).
constexpr size_t kMaxKeywordBytes = 4096;
// A text value gets a column value (for sort, facets and text ranges) only
// when it is at most this long: names and titles, not bodies. Longer values
// sort as missing. (At 256 bytes, the bodies of the text corpus made 15% of
// its index.)
constexpr size_t kMaxTextColumnBytes = 64;

struct FieldValues {
  const FieldDef* def = nullptr;  // points into the schema given to parse()
  std::string name;
  std::vector<analysis::Token> tokens;  // text
  // text: per token, its unstemmed folded word, "" when that is the token's
  // text (Analyzer::analyze with surfaces); may be shorter than `tokens`
  // (missing entries are "") when the field was filled by hand.
  std::vector<std::string> surfaces;
  std::vector<std::string> keywords;    // keyword; text: values <= kMaxTextColumnBytes, for facets and sort
  std::vector<int64_t> ints;            // int, bool (0/1), date (epoch ms)
  std::vector<double> doubles;          // float
  std::vector<geo::LatLon> points;      // geo_point
  uint32_t length = 0;                  // text: number of tokens (for BM25 norms)
};

struct ParsedDoc {
  std::string id;      // external id, as a string (integers in decimal)
  std::string source;  // the JSON as stored (compact form)
  std::vector<FieldValues> fields;
  // Write order (term_key.h kOrderField): set by the index when it admits
  // the document, to the write's sequence number.
  uint64_t order = 0;
};

// Parses `source_text` (one JSON object). Fields missing from `schema` are
// typed by dynamic mapping; their definitions are appended to *new_fields
// (which the caller must add to the schema before indexing the document).
// Errors name the document (its id when known) and the field.
Result<ParsedDoc> parse_document(const Json& doc, const Schema& schema, std::vector<FieldDef>* new_fields);

// The external id of a JSON document under `id_field`, or an error.
Result<std::string> document_id(const Json& doc, const std::string& id_field);

}  // namespace meridian::index

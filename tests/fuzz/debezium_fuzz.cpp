// Fuzz target: Debezium change events (cdc/debezium.h) as POSTed to
// /indexes/{name}/changes or imported with --format debezium: the split into
// events (one event, a JSON array or NDJSON), the decoding of each event
// (envelope, ops, logical types, source positions) under the default mapping
// and under a mapping with types, renames and a geo rule, and the documents
// they produce. Input: the request body.
// Contract: changes or InvalidArgument naming the problem; never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_util.h"
#include "meridian/cdc/debezium.h"
#include "meridian/index/document.h"

using namespace meridian;
using namespace meridian::cdc;

namespace {

const DebeziumOptions& mapped_options() {
  static const DebeziumOptions* opt = [] {
    auto j = parse_json(R"({"id_column": "item_id", "other_columns": "include",
        "columns": {"name": "title", "price": {"field": "price", "type": "float"}, "secret": null,
                    "born": {"type": "date"}, "n": {"type": "int"}, "flag": {"type": "bool"}},
        "geo": [{"field": "location", "lat": "lat", "lon": "lon"}, {"field": "place", "column": "geom"}]})");
    auto m = ColumnMapping::from_json(*j);
    if (!m) std::abort();
    auto* o = new DebeziumOptions;
    o->mapping = std::move(*m);
    o->source_name = "fuzz";
    return o;
  }();
  return *opt;
}

void decode(const Json& event, const DebeziumOptions& opt) {
  using C = Status::Code;
  auto changes = decode_debezium_event(event, opt);
  if (!fuzz::check_result(changes, {C::kInvalidArgument})) return;
  index::Schema schema;
  for (const RowChange& c : *changes) {
    (void)c.position.to_string();
    if (c.kind != ChangeKind::kUpsert) continue;
    std::vector<index::FieldDef> new_fields;
    (void)fuzz::check_result(index::parse_document(c.doc, schema, &new_fields), {C::kInvalidArgument});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using C = Status::Code;
  DebeziumOptions plain;
  for (const RawEvent& e : split_debezium_events(text)) {
    if (!fuzz::check_result(e.json, {C::kInvalidArgument})) continue;
    decode(*e.json, plain);
    decode(*e.json, mapped_options());
    const Json* payload = e.json->find("payload");
    const Json* source = (payload && payload->is_object() ? payload : &*e.json)->find("source");
    if (source) {
      bool shared = false;
      (void)fuzz::check_result(debezium_position(*source, &shared), {C::kInvalidArgument});
      (void)fuzz::check_result(debezium_source_key(*source, plain), {C::kInvalidArgument});
    }
  }
  return 0;
}

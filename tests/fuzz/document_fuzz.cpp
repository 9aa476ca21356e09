// Fuzz target: document JSON (index/document.h) under a schema with one field
// of every type, with dynamic mapping: fields the schema lacks are added as
// the index adds them and the document is parsed again. Input: JSON text.
// Contract: a ParsedDoc or InvalidArgument naming the problem; never a crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fuzz_util.h"
#include "meridian/index/document.h"

using namespace meridian;
using namespace meridian::index;

namespace {

const Schema& base_schema() {
  static const Schema* schema = [] {
    auto j = parse_json(R"({"id_field": "id", "fields": {
        "title": {"type": "text", "language": "en"}, "body": {"type": "text", "language": "fr", "positions": false},
        "tags": "keyword", "pop": "int", "score": "float", "open": "bool", "founded": "date",
        "location": "geo_point", "address.city": {"type": "text", "language": "de"}}})");
    auto s = Schema::from_json(*j);
    if (!s) std::abort();
    return new Schema(std::move(*s));
  }();
  return *schema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using C = Status::Code;
  auto json = parse_json(text);
  if (!fuzz::check_result(json, {C::kInvalidArgument})) return 0;
  (void)fuzz::check_result(document_id(*json, "id"), {C::kInvalidArgument});

  Schema schema = base_schema();
  std::vector<FieldDef> new_fields;
  auto doc = parse_document(*json, schema, &new_fields);
  if (!fuzz::check_result(doc, {C::kInvalidArgument})) return 0;
  if (new_fields.empty()) return 0;
  for (auto& f : new_fields) {
    Status st = schema.add(f);
    fuzz::check_status(st, {C::kInvalidArgument, C::kAlreadyExists});
    if (!st.is_ok()) return 0;
  }
  std::vector<FieldDef> again;
  auto doc2 = parse_document(*json, schema, &again);
  // With every field now in the schema, the document must parse the same way.
  if (!doc2.is_ok() || !again.empty() || doc2->fields.size() != doc->fields.size()) {
    std::fprintf(stderr, "document: second parse differs: %s\n", doc2.status().message().c_str());
    std::abort();
  }
  return 0;
}

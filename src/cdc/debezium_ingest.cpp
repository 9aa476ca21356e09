#include "meridian/cdc/debezium_ingest.h"

#include <map>

#include "meridian/index/document.h"

namespace meridian::cdc {

DecodedBatch decode_debezium_batch(std::string_view text, const DebeziumOptions& opt) {
  DecodedBatch out;
  auto raw = split_debezium_events(text);
  out.events = raw.size();
  for (auto& r : raw) {
    out.event_line.push_back(r.line);
    if (!r.json) {
      out.errors.push_back({r.event, r.line, r.json.status().message()});
      continue;
    }
    auto decoded = decode_debezium_event(*r.json, opt);
    if (!decoded) {
      out.errors.push_back({r.event, r.line, decoded.status().message()});
      continue;
    }
    if (decoded->empty()) ++out.tombstones;
    for (auto& c : *decoded) {
      out.changes.push_back(std::move(c));
      out.change_event.push_back(r.event);
    }
  }
  return out;
}

void check_fixed_schema(DecodedBatch* b, const ColumnMapping& mapping, const index::Schema& schema) {
  const index::Schema typed = mapping.schema_fields();
  for (const auto& [name, f] : typed.fields()) {
    const index::FieldDef* have = schema.find(name);
    if (have && have->type == f.type) continue;
    b->errors.push_back({0, 0, "mapping does not fit the index schema: field '" + name + "' is " +
                                   std::string(index::field_type_name(f.type)) + " in the mapping but " +
                                   (have ? std::string(index::field_type_name(have->type)) : std::string("absent")) +
                                   " in the index, whose schema is fixed"});
    return;
  }
  std::map<std::string, index::FieldType> added;  // fields new to the schema, typed by the first change
  for (size_t k = 0; k < b->changes.size(); ++k) {
    const RowChange& c = b->changes[k];
    const size_t ev = b->change_event[k];
    if (c.kind != ChangeKind::kUpsert) continue;
    std::vector<index::FieldDef> fresh;
    auto parsed = index::parse_document(c.doc, schema, &fresh);
    if (!parsed) {
      b->errors.push_back({ev, b->event_line[ev], parsed.status().message()});
      continue;
    }
    for (const auto& f : fresh) {
      auto [it, first] = added.emplace(f.name, f.type);
      if (!first && it->second != f.type) {
        b->errors.push_back({ev, b->event_line[ev],
                             "field '" + f.name + "' is " + std::string(index::field_type_name(f.type)) + " here but " +
                                 std::string(index::field_type_name(it->second)) + " in an earlier change of the batch"});
        break;
      }
    }
  }
}

Result<IngestResult> ingest_debezium(index::Index& ix, std::string_view text, DebeziumOptions opt,
                                     const index::WriteOptions& w) {
  IngestResult out;
  opt.id_field = ix.schema()->id_field();
  index::Schema fixed = opt.mapping.schema_fields();
  if (!fixed.fields().empty()) {
    Status st = ix.add_fields(fixed);
    if (!st.is_ok()) {
      out.errors.push_back({0, 0, "mapping does not fit the index schema: " + st.message()});
      return out;
    }
  }
  DecodedBatch b = decode_debezium_batch(text, opt);
  out.events = b.events;
  out.tombstones = b.tombstones;
  out.errors = std::move(b.errors);
  ChangeApplier applier(ix);
  if (out.errors.empty()) {
    for (const auto& e : applier.validate(b.changes)) {
      size_t ev = b.change_event[e.index];
      out.errors.push_back({ev, b.event_line[ev], e.message});
    }
  }
  if (!out.errors.empty()) return out;
  MERIDIAN_ASSIGN_OR_RETURN(out.stats, applier.apply(b.changes, w));
  return out;
}

}  // namespace meridian::cdc

#include <iostream>
#include <iterator>

#include "meridian/base/file.h"

namespace meridian::cdc {

Result<IngestResult> ingest_debezium_file(index::Index& ix, const std::string& path, const DebeziumOptions& opt) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    MERIDIAN_ASSIGN_OR_RETURN(text, fs::read_file(path));
  }
  MERIDIAN_ASSIGN_OR_RETURN(IngestResult r, ingest_debezium(ix, text, opt));
  if (r.errors.empty()) MERIDIAN_RETURN_IF_ERROR(ix.commit());
  return r;
}

Result<ColumnMapping> read_mapping_file(const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(std::string text, fs::read_file(path));
  auto j = parse_json(text);
  if (!j) return j.status().with_context(path);
  auto m = ColumnMapping::from_json(*j);
  if (!m) return m.status().with_context(path);
  return m;
}

}  // namespace meridian::cdc

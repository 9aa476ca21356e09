#include "meridian/cdc/debezium_ingest.h"

namespace meridian::cdc {

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
  auto raw = split_debezium_events(text);
  out.events = raw.size();
  std::vector<RowChange> changes;
  std::vector<size_t> change_event;  // change index → event number
  for (auto& r : raw) {
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
      changes.push_back(std::move(c));
      change_event.push_back(r.event);
    }
  }
  ChangeApplier applier(ix);
  if (out.errors.empty()) {
    for (const auto& e : applier.validate(changes)) {
      size_t ev = change_event[e.index];
      out.errors.push_back({ev, raw[ev].line, e.message});
    }
  }
  if (!out.errors.empty()) return out;
  MERIDIAN_ASSIGN_OR_RETURN(out.stats, applier.apply(changes, w));
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

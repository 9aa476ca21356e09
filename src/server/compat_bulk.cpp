#include "meridian/server/compat_bulk.h"

namespace meridian::server::compat {
namespace {

// The non-blank lines of an NDJSON body with their 1-based numbers.
std::vector<std::pair<size_t, std::string_view>> ndjson_lines(std::string_view body) {
  std::vector<std::pair<size_t, std::string_view>> out;
  size_t line = 0;
  for (size_t pos = 0; pos < body.size();) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    ++line;
    std::string_view text = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    out.emplace_back(line, text);
  }
  return out;
}

Status at(size_t line, const std::string& msg) { return Status::invalid("line " + std::to_string(line) + ": " + msg); }

}  // namespace

std::string_view op_name(BulkItem::Op op) {
  switch (op) {
    case BulkItem::Op::kIndex: return "index";
    case BulkItem::Op::kCreate: return "create";
    case BulkItem::Op::kUpdate: return "update";
    case BulkItem::Op::kDelete: return "delete";
  }
  return "?";
}

Result<std::vector<BulkItem>> parse_bulk(std::string_view body, const std::string& default_index) {
  auto lines = ndjson_lines(body);
  std::vector<BulkItem> items;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto [line, text] = lines[i];
    auto action = parse_json(text);
    if (!action) return at(line, "Malformed action/metadata line: " + action.status().message());
    if (!action->is_object() || action->size() != 1)
      return at(line, "Malformed action/metadata line: expected {\"index\"|\"create\"|\"update\"|\"delete\": {...}}");
    const auto& [name, meta] = action->as_object().front();
    BulkItem item;
    item.line = line;
    if (name == "index") item.op = BulkItem::Op::kIndex;
    else if (name == "create") item.op = BulkItem::Op::kCreate;
    else if (name == "update") item.op = BulkItem::Op::kUpdate;
    else if (name == "delete") item.op = BulkItem::Op::kDelete;
    else return at(line, "Malformed action/metadata line: unknown action [" + name + "] (index, create, update, delete)");
    if (!meta.is_object()) return at(line, "[" + name + "]: expected an object");
    item.index = default_index;
    std::string occ;  // a versioned write fails alone (ignoring it would lose the update it guards)
    for (const auto& [k, v] : meta.as_object()) {
      if (k == "_index") {
        if (!v.is_string()) return at(line, "[_index]: expected a string");
        item.index = v.as_string();
      } else if (k == "_id") {
        if (v.is_string()) item.id = v.as_string();
        else if (v.is_int()) item.id = std::to_string(v.as_int());
        else return at(line, "[_id]: expected a string");
        if (item.id.empty()) return at(line, "[_id]: must not be empty");
      } else if (k == "version" || k == "version_type" || k == "if_seq_no" || k == "if_primary_term") {
        occ = "[" + k + "] is not supported: Meridian keeps no document versions (optimistic concurrency control is not available)";
      } else if (k != "routing" && k != "require_alias" && k != "retry_on_conflict") {
        return at(line, "Action/metadata line [" + std::to_string(line) + "] contains an unknown parameter [" + k + "]");
      }
    }
    if (item.op == BulkItem::Op::kDelete || item.op == BulkItem::Op::kUpdate) {
      if (item.id.empty()) return at(line, "[" + name + "] needs an [_id]");
    }
    if (item.op != BulkItem::Op::kDelete) {
      if (i + 1 >= lines.size()) return at(line, "[" + name + "] has no source line after it");
      auto [sline, stext] = lines[++i];
      auto src = parse_json(stext);
      if (!src) item.error = "failed to parse the source on line " + std::to_string(sline) + ": " + src.status().message();
      else if (!src->is_object()) item.error = "the source on line " + std::to_string(sline) + " is not a JSON object";
      else item.source = std::move(*src);
      if (item.error.empty() && item.op == BulkItem::Op::kUpdate) {
        for (const auto& [k, v] : item.source.as_object()) {
          if (k == "script" || k == "scripted_upsert")
            item.error = "[" + k + "] is not supported in updates; send a partial [doc]";
          else if (k != "doc" && k != "doc_as_upsert" && k != "upsert" && k != "detect_noop" && k != "_source")
            item.error = "unknown key [" + k + "] in the update on line " + std::to_string(sline);
        }
        if (item.error.empty() && !item.source.find("doc") && !item.source.find("upsert"))
          item.error = "the update on line " + std::to_string(sline) + " has no [doc]";
      }
    }
    if (!occ.empty()) item.error = occ;
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::vector<std::pair<std::string, Json>>> parse_msearch(std::string_view body, const std::string& default_index) {
  auto lines = ndjson_lines(body);
  std::vector<std::pair<std::string, Json>> out;
  for (size_t i = 0; i < lines.size(); i += 2) {
    auto [line, text] = lines[i];
    auto header = parse_json(text);
    if (!header || !header->is_object()) return at(line, "expected a header object ({\"index\": ...})");
    std::string index = default_index;
    for (const auto& [k, v] : header->as_object()) {
      if (k == "index") {
        if (v.is_string()) index = v.as_string();
        else if (v.is_array() && v.size() == 1 && v.as_array()[0].is_string()) index = v.as_array()[0].as_string();
        else return at(line, "[index]: expected one index name");
      }
    }
    if (index.empty()) return at(line, "no index: give [index] in the header or search /{index}/_msearch");
    if (i + 1 >= lines.size()) return at(line, "a header without a body line");
    auto [bline, btext] = lines[i + 1];
    auto b = parse_json(btext);
    if (!b) return at(bline, b.status().message());
    out.emplace_back(index, std::move(*b));
  }
  return out;
}

}  // namespace meridian::server::compat

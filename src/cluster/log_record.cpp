#include "meridian/cluster/log_record.h"

namespace meridian::cluster {

std::string LogRecord::encode() const {
  Json j = Json::object();
  if (op == Op::kPut) {
    j.set("op", Json("put"));
    j.set("doc", doc);
  } else if (op == Op::kDelete) {
    j.set("op", Json("delete"));
    j.set("id", Json(id));
  } else if (op == Op::kTruncate) {
    j.set("op", Json("truncate"));
  } else if (op == Op::kSchema) {
    j.set("op", Json("schema"));
    j.set("schema", doc);
  } else {
    j.set("op", Json("patch"));
    j.set("id", Json(id));
    j.set("patch", doc);
    j.set("upsert", Json(upsert));
  }
  return j.dump();
}

Result<LogRecord> LogRecord::decode(std::string_view body) {
  auto j = parse_json(body);
  if (!j) return j.status().with_context("log record");
  const Json* op = j->find("op");
  if (!op || !op->is_string()) return Status::invalid("log record: \"op\" must be \"put\", \"delete\", \"patch\", \"truncate\" or \"schema\"");
  LogRecord r;
  if (op->as_string() == "put") {
    const Json* doc = j->find("doc");
    if (!doc || !doc->is_object()) return Status::invalid("log record: a put needs an object \"doc\"");
    r.op = Op::kPut;
    r.doc = *doc;
  } else if (op->as_string() == "delete") {
    const Json* id = j->find("id");
    if (!id || !id->is_string()) return Status::invalid("log record: a delete needs a string \"id\"");
    r.op = Op::kDelete;
    r.id = id->as_string();
  } else if (op->as_string() == "patch") {
    const Json* id = j->find("id");
    const Json* patch = j->find("patch");
    const Json* upsert = j->find("upsert");
    if (!id || !id->is_string() || id->as_string().empty())
      return Status::invalid("log record: a patch needs a non-empty string \"id\"");
    if (!patch || !patch->is_object()) return Status::invalid("log record: a patch needs an object \"patch\"");
    if (upsert && !upsert->is_bool()) return Status::invalid("log record: a patch's \"upsert\" must be a boolean");
    r.op = Op::kPatch;
    r.id = id->as_string();
    r.doc = *patch;
    r.upsert = upsert && upsert->as_bool();
  } else if (op->as_string() == "truncate") {
    r.op = Op::kTruncate;
  } else if (op->as_string() == "schema") {
    const Json* schema = j->find("schema");
    if (!schema || !schema->is_object()) return Status::invalid("log record: a schema change needs an object \"schema\"");
    r.op = Op::kSchema;
    r.doc = *schema;
  } else {
    return Status::invalid("log record: unknown op '" + op->as_string() + "'");
  }
  return r;
}

std::string escape_name(std::string_view index) {
  std::string out;
  out.reserve(index.size() + 8);
  for (char c : index) {
    if (c == '_') out += "_5f";
    else if (c == '.') out += "_2e";
    else out.push_back(c);
  }
  return out;
}

std::string stream_name(std::string_view index, uint32_t shard) {
  return "MERIDIAN_" + escape_name(index) + "_" + std::to_string(shard);
}

std::string shard_subject(std::string_view index, uint32_t shard) {
  return "meridian." + escape_name(index) + "." + std::to_string(shard);
}

std::string replica_consumer(std::string_view node_id) { return "replica_" + escape_name(node_id); }

}  // namespace meridian::cluster

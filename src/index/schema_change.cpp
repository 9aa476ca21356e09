#include "meridian/index/schema_change.h"

namespace meridian::index {
namespace {

constexpr const char* kRecipe =
    "; changing a field needs a reindex into a new index, then an alias swap "
    "(docs/API.md, \"Zero-downtime reindex\")";

Status fail(Json* extra, Json members, Status st) {
  if (extra) *extra = std::move(members);
  return st;
}

}  // namespace

Result<SchemaChange> check_schema_change(const Schema& current, const Json& body, Json* extra) {
  if (extra) *extra = Json();
  if (!body.is_object())
    return fail(extra, Json(Json::Object{{"path", Json("")}}),
                Status::invalid("request body: expected {\"fields\": {...}}"));
  for (const auto& [k, v] : body.as_object())
    if (k != "fields" && k != "id_field")
      return fail(extra, Json(Json::Object{{"path", Json(k)}}),
                  Status::invalid("unknown key '" + k + "' (a schema change takes \"fields\")"));
  auto add = Schema::from_json(body);
  if (!add) return add.status();
  if (body.find("id_field") && add->id_field() != current.id_field())
    return fail(extra, Json(Json::Object{{"path", Json("id_field")}}),
                Status::exists("id_field: cannot change the id field from '" + current.id_field() + "' to '" +
                               add->id_field() + "'" + kRecipe));
  SchemaChange out;
  for (const auto& [name, def] : add->fields()) {
    const FieldDef* old = current.find(name);
    if (!old) {
      out.added.push_back(name);
      continue;
    }
    if (old->to_json() == def.to_json()) continue;  // unchanged: fine (idempotent)
    std::string what = old->type != def.type
                           ? "has type " + std::string(field_type_name(old->type)) + ", cannot change it to " +
                                 std::string(field_type_name(def.type))
                           : "exists with other options (" + old->to_json().dump() + "), cannot change them to " +
                                 def.to_json().dump();
    return fail(extra,
                Json(Json::Object{{"path", Json("fields." + name)},
                                  {"reindex", Json("docs/API.md#zero-downtime-reindex")}}),
                Status::exists("fields." + name + ": field '" + name + "' " + what + kRecipe));
  }
  out.add = std::move(*add);
  return out;
}

Schema missing_fields(const Schema& have, const Schema& wanted, std::vector<std::string>* conflicts) {
  Json fields = Json::object();
  for (const auto& [name, def] : wanted.fields()) {
    const FieldDef* old = have.find(name);
    if (!old) {
      fields.set(name, def.to_json());
    } else if (old->type != def.type && conflicts) {
      conflicts->push_back(name);
    }
  }
  auto s = Schema::from_json(Json(Json::Object{{"fields", std::move(fields)}, {"id_field", Json(have.id_field())}}));
  // Each definition came from a valid schema, so it parses again.
  return s ? std::move(*s) : Schema();
}

}  // namespace meridian::index

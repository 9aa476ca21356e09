// The OpenSearch-compatible routes on a clustered index (docs/CLUSTER.md,
// "The OpenSearch-compatible API"): document writes published to the
// shard's log through ClusterNode, as the native clustered routes publish
// them (routes_clustered.cpp, routes_clustered_writes.cpp); the clustered
// indexes a request lists, their document counts and _refresh, through the
// native clustered operations.
#include "compat_http.h"
#include "meridian/base/json_merge_patch.h"
#include "meridian/cluster/placement.h"
#include "meridian/index/document.h"

namespace meridian::server::compat {

Result<cluster::WriteAck> clustered_put(ServerImpl& s, const Target& t, const Json& doc, const std::string& id, bool create,
                                        const httplib::Request& in) {
  const cluster::ShardMap& m = *t.clustered;
  if (create) {
    // Read after every write acknowledged before this request: the answer
    // the log would give now (a create racing another one may still win).
    MERIDIAN_RETURN_IF_ERROR(catch_up(*s.cluster_, m.index, cluster::shard_of(id, m.shards)));
    MERIDIAN_ASSIGN_OR_RETURN(auto cur, s.fetch_doc_clustered(m, id, in));
    if (cur) return Status::exists("[" + id + "]: version conflict, document already exists");
  }
  return s.cluster_->put(m, doc);
}

Result<cluster::WriteAck> clustered_update(ServerImpl& s, const Target& t, const std::string& id, const Json& body,
                                           const httplib::Request& in, std::string* result) {
  const cluster::ShardMap& m = *t.clustered;
  MERIDIAN_ASSIGN_OR_RETURN(UpdateSpec u, parse_update(body));
  MERIDIAN_ASSIGN_OR_RETURN(Json patch, with_id(t.id_field(), t.name(), u.doc, id));
  MERIDIAN_RETURN_IF_ERROR(catch_up(*s.cluster_, m.index, cluster::shard_of(id, m.shards)));
  MERIDIAN_ASSIGN_OR_RETURN(auto cur, s.fetch_doc_clustered(m, id, in));
  if (!cur && !u.doc_as_upsert) {
    if (!u.upsert) return Status::not_found("[" + id + "]: document missing");
    // A missing document with an "upsert" document: that document is stored.
    MERIDIAN_ASSIGN_OR_RETURN(Json fresh, with_id(t.id_field(), t.name(), *u.upsert, id));
    *result = "created";
    return s.cluster_->put(m, fresh);
  }
  // Refuse what every replica would refuse, so an acknowledged patch applies.
  Json doc = Json::object();
  if (cur) {
    auto parsed = parse_json(*cur);
    if (!parsed) return Status::internal("stored document [" + id + "]: " + parsed.status().message());
    doc = std::move(*parsed);
  }
  apply_merge_patch(&doc, patch);
  std::vector<index::FieldDef> added;
  if (auto checked = index::parse_document(doc, *t.schema, &added); !checked) return checked.status();
  *result = cur ? "updated" : "created";
  return s.cluster_->patch(m, id, patch, u.doc_as_upsert);
}

Status wait_visible(ServerImpl& s, const Target& t, const cluster::WriteAck& ack, const index::WriteOptions& w) {
  if (!w.wait_visible) return Status::ok();
  return s.cluster_->wait_for(t.name(), ack.shard, ack.seq, kClusterWaitForMs);
}

std::vector<Target> clustered_targets(ServerImpl& s, Scope scope) {
  std::vector<Target> out;
  if (!s.cluster_) return out;
  auto names = s.cluster_->index_names();
  if (!names) return out;
  const auto& who = current_principal();
  for (const auto& name : *names)
    if (!who || who->allows(scope, name))
      if (auto m = s.clustered(name, true); m && m->index == name) out.push_back(Target{nullptr, std::move(*m), nullptr});
  return out;
}

std::optional<int64_t> count_clustered(ServerImpl& s, const cluster::ShardMap& m, const httplib::Request& in,
                                       int64_t* failed) {
  *failed = m.shards;
  httplib::Response scratch;
  auto r = s.routed_search(m, Json(Json::Object{{"size", Json(int64_t{0})}, {"track_total_hits", Json(true)}}), in, scratch);
  if (!r) return std::nullopt;
  const Json* sh = r->find("shards");
  const Json* f = sh ? sh->find("failed") : nullptr;
  *failed = f && f->is_int() ? f->as_int() : m.shards;
  const Json* total = r->find("total");
  const Json* value = total ? total->find("value") : nullptr;
  if (*failed != 0 || !value || !value->is_int()) return std::nullopt;
  return value->as_int();
}

int64_t refresh_clustered(ServerImpl& s, const cluster::ShardMap& m, const httplib::Request& in) {
  httplib::Response native;
  s.refresh_replicas_clustered(m, in, native);
  // {"shards": {...}} on a 200, {"error": {"shards": {...}}} on the 503 of no shard refreshed.
  auto j = parse_json(native.body);
  const Json* holder = j && native.status != 200 ? j->find("error") : (j ? &*j : nullptr);
  const Json* shards = holder ? holder->find("shards") : nullptr;
  const Json* failed = shards ? shards->find("failed") : nullptr;
  return failed && failed->is_int() ? failed->as_int() : m.shards;
}

}  // namespace meridian::server::compat

// Route of the OpenSearch-compatible API (docs/COMPAT.md): _bulk, with the
// index, create, update and delete actions and per-item results. Runs of
// index/create actions go to Index::put_many (one WAL sync per run, as the
// native bulk route); updates use ServerImpl::patch_document (the native
// merge patch), deletes Index::remove; each waits for its WAL sync. On a
// clustered index (docs/CLUSTER.md) a run is published with
// ClusterNode::put_batch as the native bulk route publishes it, deletes and
// updates are records in the shard's log (routes_compat_clustered.cpp), and
// each item answers its own ack or error.
#include <chrono>
#include <map>
#include <set>

#include "compat_http.h"
#include "meridian/cluster/placement.h"
#include "meridian/server/compat_bulk.h"

namespace meridian::server {
namespace {

using compat::BulkItem;
using compat::OsError;

Json item_result(const BulkItem& item, const std::string& index, const std::string& id, int status,
                 const std::string& result, uint64_t seq, const std::optional<OsError>& error) {
  Json r = Json::object();
  r.set("_index", Json(index));
  r.set("_id", Json(id));
  r.set("status", Json(static_cast<int64_t>(status)));
  if (error) {
    r.set("error", compat::error_object(*error));
  } else {
    r.set("result", Json(result));
    r.set("_shards", compat::shards());
    r.set("_seq_no", Json(seq));
  }
  Json out = Json::object();
  out.set(std::string(compat::op_name(item.op)), std::move(r));
  return out;
}

}  // namespace

void ServerImpl::install_compat_bulk_routes() {
  using namespace compat;

  auto bulk = [this](const httplib::Request& req, httplib::Response& res, const std::string& default_index) {
    auto start = std::chrono::steady_clock::now();
    auto w = compat::write_options(req, res);
    if (!w) return;
    auto parsed = parse_bulk(req.body, default_index);
    if (!parsed) return reply_error(res, from_status(parsed.status(), "illegal_argument_exception"));
    std::vector<BulkItem>& items = *parsed;
    const auto& who = current_principal();
    std::vector<Json> results(items.size());
    std::vector<std::optional<Target>> target(items.size());
    std::map<std::pair<std::string, bool>, Result<Target>> resolved;  // (name, may create) -> target
    for (size_t i = 0; i < items.size(); ++i) {
      BulkItem& it = items[i];
      if (it.id.empty() && (it.op == BulkItem::Op::kIndex || it.op == BulkItem::Op::kCreate)) it.id = new_id();
      auto fail = [&](const OsError& e) { results[i] = item_result(it, it.index, it.id, e.status, "", 0, e); };
      if (!it.error.empty()) {
        fail(OsError{400, "mapper_parsing_exception", it.error, it.index});
        continue;
      }
      if (it.index.empty()) {
        fail(OsError{400, "action_request_validation_exception", "index is missing", ""});
        continue;
      }
      if (who && !who->allows(Scope::kWrite, resolve_alias(it.index))) {
        fail(OsError{403, "security_exception", "this key may not write to index [" + it.index + "]", it.index});
        continue;
      }
      bool may_create = it.op != BulkItem::Op::kDelete;
      if (it.op == BulkItem::Op::kUpdate) {
        const Json* f = it.source.find("doc_as_upsert");
        may_create = (f && f->is_bool() && f->as_bool()) || it.source.find("upsert");
      }
      // Each name once per request (a clustered index's shard map is read from NATS).
      auto cached = resolved.find({it.index, may_create});
      if (cached == resolved.end())
        cached = resolved.emplace(std::make_pair(it.index, may_create),
                                  may_create ? target_for_write(*this, it.index) : find_target(*this, it.index)).first;
      const Result<Target>& t = cached->second;
      if (!t) {
        fail(not_found_or(t.status(), it.index));
        continue;
      }
      target[i] = *t;
    }
    std::map<std::string, AckedSeqs> acked;  // clustered index -> its acknowledged writes
    auto answer = [&](size_t i, const Target& t, const Result<cluster::WriteAck>& ack, int status, const std::string& result) {
      if (ack) {
        acked[t.name()].add(*ack);
        results[i] = item_result(items[i], t.name(), items[i].id, status, result, ack->seq, std::nullopt);
        return;
      }
      OsError e = ack.status().code() == Status::Code::kNotFound
                      ? OsError{404, "document_missing_exception", ack.status().message(), t.name()}
                  : ack.status().code() == Status::Code::kAlreadyExists
                      ? OsError{409, "version_conflict_engine_exception", ack.status().message(), t.name()}
                      : from_status(ack.status(), "mapper_parsing_exception");
      results[i] = item_result(items[i], t.name(), items[i].id, e.status, "", 0, e);
    };

    // A run of index/create items on a clustered index: one put_batch (a
    // create reads its id on a replica of its shard caught up once per run).
    // Acknowledged before any replica applied it, a put answers "created".
    auto flush_clustered = [&](const Target& t, const std::vector<size_t>& run) {
      const cluster::ShardMap& m = *t.clustered;
      std::vector<Json> docs;
      std::vector<size_t> slots;
      std::map<uint32_t, Status> caught_up;
      for (size_t i : run) {
        const BulkItem& it = items[i];
        auto doc = with_id(t.id_field(), t.name(), it.source, it.id);
        if (!doc) {
          answer(i, t, doc.status(), 0, "");
          continue;
        }
        if (it.op == BulkItem::Op::kCreate) {
          const uint32_t shard = cluster::shard_of(it.id, m.shards);
          if (!caught_up.count(shard)) caught_up.emplace(shard, catch_up(*cluster_, m.index, shard));
          auto cur = caught_up.at(shard) ? fetch_doc_clustered(m, it.id, req)
                                         : Result<std::optional<std::string>>(caught_up.at(shard));
          if (!cur || cur->has_value()) {
            answer(i, t, cur ? Status::exists("[" + it.id + "]: version conflict, document already exists") : cur.status(), 0, "");
            continue;
          }
        }
        docs.push_back(std::move(*doc));
        slots.push_back(i);
      }
      auto acks = cluster_->put_batch(m, docs);
      for (size_t k = 0; k < slots.size(); ++k) answer(slots[k], t, acks[k], 201, "created");
    };

    // A run of index/create items on one index with distinct ids: one put_many.
    std::vector<size_t> run;
    auto flush = [&]() {
      if (run.empty()) return;
      if (target[run.front()]->clustered) {
        flush_clustered(*target[run.front()], run);
        run.clear();
        return;
      }
      index::Index& idx = *target[run.front()]->local;
      std::vector<Json> docs;
      std::vector<size_t> slots;
      for (size_t i : run) {
        const BulkItem& it = items[i];
        auto doc = with_id(idx, it.source, it.id);
        if (!doc) {
          results[i] = item_result(it, idx.name(), it.id, 400, "", 0, from_status(doc.status(), "mapper_parsing_exception"));
          continue;
        }
        if (it.op == BulkItem::Op::kCreate) {
          auto cur = idx.get(it.id);
          if (!cur || cur->has_value()) {
            OsError e = cur ? OsError{409, "version_conflict_engine_exception",
                                      "[" + it.id + "]: version conflict, document already exists", idx.name()}
                            : from_status(cur.status());
            results[i] = item_result(it, idx.name(), it.id, e.status, "", 0, e);
            continue;
          }
        }
        docs.push_back(std::move(*doc));
        slots.push_back(i);
      }
      run.clear();
      if (docs.empty()) return;
      auto written = idx.put_many(docs, *w);
      for (size_t k = 0; k < slots.size(); ++k) {
        const BulkItem& it = items[slots[k]];
        if (written[k]) {
          bool replaced = written[k]->replaced;
          results[slots[k]] = item_result(it, idx.name(), it.id, replaced ? 200 : 201, replaced ? "updated" : "created",
                                          written[k]->seq, std::nullopt);
        } else {
          OsError e = from_status(written[k].status(), "mapper_parsing_exception");
          results[slots[k]] = item_result(it, idx.name(), it.id, e.status, "", 0, e);
        }
      }
    };
    std::set<std::string> run_ids;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!target[i]) continue;  // failed above
      const BulkItem& it = items[i];
      bool put = it.op == BulkItem::Op::kIndex || it.op == BulkItem::Op::kCreate;
      if (!put || (!run.empty() && (target[run.front()]->name() != target[i]->name() || run_ids.count(it.id)))) {
        flush();
        run_ids.clear();
      }
      if (put) {
        run.push_back(i);
        run_ids.insert(it.id);
        continue;
      }
      if (const Target& t = *target[i]; t.clustered) {
        if (it.op == BulkItem::Op::kDelete) {
          answer(i, t, cluster_->remove(*t.clustered, it.id), 200, "deleted");  // acknowledged whether or not it was stored
        } else {
          std::string result;
          auto ack = clustered_update(*this, t, it.id, it.source, req, &result);
          answer(i, t, ack, result == "created" ? 201 : 200, result);
        }
        continue;
      }
      index::Index& idx = *target[i]->local;
      if (it.op == BulkItem::Op::kDelete) {
        auto r = idx.remove(it.id, *w);
        if (!r) {
          OsError e = from_status(r.status());
          results[i] = item_result(it, idx.name(), it.id, e.status, "", 0, e);
        } else {
          results[i] = item_result(it, idx.name(), it.id, *r ? 200 : 404, *r ? "deleted" : "not_found",
                                   idx.stats().last_seq, std::nullopt);
        }
        continue;
      }
      std::string result;
      auto r = update_document(*this, idx, it.id, it.source, *w, &result);
      if (!r) {
        OsError e = r.status().code() == Status::Code::kNotFound
                        ? OsError{404, "document_missing_exception", r.status().message(), idx.name()}
                        : from_status(r.status(), "mapper_parsing_exception");
        results[i] = item_result(it, idx.name(), it.id, e.status, "", 0, e);
      } else {
        results[i] = item_result(it, idx.name(), it.id, result == "created" ? 201 : 200, result, r->seq, std::nullopt);
      }
    }
    flush();
    if (w->wait_visible)
      for (const auto& [name, seqs] : acked)
        if (Status st = seqs.wait_visible(*cluster_, name); !st) return reply_error(res, from_status(st));
    bool errors = false;
    Json arr = Json::array();
    for (auto& r : results) {
      const Json& one = r.as_object().front().second;
      errors = errors || one.find("error");
      arr.push(std::move(r));
    }
    Json out = Json::object();
    out.set("took", Json(static_cast<int64_t>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count())));
    out.set("errors", Json(errors));
    out.set("items", std::move(arr));
    send(res, 200, out);
  };
  route("POST", "/_bulk", [bulk](const httplib::Request& req, httplib::Response& res) { bulk(req, res, ""); });
  route("POST", "/{index}/_bulk", [bulk](const httplib::Request& req, httplib::Response& res) {
    bulk(req, res, req.matches[1]);
  });
}

}  // namespace meridian::server

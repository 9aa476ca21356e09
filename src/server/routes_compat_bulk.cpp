// Route of the OpenSearch-compatible API (docs/COMPAT.md): _bulk, with the
// index, create, update and delete actions and per-item results. Runs of
// index/create actions go to Index::put_many (one WAL sync per run, as the
// native bulk route); updates use ServerImpl::patch_document (the native
// merge patch), deletes Index::remove; each waits for its WAL sync.
#include <chrono>
#include <set>

#include "compat_http.h"
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
    std::vector<std::shared_ptr<index::Index>> target(items.size());
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
      if (may_create) {
        auto idx = index_for_write(*this, it.index);
        if (!idx) {
          fail(idx.status().code() == Status::Code::kNotFound ? index_not_found(it.index) : from_status(idx.status()));
          continue;
        }
        target[i] = *idx;
      } else if (auto idx = engine_->get(resolve_alias(it.index))) {
        target[i] = *idx;
      } else {
        fail(index_not_found(it.index));
        continue;
      }
    }

    // A run of index/create items on one index with distinct ids: one put_many.
    std::vector<size_t> run;
    auto flush = [&]() {
      if (run.empty()) return;
      index::Index& idx = *target[run.front()];
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
      if (!put || (!run.empty() && (target[run.front()] != target[i] || run_ids.count(it.id)))) {
        flush();
        run_ids.clear();
      }
      if (put) {
        run.push_back(i);
        run_ids.insert(it.id);
        continue;
      }
      index::Index& idx = *target[i];
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

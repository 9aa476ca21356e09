// ClusterNode's write path: publishing log records to the shard streams
// (message ids, bounded retries) and the document writes built on it: put,
// put_batch, remove, patch, truncate. The rest of ClusterNode is in cluster_node.cpp.
#include "meridian/cluster/cluster_node.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "meridian/cluster/log_record.h"
#include "meridian/cluster/placement.h"
#include "meridian/index/document.h"
#include "meridian/index/schema.h"
#include "meridian/index/schema_change.h"

namespace meridian::cluster {

std::string ClusterNode::next_msg_id() {
  return opt_.node_id + ":" + start_id_ + ":" + std::to_string(msg_counter_.fetch_add(1));
}

Result<WriteAck> ClusterNode::publish(const std::string& index, uint32_t shard, const std::string& body) {
  // One id per write, reused by the retries of that write: JetStream keeps
  // one copy even when an ack was lost and the publish is repeated.
  return publish(index, shard, body, next_msg_id());
}

Result<WriteAck> ClusterNode::publish(const std::string& index, uint32_t shard, const std::string& body,
                                      const std::string& id) {
  Status last;
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0; retry_publish(attempt, start); ++attempt) {
    auto ack = client_->publish(shard_subject(index, shard), body, id, opt_.timeout_ms);
    if (ack) {
      publishes_.fetch_add(1);
      return WriteAck{shard, ack->seq, ack->duplicate};
    }
    last = ack.status();
  }
  publish_failures_.fetch_add(1);
  return last.with_context("write not acknowledged by JetStream");
}

Result<WriteAck> ClusterNode::put(const std::string& index, const Json& doc) {
  MERIDIAN_ASSIGN_OR_RETURN(auto m, maps_->get(index));
  if (!m) return Status::not_found("no clustered index '" + index + "'");
  return put(*m, doc);
}

Result<WriteAck> ClusterNode::remove(const std::string& index, const std::string& id) {
  MERIDIAN_ASSIGN_OR_RETURN(auto m, maps_->get(index));
  if (!m) return Status::not_found("no clustered index '" + index + "'");
  return remove(*m, id);
}

Result<WriteAck> ClusterNode::put(const ShardMap& m, const Json& doc) {
  MERIDIAN_ASSIGN_OR_RETURN(auto schema, this->schema(m));
  // Refuse here what every replica would refuse, so an acknowledged write
  // is always applied.
  std::vector<index::FieldDef> added;
  auto parsed = index::parse_document(doc, *schema, &added);
  if (!parsed) return parsed.status();
  LogRecord r;
  r.doc = doc;
  return publish(m.index, shard_of(parsed->id, m.shards), r.encode());
}

std::vector<Result<WriteAck>> ClusterNode::put_batch(const ShardMap& m, const std::vector<Json>& docs) {
  constexpr int kWindow = 1024;  // publishes in flight at once
  std::vector<Result<WriteAck>> out(docs.size(), Result<WriteAck>(Status::io_error("not published")));
  auto schema = this->schema(m);
  if (!schema) {
    for (auto& r : out) r = schema.status();
    return out;
  }
  struct Item {
    size_t doc;
    uint32_t shard;
    std::string id;  // the document's
  };
  std::vector<Item> items;
  std::vector<PublishItem> msgs;
  for (size_t i = 0; i < docs.size(); ++i) {
    // Refuse here what every replica would refuse (see put()).
    std::vector<index::FieldDef> added;
    auto parsed = index::parse_document(docs[i], **schema, &added);
    if (!parsed) {
      out[i] = parsed.status();
      continue;
    }
    LogRecord r;
    r.doc = docs[i];
    const uint32_t shard = shard_of(parsed->id, m.shards);
    items.push_back(Item{i, shard, parsed->id});
    msgs.push_back(PublishItem{shard_subject(m.index, shard), r.encode(), next_msg_id()});
  }
  std::map<std::string, size_t> last_acked;  // document id -> last item acknowledged
  std::vector<size_t> todo(items.size());
  for (size_t k = 0; k < todo.size(); ++k) todo[k] = k;
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0; !todo.empty() && retry_publish(attempt, start); ++attempt) {
    std::vector<PublishItem> batch;
    for (size_t k : todo) batch.push_back(msgs[k]);  // same Nats-Msg-Id on a retry
    auto acks = client_->publish_batch(batch, opt_.timeout_ms, kWindow);
    std::vector<size_t> failed;
    for (size_t j = 0; j < todo.size(); ++j) {
      const Item& it = items[todo[j]];
      if (acks[j]) {
        publishes_.fetch_add(1);
        out[it.doc] = WriteAck{it.shard, acks[j]->seq, acks[j]->duplicate};
        size_t& last = last_acked[it.id];
        last = std::max(last, todo[j] + 1);
      } else {
        out[it.doc] = acks[j].status().with_context("write not acknowledged by JetStream");
        failed.push_back(todo[j]);
      }
    }
    todo.clear();
    for (size_t k : failed) {
      auto it = last_acked.find(items[k].id);
      if (it != last_acked.end() && it->second > k + 1) {
        out[items[k].doc] = Status::io_error(
            "write not acknowledged by JetStream, and not retried: a later write of the same id in this request was "
            "acknowledged");
        continue;
      }
      todo.push_back(k);
    }
  }
  for (const auto& it : items)
    if (!out[it.doc]) publish_failures_.fetch_add(1);
  return out;
}

Result<WriteAck> ClusterNode::remove(const ShardMap& m, const std::string& id) {
  if (id.empty()) return Status::invalid("document id is empty");
  LogRecord r;
  r.op = LogRecord::Op::kDelete;
  r.id = id;
  return publish(m.index, shard_of(id, m.shards), r.encode());
}

Result<WriteAck> ClusterNode::patch(const ShardMap& m, const std::string& id, const Json& patch, bool upsert) {
  if (id.empty()) return Status::invalid("document id is empty");
  if (!patch.is_object()) return Status::invalid("a merge patch must be an object");
  LogRecord r;
  r.op = LogRecord::Op::kPatch;
  r.id = id;
  r.doc = patch;
  r.upsert = upsert;
  return publish(m.index, shard_of(id, m.shards), r.encode());
}

std::vector<Result<WriteAck>> ClusterNode::truncate(const ShardMap& m) {
  LogRecord r;
  r.op = LogRecord::Op::kTruncate;
  return publish_to_shards(m, r.encode(), "truncate");
}

std::vector<Result<WriteAck>> ClusterNode::publish_to_shards(const ShardMap& m, const std::string& body,
                                                             const std::string& what) {
  std::vector<PublishItem> msgs;
  for (uint32_t s = 0; s < m.shards; ++s) msgs.push_back(PublishItem{shard_subject(m.index, s), body, next_msg_id()});
  std::vector<Result<WriteAck>> out(m.shards, Result<WriteAck>(Status::io_error("not published")));
  std::vector<uint32_t> todo(m.shards);
  for (uint32_t s = 0; s < m.shards; ++s) todo[s] = s;
  const auto start = std::chrono::steady_clock::now();
  for (int attempt = 0; !todo.empty() && retry_publish(attempt, start); ++attempt) {
    std::vector<PublishItem> batch;
    for (uint32_t s : todo) batch.push_back(msgs[s]);  // same Nats-Msg-Id on a retry
    auto acks = client_->publish_batch(batch, opt_.timeout_ms, static_cast<int>(batch.size()));
    std::vector<uint32_t> failed;
    for (size_t j = 0; j < todo.size(); ++j) {
      const uint32_t s = todo[j];
      if (acks[j]) {
        publishes_.fetch_add(1);
        out[s] = WriteAck{s, acks[j]->seq, acks[j]->duplicate};
      } else {
        out[s] = acks[j].status().with_context(what + " not acknowledged by JetStream");
        failed.push_back(s);
      }
    }
    todo = std::move(failed);
  }
  publish_failures_.fetch_add(todo.size());
  return out;
}

Result<ClusterNode::SchemaPatch> ClusterNode::patch_schema(const std::string& index, const Json& body, Json* extra) {
  SchemaPatch out;
  // Checked against the schema read, so a change that loses the
  // compare-and-set is checked again against the winner's.
  MERIDIAN_ASSIGN_OR_RETURN(
      out.map, maps_->modify(index, "schema", [&](const ShardMap& cur) -> Result<std::optional<ShardMap>> {
        MERIDIAN_ASSIGN_OR_RETURN(auto schema, this->schema(cur));
        MERIDIAN_ASSIGN_OR_RETURN(index::SchemaChange change, index::check_schema_change(*schema, body, extra));
        out.added = change.added;
        if (change.added.empty()) return std::optional<ShardMap>();  // unchanged: the record is published again
        index::Schema next = *schema;
        MERIDIAN_RETURN_IF_ERROR(next.merge(change.add));
        ShardMap m = cur;
        m.schema = next.to_json();
        m.schema_version = cur.schema_version + 1;
        return std::optional<ShardMap>(std::move(m));
      }));
  const auto at = std::chrono::steady_clock::now();
  LogRecord r;
  r.op = LogRecord::Op::kSchema;
  r.doc = out.map.schema;
  auto acks = publish_to_shards(out.map, r.encode(), "schema change");
  std::string failed;
  for (uint32_t s = 0; s < acks.size(); ++s)
    if (!acks[s]) failed += (failed.empty() ? "" : "; ") + std::string("shard ") + std::to_string(s) + ": " +
                            acks[s].status().message();
  if (!failed.empty())
    return Status::io_error("schema of '" + index + "' stored, but not every shard's log has it (resend the change): " +
                            failed);
  (void)refresh_view();
  // Every router's view is at most sync_ms old when used (view()): once
  // sync_ms has passed, every node parses searches with the new schema.
  std::this_thread::sleep_until(at + std::chrono::milliseconds(opt_.sync_ms));
  return out;
}

bool ClusterNode::retry_publish(int attempt, std::chrono::steady_clock::time_point start) const {
  if (attempt == 0) return true;
  if (attempt >= 3 && std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(opt_.publish_retry_ms))
    return false;
  // 100, 200, 400, 800 ms, then every second
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 100 << std::min(attempt - 1, 4))));
  return true;
}

}  // namespace meridian::cluster

// Index: recovery at open (manifest, segments, deletes, orphan files, WAL replay).
#include "meridian/index/index.h"

#include <chrono>
#include <cstdio>
#include <set>

#include "deletes_file.h"
#include "meridian/base/bytes.h"
#include "meridian/index/document.h"
#include "meridian/index/term_key.h"

namespace meridian::index {

namespace {

// Parses "seg-<id>.<rest>"; returns false for other names.
bool parse_segment_name(const std::string& n, uint64_t* id, std::string* rest) {
  if (n.size() < 16 || n.compare(0, 4, "seg-") != 0 || n[14] != '.') return false;
  unsigned long long v = 0;
  if (std::sscanf(n.c_str() + 4, "%10llu", &v) != 1) return false;
  *id = v;
  *rest = n.substr(15);
  return true;
}

}  // namespace

Status Index::recover(const Schema* create_schema) {
  // No other thread has the index yet: mu_ is held throughout (a refresh
  // during the replay writes its segment under it), and released before
  // the commit at the end.
  std::unique_lock<std::mutex> lock(mu_);
  Manifest man;
  auto loaded = load_manifest(dir_);
  if (loaded) {
    man = std::move(*loaded);
  } else if (loaded.status().code() == Status::Code::kNotFound && create_schema) {
    man.generation = 1;
    man.schema = create_schema->to_json();
    MERIDIAN_RETURN_IF_ERROR(publish_manifest(dir_, man));
  } else {
    return loaded.status();
  }
  auto schema = Schema::from_json(man.schema);
  if (!schema) return Status::corruption(dir_ + ": manifest schema: " + schema.status().message());
  schema_ = std::make_shared<const Schema>(std::move(*schema));
  manifest_gen_ = man.generation;
  last_seq_ = committed_seq_ = flushed_seq_ = man.last_seq;
  next_segment_id_ = man.next_segment_id;
  sources_ = flushed_sources_ = man.sources;

  std::set<uint64_t> live;
  for (const auto& ms : man.segments) {
    auto seg = Segment::open(dir_, ms.id);
    if (!seg) return seg.status();
    segments_.push_back(*seg);
    live.insert(ms.id);
    if (ms.del_gen) {
      auto del = read_deletes(deletes_file(dir_, ms.id, ms.del_gen));
      if (!del) return del.status();
      deletes_[ms.id] = *del;
      del_gen_[ms.id] = ms.del_gen;
    }
  }
  // Files no manifest refers to are left over from a crash: remove them.
  MERIDIAN_ASSIGN_OR_RETURN(auto names, fs::list_dir(dir_));
  for (const auto& n : names) {
    uint64_t id;
    std::string rest;
    bool orphan = false;
    if (parse_segment_name(n, &id, &rest)) {
      if (!live.count(id)) {
        orphan = true;
      } else if (rest.size() > 4 && rest.compare(rest.size() - 4, 4, ".del") == 0) {
        orphan = rest != std::to_string(del_gen_.count(id) ? del_gen_[id] : 0) + ".del";
      }
    } else if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) {
      orphan = true;
    }
    if (orphan) MERIDIAN_RETURN_IF_ERROR(fs::remove_file(fs::join(dir_, n)));
  }

  WalReplayStats rs;
  Status st = replay_wal(dir_, last_seq_, [&](const WalRecord& rec) -> Status {
    switch (rec.type) {
      case WalRecordType::kPut: {
        auto doc = parse_json(rec.payload);
        if (!doc) return Status::corruption(dir_ + ": WAL seq " + std::to_string(rec.seq) + ": bad document");
        PutResult ignored;
        return apply_put_locked(rec.seq, *doc, false, &ignored);
      }
      case WalRecordType::kPutOrdered: {
        ByteReader r(rec.payload);
        const uint64_t order = r.u64();
        auto doc = parse_json(r.bytes(r.remaining()));
        if (r.failed() || order == 0 || !doc)
          return Status::corruption(dir_ + ": WAL seq " + std::to_string(rec.seq) + ": bad ordered document");
        PutResult ignored;
        return apply_put_locked(rec.seq, *doc, false, &ignored, order);
      }
      case WalRecordType::kDelete: {
        bool existed;
        return apply_delete_locked(rec.seq, rec.payload, false, &existed);
      }
      case WalRecordType::kTruncate:
        return apply_truncate_locked(rec.seq, false);
      case WalRecordType::kPosition: {
        ByteReader r(rec.payload);
        std::string src(r.str());
        std::string pos(r.bytes(r.remaining()));
        if (r.failed()) return Status::corruption(dir_ + ": WAL seq " + std::to_string(rec.seq) + ": bad position");
        sources_[src] = pos;
        last_seq_ = rec.seq;
        return Status::ok();
      }
    }
    return Status::corruption(dir_ + ": WAL seq " + std::to_string(rec.seq) + ": unknown record type");
  }, &rs);
  MERIDIAN_RETURN_IF_ERROR(st);
  MERIDIAN_ASSIGN_OR_RETURN(auto wal, WalWriter::create(dir_, last_seq_ + 1));
  wal_ = std::move(wal);
  if (slots_empty_locked() && pending_deletes_.empty()) {
    flushed_seq_ = last_seq_;
    flushed_sources_ = sources_;
  }
  publish_locked();
  const bool replayed = rs.records > 0 || last_seq_ > committed_seq_;
  lock.unlock();
  if (replayed) MERIDIAN_RETURN_IF_ERROR(commit_now());
  return Status::ok();
}


}  // namespace meridian::index

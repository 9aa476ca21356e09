#include "meridian/index/index.h"

#include <chrono>
#include <cstdio>
#include <set>

#include "meridian/base/bytes.h"
#include "meridian/base/file_frame.h"
#include "meridian/index/document.h"
#include "meridian/index/term_key.h"

namespace meridian::index {
namespace {

constexpr uint32_t kDeletesMagic = fourcc("MDEL");
constexpr uint32_t kDeletesVersion = 1;

Result<std::shared_ptr<const postings::Bitmap>> read_deletes(const std::string& path) {
  MERIDIAN_ASSIGN_OR_RETURN(std::string bytes, fs::read_file(path));
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo fi, unframe_file(bytes, kDeletesMagic, 1, kDeletesVersion, path));
  MERIDIAN_ASSIGN_OR_RETURN(postings::Bitmap bm, postings::Bitmap::deserialize(fi.body, path));
  return std::make_shared<const postings::Bitmap>(std::move(bm));
}

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

Index::Index(std::string dir, std::string name, IndexOptions opt)
    : dir_(std::move(dir)), name_(std::move(name)), opt_(opt) {}

Result<std::unique_ptr<Index>> Index::open(const std::string& dir, const std::string& name, const IndexOptions& opt,
                                           const Schema* create_schema) {
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(dir));
  std::unique_ptr<Index> ix(new Index(dir, name, opt));
  MERIDIAN_RETURN_IF_ERROR(ix->recover(create_schema));
  if (opt.background) ix->bg_ = std::thread([p = ix.get()] { p->background_loop(); });
  return ix;
}

Index::~Index() { (void)close(); }

Status Index::recover(const Schema* create_schema) {
  std::lock_guard<std::mutex> lock(mu_);
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
  last_seq_ = committed_seq_ = man.last_seq;
  next_segment_id_ = man.next_segment_id;
  sources_ = man.sources;

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

  builder_ = std::make_unique<SegmentBuilder>();
  WalReplayStats rs;
  Status st = replay_wal(dir_, last_seq_, [&](const WalRecord& rec) -> Status {
    switch (rec.type) {
      case WalRecordType::kPut: {
        auto doc = parse_json(rec.payload);
        if (!doc) return Status::corruption(dir_ + ": WAL seq " + std::to_string(rec.seq) + ": bad document");
        PutResult ignored;
        return apply_put_locked(rec.seq, *doc, false, &ignored);
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
  publish_locked();
  if (rs.records > 0 || last_seq_ > committed_seq_) MERIDIAN_RETURN_IF_ERROR(commit_locked());
  return Status::ok();
}

std::shared_ptr<const Schema> Index::schema() const {
  std::lock_guard<std::mutex> lock(mu_);
  return schema_;
}

bool Index::is_deleted_locked(uint64_t seg, uint32_t doc) const {
  auto it = deletes_.find(seg);
  if (it != deletes_.end() && it->second->contains(doc)) return true;
  auto pit = pending_deletes_.find(seg);
  return pit != pending_deletes_.end() && pit->second.contains(doc);
}

std::optional<std::pair<uint64_t, uint32_t>> Index::find_live_locked(std::string_view id) const {
  const std::string key = term_key(kIdField, id);
  for (size_t i = segments_.size(); i-- > 0;) {
    const auto& seg = segments_[i];
    auto p = seg->postings_for(key);
    if (!p || !p->has_value()) continue;
    std::optional<uint32_t> live;
    (*p)->docs().for_each([&](uint32_t d) {
      if (!is_deleted_locked(seg->id(), d)) live = d;
      return true;
    });
    if (live) return std::make_pair(seg->id(), *live);
  }
  return std::nullopt;
}

Status Index::apply_put_locked(uint64_t seq, const Json& doc, bool log, PutResult* out) {
  Prepared p;
  p.doc = parse_document(doc, *schema_, &p.new_fields);
  return apply_prepared_locked(seq, p, log, out);
}

Status Index::apply_prepared_locked(uint64_t seq, Prepared& p, bool log, PutResult* out) {
  if (!p.doc) return p.doc.status();
  ParsedDoc& pd = *p.doc;
  // The schema may have grown since the document was prepared: a field the
  // document introduced must still agree with what others added meanwhile.
  std::shared_ptr<Schema> ns;
  for (auto& f : p.new_fields) {
    if (const FieldDef* have = schema_->find(f.name)) {
      if (have->type != f.type)
        return Status::invalid("document '" + pd.id + "': field '" + f.name + "' has type " +
                               std::string(field_type_name(have->type)) + ", got a value of type " +
                               std::string(field_type_name(f.type)));
      continue;
    }
    if (!ns) ns = std::make_shared<Schema>(*schema_);
    MERIDIAN_RETURN_IF_ERROR(ns->add(f));
  }
  for (const auto& fv : pd.fields) {  // fields known when prepared keep their type
    const FieldDef* have = (ns ? static_cast<const Schema&>(*ns) : *schema_).find(fv.name);
    if (!have) return Status::internal("field '" + fv.name + "' missing from the schema");
  }
  if (log) MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kPut, pd.source));
  if (ns) schema_ = std::move(ns);
  out->seq = seq;
  out->replaced = builder_->find(pd.id).has_value();
  if (!out->replaced) {
    if (auto hit = find_live_locked(pd.id)) {
      pending_deletes_[hit->first].add(hit->second);
      out->replaced = true;
    }
  }
  builder_->add(pd, *schema_);
  last_seq_ = seq;
  if (listener_active_) unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kPut, pd.id, pd.source});
  if (builder_->approx_bytes() > opt_.max_builder_bytes) return refresh_locked();
  return Status::ok();
}

Status Index::apply_delete_locked(uint64_t seq, std::string_view id, bool log, bool* existed) {
  if (log) MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kDelete, id));
  *existed = builder_->remove(id);
  if (!*existed) {
    if (auto hit = find_live_locked(id)) {
      pending_deletes_[hit->first].add(hit->second);
      *existed = true;
    }
  }
  last_seq_ = seq;
  if (listener_active_ && *existed)
    unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kDelete, std::string(id), {}});
  return Status::ok();
}

Status Index::apply_truncate_locked(uint64_t seq, bool log) {
  if (log) MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kTruncate, {}));
  builder_ = std::make_unique<SegmentBuilder>();
  for (const auto& seg : segments_) pending_deletes_[seg->id()].add_range(0, seg->num_docs());
  last_seq_ = seq;
  if (listener_active_) unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kTruncate, {}, {}});
  return Status::ok();
}

Status Index::sync(uint64_t seq, const std::shared_ptr<WalWriter>& wal) { return wal->sync_to(seq); }

Result<PutResult> Index::put(const Json& doc, const WriteOptions& w) {
  auto results = put_many(std::vector<Json>{doc}, w);
  return std::move(results[0]);
}

std::vector<Result<PutResult>> Index::put_many(const std::vector<Json>& docs, const WriteOptions& w) {
  return apply(prepare(docs), w);
}

std::vector<Index::Prepared> Index::prepare(const std::vector<Json>& docs) const {
  std::shared_ptr<const Schema> schema = this->schema();
  std::vector<Prepared> out(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) out[i].doc = parse_document(docs[i], *schema, &out[i].new_fields);
  return out;
}

std::vector<Result<PutResult>> Index::apply(std::vector<Prepared>&& docs, const WriteOptions& w) {
  std::vector<Result<PutResult>> out;
  out.reserve(docs.size());
  std::shared_ptr<WalWriter> wal;
  uint64_t max_seq = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) {
      for (size_t i = 0; i < docs.size(); ++i) out.emplace_back(Status::invalid("index '" + name_ + "' is closed"));
      return out;
    }
    for (Prepared& p : docs) {
      PutResult r;
      Status st = apply_prepared_locked(last_seq_ + 1, p, true, &r);
      if (st.is_ok()) {
        max_seq = r.seq;
        out.emplace_back(r);
      } else {
        out.emplace_back(st);
      }
    }
    wal = wal_;
  }
  if (max_seq) {
    Status st = sync(max_seq, wal);
    if (st.is_ok() && w.wait_visible) st = wait_visible(max_seq);
    if (!st.is_ok())
      for (auto& r : out)
        if (r.is_ok()) r = st;
  }
  return out;
}

Result<bool> Index::remove(std::string_view id, const WriteOptions& w) {
  std::shared_ptr<WalWriter> wal;
  uint64_t seq;
  bool existed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::invalid("index '" + name_ + "' is closed");
    seq = last_seq_ + 1;
    MERIDIAN_RETURN_IF_ERROR(apply_delete_locked(seq, id, true, &existed));
    wal = wal_;
  }
  MERIDIAN_RETURN_IF_ERROR(sync(seq, wal));
  if (w.wait_visible) MERIDIAN_RETURN_IF_ERROR(wait_visible(seq));
  return existed;
}

Status Index::truncate(const WriteOptions& w) {
  std::shared_ptr<WalWriter> wal;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::invalid("index '" + name_ + "' is closed");
    seq = last_seq_ + 1;
    MERIDIAN_RETURN_IF_ERROR(apply_truncate_locked(seq, true));
    wal = wal_;
  }
  MERIDIAN_RETURN_IF_ERROR(sync(seq, wal));
  if (w.wait_visible) MERIDIAN_RETURN_IF_ERROR(wait_visible(seq));
  return Status::ok();
}

Status Index::set_source_position(const std::string& source, const std::string& position) {
  std::shared_ptr<WalWriter> wal;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::invalid("index '" + name_ + "' is closed");
    std::string payload;
    ByteWriter bw(&payload);
    bw.str(source);
    bw.bytes(position);
    seq = last_seq_ + 1;
    MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kPosition, payload));
    sources_[source] = position;
    last_seq_ = seq;
    wal = wal_;
  }
  return sync(seq, wal);
}

std::optional<std::string> Index::source_position(const std::string& source) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sources_.find(source);
  if (it == sources_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<std::string>> Index::get(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto d = builder_->find(id)) return std::optional<std::string>(builder_->source(*d));
  auto hit = find_live_locked(id);
  if (!hit) return std::optional<std::string>();
  for (const auto& seg : segments_) {
    if (seg->id() != hit->first) continue;
    auto src = seg->store().get(hit->second);
    if (!src) return src.status();
    return std::optional<std::string>(std::move(*src));
  }
  return std::optional<std::string>();
}

void Index::publish_locked() {
  ++generation_;
  std::vector<SegmentView> views;
  views.reserve(segments_.size());
  for (const auto& seg : segments_) {
    auto it = deletes_.find(seg->id());
    views.push_back(SegmentView{seg, it == deletes_.end() ? nullptr : it->second});
  }
  auto snap = std::make_shared<const Snapshot>(generation_, last_seq_, schema_, std::move(views));
  std::atomic_store(&snapshot_, std::shared_ptr<const Snapshot>(snap));
  {
    std::lock_guard<std::mutex> vl(visible_mu_);
    visible_seq_ = last_seq_;
  }
  visible_cv_.notify_all();
  if (!unpublished_events_.empty()) {
    std::vector<ChangeEvent> events;
    events.swap(unpublished_events_);
    std::lock_guard<std::mutex> ll(listener_mu_);
    if (listener_)
      for (const auto& ev : events) listener_(ev);
  }
}

Status Index::refresh_locked() {
  if (builder_->empty() && pending_deletes_.empty()) {
    if (snapshot_ && snapshot()->visible_seq() == last_seq_ && snapshot()->schema_ptr() == schema_) return Status::ok();
    publish_locked();
    return Status::ok();
  }
  if (!builder_->empty()) {
    const uint64_t id = next_segment_id_++;
    postings::Bitmap bdel = builder_->deletes().copy();
    std::unique_ptr<SegmentBuilder> b = std::move(builder_);
    builder_ = std::make_unique<SegmentBuilder>();
    Status st = b->write(dir_, id, false);
    if (st.is_ok()) {
      auto seg = Segment::open(dir_, id);
      if (seg) {
        segments_.push_back(*seg);
        unsynced_segments_.push_back(id);
        if (!bdel.is_empty()) {
          deletes_[id] = std::make_shared<const postings::Bitmap>(std::move(bdel));
          del_dirty_[id] = true;
        }
      } else {
        st = seg.status();
      }
    }
    if (!st.is_ok()) {
      // The documents are still in the WAL: reopening the index recovers them.
      for (auto ext : kSegmentExts) (void)fs::remove_file(segment_file(dir_, id, ext));
      closed_ = true;
      return st.with_context("refresh of index '" + name_ + "' failed; the index must be reopened");
    }
  }
  for (auto& [seg, bm] : pending_deletes_) {
    postings::Bitmap merged = deletes_.count(seg) ? deletes_[seg]->copy() : postings::Bitmap();
    merged.or_inplace(bm);
    deletes_[seg] = std::make_shared<const postings::Bitmap>(std::move(merged));
    del_dirty_[seg] = true;
  }
  pending_deletes_.clear();
  // Segments with nothing left alive leave the snapshot now; their files go
  // after the next commit stops referring to them.
  for (size_t i = 0; i < segments_.size();) {
    auto it = deletes_.find(segments_[i]->id());
    if (it != deletes_.end() && it->second->cardinality() >= segments_[i]->num_docs()) {
      retired_.push_back(segments_[i]);
      deletes_.erase(it);
      del_dirty_.erase(segments_[i]->id());
      segments_.erase(segments_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  publish_locked();
  return Status::ok();
}

Status Index::refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::ok();
  return refresh_locked();
}

Status Index::commit_locked() {
  MERIDIAN_RETURN_IF_ERROR(refresh_locked());
  for (uint64_t id : unsynced_segments_)
    for (auto ext : kSegmentExts) MERIDIAN_RETURN_IF_ERROR(fs::fsync_file(segment_file(dir_, id, ext)));
  unsynced_segments_.clear();
  Manifest m;
  m.generation = manifest_gen_ + 1;
  std::map<uint64_t, uint64_t> old_gens;
  for (auto& [seg, dirty] : del_dirty_) {
    auto it = deletes_.find(seg);
    if (it == deletes_.end()) continue;
    std::string body = it->second->serialize();
    MERIDIAN_RETURN_IF_ERROR(fs::write_file_atomic(deletes_file(dir_, seg, m.generation),
                                                   frame_file(kDeletesMagic, kDeletesVersion, body)));
    if (del_gen_.count(seg)) old_gens[seg] = del_gen_[seg];
    del_gen_[seg] = m.generation;
  }
  del_dirty_.clear();
  m.last_seq = last_seq_;
  m.next_segment_id = next_segment_id_;
  m.schema = schema_->to_json();
  m.sources = sources_;
  for (const auto& seg : segments_) {
    ManifestSegment ms;
    ms.id = seg->id();
    ms.docs = seg->num_docs();
    auto it = deletes_.find(seg->id());
    ms.deleted = it == deletes_.end() ? 0 : static_cast<uint32_t>(it->second->cardinality());
    ms.del_gen = ms.deleted ? del_gen_[seg->id()] : 0;
    m.segments.push_back(ms);
  }
  MERIDIAN_RETURN_IF_ERROR(fs::fsync_dir(dir_));
  MERIDIAN_RETURN_IF_ERROR(publish_manifest(dir_, m));
  manifest_gen_ = m.generation;
  committed_seq_ = last_seq_;
  // Now nothing committed refers to older files.
  for (auto& [seg, gen] : old_gens) (void)fs::remove_file(deletes_file(dir_, seg, gen));
  for (auto& seg : retired_) {
    if (del_gen_.count(seg->id())) (void)fs::remove_file(deletes_file(dir_, seg->id(), del_gen_[seg->id()]));
    del_gen_.erase(seg->id());
    seg->mark_obsolete();
  }
  retired_.clear();
  if (wal_->first_seq() <= last_seq_) {
    MERIDIAN_ASSIGN_OR_RETURN(auto wal, WalWriter::create(dir_, last_seq_ + 1));
    wal_ = std::move(wal);
    MERIDIAN_ASSIGN_OR_RETURN(auto files, list_wal_files(dir_));
    for (const auto& [first, path] : files)
      if (first <= last_seq_) MERIDIAN_RETURN_IF_ERROR(fs::remove_file(path));
  }
  return Status::ok();
}

Status Index::commit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::invalid("index '" + name_ + "' is closed");
  return commit_locked();
}

Status Index::add_fields(const Schema& fields) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::invalid("index '" + name_ + "' is closed");
  auto ns = std::make_shared<Schema>(*schema_);
  MERIDIAN_RETURN_IF_ERROR(ns->merge(fields));
  schema_ = std::move(ns);
  return commit_locked();
}

Status Index::wait_visible(uint64_t seq) {
  if (!opt_.background) return refresh();
  {
    std::lock_guard<std::mutex> bl(bg_mu_);
    refresh_wanted_ = true;
  }
  bg_cv_.notify_all();
  std::unique_lock<std::mutex> vl(visible_mu_);
  if (!visible_cv_.wait_for(vl, std::chrono::seconds(30), [&] { return visible_seq_ >= seq; }))
    return Status::internal("timed out waiting for a refresh");
  return Status::ok();
}

void Index::set_change_listener(std::function<void(const ChangeEvent&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  std::lock_guard<std::mutex> ll(listener_mu_);
  listener_active_ = static_cast<bool>(fn);
  listener_ = std::move(fn);
}

IndexStats Index::stats() const {
  IndexStats s;
  auto snap = snapshot();
  std::lock_guard<std::mutex> lock(mu_);
  s.docs = snap->live_docs();
  s.deleted = snap->total_docs() - s.docs;
  s.segments = snap->segments().size();
  for (const auto& v : snap->segments()) s.bytes_on_disk += v.segment->bytes_on_disk();
  s.last_seq = last_seq_;
  s.visible_seq = snap->visible_seq();
  s.committed_seq = committed_seq_;
  s.generation = snap->generation();
  s.merges = merges_;
  s.wal_bytes = wal_ ? wal_->bytes() : 0;
  s.bytes_on_disk += s.wal_bytes;
  return s;
}

void Index::background_loop() {
  using clock = std::chrono::steady_clock;
  auto last_commit = clock::now();
  for (;;) {
    {
      std::unique_lock<std::mutex> bl(bg_mu_);
      bg_cv_.wait_for(bl, std::chrono::milliseconds(opt_.refresh_interval_ms),
                      [&] { return stop_ || refresh_wanted_; });
      if (stop_) return;
      refresh_wanted_ = false;
    }
    (void)refresh();
    if (opt_.commit_interval_ms && clock::now() - last_commit > std::chrono::milliseconds(opt_.commit_interval_ms)) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closed_ && (last_seq_ > committed_seq_ || !retired_.empty())) (void)commit_locked();
      last_commit = clock::now();
    }
    (void)maybe_merge();
  }
}

Status Index::close() {
  {
    std::lock_guard<std::mutex> bl(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  std::lock_guard<std::mutex> mlock(merge_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::ok();
  if (!wal_) {  // recovery did not complete: nothing to commit
    closed_ = true;
    return Status::ok();
  }
  Status st = commit_locked();
  closed_ = true;
  return st;
}

}  // namespace meridian::index

#include "meridian/index/index.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "deletes_file.h"
#include "meridian/base/bytes.h"
#include "meridian/index/document.h"
#include "meridian/index/term_key.h"

namespace meridian::index {

Index::Index(std::string dir, std::string name, IndexOptions opt)
    : dir_(std::move(dir)), name_(std::move(name)), opt_(opt) {
  unsigned n = opt.writer_slots ? opt.writer_slots : std::min(8u, std::max(1u, std::thread::hardware_concurrency()));
  for (unsigned i = 0; i < n; ++i) slots_.push_back(std::make_unique<WriterSlot>());
}

Result<std::unique_ptr<Index>> Index::open(const std::string& dir, const std::string& name, const IndexOptions& opt,
                                           const Schema* create_schema) {
  MERIDIAN_RETURN_IF_ERROR(fs::ensure_dir(dir));
  std::unique_ptr<Index> ix(new Index(dir, name, opt));
  MERIDIAN_RETURN_IF_ERROR(ix->recover(create_schema));
  if (opt.background) ix->bg_ = std::thread([p = ix.get()] { p->background_loop(); });
  return ix;
}

Index::~Index() { (void)close(); }

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

Result<std::optional<std::pair<uint64_t, uint32_t>>> Index::find_live_locked(std::string_view id) const {
  using Found = std::optional<std::pair<uint64_t, uint32_t>>;
  const std::string key = term_key(kIdField, id);
  for (size_t i = segments_.size(); i-- > 0;) {
    const auto& seg = segments_[i];
    auto p = seg->postings_for(key);
    // A damaged segment must not be skipped: the put would add a second copy.
    if (!p) return p.status().with_context("looking up id '" + std::string(id) + "'");
    if (!p->has_value()) continue;
    std::optional<uint32_t> live;
    (*p)->docs().for_each([&](uint32_t d) {
      if (!is_deleted_locked(seg->id(), d)) live = d;
      return true;
    });
    if (live) return Found(std::make_pair(seg->id(), *live));
  }
  return Found();
}

Status Index::apply_put_locked(uint64_t seq, const Json& doc, bool log, PutResult* out) {
  Prepared p;
  p.doc = parse_document(doc, *schema_, &p.new_fields);
  return apply_prepared_locked(seq, p, log, out);
}

Index::WriterSlot& Index::acquire_slot_locked(std::unique_lock<std::mutex>* slot_lock) {
  // The first idle slot: a lone writer always fills slot 0.
  for (auto& s : slots_) {
    std::unique_lock<std::mutex> l(s->mu, std::try_to_lock);
    if (l.owns_lock()) {
      *slot_lock = std::move(l);
      return *s;
    }
  }
  // All busy: wait for one. Its holder is adding documents and does not
  // need mu_ for that, so waiting under mu_ cannot deadlock.
  WriterSlot& s = *slots_[next_slot_++ % slots_.size()];
  *slot_lock = std::unique_lock<std::mutex>(s.mu);
  return s;
}

std::optional<std::pair<Index::WriterSlot*, Index::WriterSlot::IdMap::iterator>> Index::find_in_slots_locked(
    std::string_view id) const {
  for (const auto& s : slots_) {
    auto it = s->ids.find(id);
    if (it != s->ids.end()) return std::make_pair(s.get(), it);
  }
  return std::nullopt;
}

size_t Index::slot_bytes_locked() const {
  size_t n = 0;
  for (const auto& s : slots_) n += s->bytes;
  return n;
}

bool Index::slots_empty_locked() const {
  for (const auto& s : slots_)
    if (s->reserved) return false;
  return true;
}

Status Index::reprepare_if_stale_locked(Prepared& p) const {
  // A field the document typed by dynamic mapping may have been added
  // meanwhile (by an earlier document of the same batch, or another writer)
  // with another type: "lon": 20 typed int after "lon": 20.5 made it float.
  // The document is then parsed again against the current schema, exactly
  // as if it had come after: 20 is stored as 20.0, a date-like string in a
  // text field is text. Only a value the current type cannot hold fails.
  bool stale = false;
  for (const auto& f : p.new_fields) {
    const FieldDef* have = schema_->find(f.name);
    if (have && have->type != f.type) stale = true;
  }
  if (!stale) return Status::ok();
  auto json = parse_json(p.doc->source);
  if (!json) return Status::internal("re-parsing the source of document '" + p.doc->id + "': " + json.status().message());
  p.new_fields.clear();
  p.doc = parse_document(*json, *schema_, &p.new_fields);
  return p.doc.status();
}

Status Index::admit_locked(uint64_t seq, Prepared& p, bool log, WriterSlot& slot, PutResult* out) {
  if (!p.doc) return p.doc.status();
  MERIDIAN_RETURN_IF_ERROR(reprepare_if_stale_locked(p));
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
  auto hit = find_in_slots_locked(pd.id);
  std::optional<std::pair<uint64_t, uint32_t>> live;
  if (!hit) {
    MERIDIAN_ASSIGN_OR_RETURN(live, find_live_locked(pd.id));
  }
  if (log) MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kPut, pd.source));
  if (ns) schema_ = std::move(ns);
  out->seq = seq;
  out->replaced = false;
  if (hit) {
    auto& [in, entry] = *hit;
    in->deletes.add(entry->second);
    out->replaced = true;
    if (in == &slot) {  // replaced in this slot: its entry moves to the new doc
      entry->second = slot.reserved++;
    } else {
      in->ids.erase(entry);
      slot.ids.emplace(pd.id, slot.reserved++);
    }
  } else {
    if (live) {
      pending_deletes_[live->first].add(live->second);
      out->replaced = true;
    }
    slot.ids.emplace(pd.id, slot.reserved++);
  }
  last_seq_ = seq;
  if (listener_active_) unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kPut, pd.id, pd.source});
  return Status::ok();
}

Status Index::apply_prepared_locked(uint64_t seq, Prepared& p, bool log, PutResult* out) {
  std::unique_lock<std::mutex> sl;
  WriterSlot& slot = acquire_slot_locked(&sl);
  MERIDIAN_RETURN_IF_ERROR(admit_locked(seq, p, log, slot, out));
  slot.builder->add(*p.doc, *schema_);
  slot.bytes = slot.builder->approx_bytes();
  sl.unlock();
  if (slot_bytes_locked() > opt_.max_builder_bytes) return refresh_locked();
  return Status::ok();
}

Status Index::apply_delete_locked(uint64_t seq, std::string_view id, bool log, bool* existed) {
  auto hit = find_in_slots_locked(id);
  std::optional<std::pair<uint64_t, uint32_t>> live;
  if (!hit) {
    MERIDIAN_ASSIGN_OR_RETURN(live, find_live_locked(id));
  }
  if (log) MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kDelete, id));
  *existed = false;
  if (hit) {
    auto& [in, entry] = *hit;
    in->deletes.add(entry->second);
    in->ids.erase(entry);
    *existed = true;
  } else if (live) {
    pending_deletes_[live->first].add(live->second);
    *existed = true;
  }
  last_seq_ = seq;
  if (listener_active_ && *existed)
    unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kDelete, std::string(id), {}});
  return Status::ok();
}

Status Index::apply_truncate_locked(uint64_t seq, bool log) {
  if (log) MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kTruncate, {}));
  for (auto& s : slots_) {
    std::lock_guard<std::mutex> sl(s->mu);
    s->take();
  }
  for (const auto& seg : segments_) pending_deletes_[seg->id()].add_range(0, seg->num_docs());
  last_seq_ = seq;
  if (listener_active_) unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kTruncate, {}, {}});
  return Status::ok();
}

Status Index::sync(uint64_t seq, const std::shared_ptr<WalWriter>& wal) {
  Status st = wal->sync_to(seq);
  if (!st.is_ok()) {
    // The log cannot be trusted past its last good fsync: the index refuses
    // writes until a commit has moved everything into synced segments and
    // started a new log.
    std::lock_guard<std::mutex> lock(mu_);
    set_bg_error_locked(st, "wal sync", true);
  }
  return st;
}

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

std::vector<Result<PutResult>> Index::apply(std::vector<Prepared>&& docs, const WriteOptions& w,
                                            const BatchOptions* batch) {
  std::vector<Result<PutResult>> out;
  out.reserve(docs.size());
  std::unique_lock<std::mutex> lock(mu_);
  if (Status ws = writable_locked(); !ws.is_ok()) {
    for (size_t i = 0; i < docs.size(); ++i) out.emplace_back(ws);
    return out;
  }
  // Ordered part, under mu_: sequence numbers, one WAL write for the batch,
  // ids resolved, doc numbers reserved in one writer slot.
  std::unique_lock<std::mutex> sl;
  WriterSlot& slot = acquire_slot_locked(&sl);
  std::vector<size_t> admitted;
  admitted.reserve(docs.size());
  uint64_t max_seq = 0;
  wal_->begin_batch();
  for (size_t i = 0; i < docs.size(); ++i) {
    PutResult r;
    Status st = admit_locked(last_seq_ + 1, docs[i], true, slot, &r);
    if (st.is_ok()) {
      max_seq = r.seq;
      admitted.push_back(i);
      out.emplace_back(r);
    } else {
      out.emplace_back(st);
    }
  }
  // The source position goes into the same WAL write as the documents it
  // stands for: both are durable, or neither.
  bool record = batch && batch->admitted ? batch->admitted(out) : true;
  bool position = record && batch && !batch->source.empty();
  if (position) {
    std::string payload;
    ByteWriter bw(&payload);
    bw.str(batch->source);
    bw.bytes(batch->position);
    Status pst = wal_->append(last_seq_ + 1, WalRecordType::kPosition, payload);
    position = pst.is_ok();  // buffered: fails only on a record too large
  }
  Status wst = wal_->end_batch();
  if (!wst.is_ok()) {
    // The batch's documents are reserved but not logged (the WAL cut its
    // partial write off): every one of them is reported failed and the index
    // refuses writes until a commit has put them in synced segments with a
    // new log. So a failed batch ends up all there or, after a crash, not
    // there at all.
    set_bg_error_locked(wst, "wal write", true);
    for (auto& r : out)
      if (r.is_ok()) r = wst;
  } else if (position) {
    sources_[batch->source] = batch->position;
    last_seq_ = max_seq = last_seq_ + 1;
  }
  std::shared_ptr<WalWriter> wal = wal_;
  std::shared_ptr<const Schema> schema = schema_;
  lock.unlock();

  // The costly part runs in this thread's slot without mu_: other writers
  // admit and index their batches meanwhile.
  for (size_t i : admitted) slot.builder->add(*docs[i].doc, *schema);
  const size_t bytes = slot.builder->approx_bytes();
  sl.unlock();

  lock.lock();
  slot.bytes = bytes;
  if (!closed_ && bg_error_.is_ok() && slot_bytes_locked() > opt_.max_builder_bytes) {
    Status st = refresh_locked();
    if (!st.is_ok())
      for (auto& r : out)
        if (r.is_ok()) r = st;
  }
  lock.unlock();
  if (max_seq && wst.is_ok()) {
    Status st = w.durable ? sync(max_seq, wal) : Status::ok();
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
    MERIDIAN_RETURN_IF_ERROR(writable_locked());
    seq = last_seq_ + 1;
    Status st = apply_delete_locked(seq, id, true, &existed);
    if (!st.is_ok()) {
      if (st.code() == Status::Code::kIOError) set_bg_error_locked(st, "wal write", true);
      return st;
    }
    wal = wal_;
  }
  if (w.durable) MERIDIAN_RETURN_IF_ERROR(sync(seq, wal));
  if (w.wait_visible) MERIDIAN_RETURN_IF_ERROR(wait_visible(seq));
  return existed;
}

Status Index::truncate(const WriteOptions& w) {
  std::shared_ptr<WalWriter> wal;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    MERIDIAN_RETURN_IF_ERROR(writable_locked());
    seq = last_seq_ + 1;
    Status st = apply_truncate_locked(seq, true);
    if (!st.is_ok()) {
      if (st.code() == Status::Code::kIOError) set_bg_error_locked(st, "wal write", true);
      return st;
    }
    wal = wal_;
  }
  if (w.durable) MERIDIAN_RETURN_IF_ERROR(sync(seq, wal));
  if (w.wait_visible) MERIDIAN_RETURN_IF_ERROR(wait_visible(seq));
  return Status::ok();
}

Status Index::set_source_position(const std::string& source, const std::string& position, const WriteOptions& w) {
  std::shared_ptr<WalWriter> wal;
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    MERIDIAN_RETURN_IF_ERROR(writable_locked());
    std::string payload;
    ByteWriter bw(&payload);
    bw.str(source);
    bw.bytes(position);
    seq = last_seq_ + 1;
    Status st = wal_->append(seq, WalRecordType::kPosition, payload);
    if (!st.is_ok()) {
      set_bg_error_locked(st, "wal write", true);
      return st;
    }
    sources_[source] = position;
    last_seq_ = seq;
    wal = wal_;
  }
  return w.durable ? sync(seq, wal) : Status::ok();
}

std::optional<std::string> Index::source_position(const std::string& source) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sources_.find(source);
  if (it == sources_.end()) return std::nullopt;
  return it->second;
}

Result<std::optional<std::string>> Index::get(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto hit = find_in_slots_locked(id)) {
    std::lock_guard<std::mutex> sl(hit->first->mu);  // its batch is indexed
    return std::optional<std::string>(hit->first->builder->source(hit->second->second));
  }
  MERIDIAN_ASSIGN_OR_RETURN(auto hit, find_live_locked(id));
  if (!hit) return std::optional<std::string>();
  for (const auto& seg : segments_) {
    if (seg->id() != hit->first) continue;
    auto src = seg->store().get(hit->second);
    if (!src) return src.status();
    return std::optional<std::string>(std::move(*src));
  }
  return std::optional<std::string>();
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
  s.degraded = bg_error_.is_ok() ? std::string() : bg_error_.message();
  s.bytes_on_disk += s.wal_bytes;
  return s;
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

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
namespace {

constexpr size_t kMaxPositionBytes = 1u << 20;

}  // namespace

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
  MERIDIAN_RETURN_IF_ERROR(ix->load_settings());
  if (opt.background) {
    ix->bg_ = std::thread([p = ix.get()] { p->background_loop(); });
    ix->maintenance_ = std::thread([p = ix.get()] { p->maintenance_loop(); });
  }
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

Status Index::apply_put_locked(uint64_t seq, const Json& doc, bool log, PutResult* out, uint64_t order) {
  Prepared p;
  p.doc = parse_document(doc, *schema_, &p.new_fields);
  p.order = order;
  return apply_prepared_locked(seq, p, log, out);
}

Index::WriterSlot* Index::try_acquire_slot_locked(std::unique_lock<std::mutex>* slot_lock) {
  // The first idle slot: a lone writer always fills slot 0.
  for (auto& s : slots_) {
    std::unique_lock<std::mutex> l(s->mu, std::try_to_lock);
    if (l.owns_lock()) {
      *slot_lock = std::move(l);
      return s.get();
    }
  }
  return nullptr;
}

Index::WriterSlot& Index::acquire_slot_locked(std::unique_lock<std::mutex>* slot_lock) {
  if (WriterSlot* s = try_acquire_slot_locked(slot_lock)) return *s;
  // All busy (recovery only: no other thread can hold mu_ meanwhile).
  WriterSlot& s = *slots_[next_slot_++ % slots_.size()];
  *slot_lock = std::unique_lock<std::mutex>(s.mu);
  return s;
}

Index::WriterSlot* Index::acquire_slot(std::unique_lock<std::mutex>& lock, std::unique_lock<std::mutex>* slot_lock) {
  for (;;) {
    if (WriterSlot* s = try_acquire_slot_locked(slot_lock)) return s;
    // All busy: wait for one without mu_, so that gets, deletes, searches
    // and refreshes go on meanwhile (its holder adds documents without
    // mu_), then look again under mu_: another writer may have taken it.
    WriterSlot* busy = slots_[next_slot_++ % slots_.size()].get();  // fixed at construction
    lock.unlock();
    { std::lock_guard<std::mutex> wait(busy->mu); }
    lock.lock();
    if (!writable_locked().is_ok()) return nullptr;  // closed or failed meanwhile: the caller refuses
  }
}

std::optional<Index::MemHit> Index::find_in_memory_locked(std::string_view id) const {
  auto* self = const_cast<Index*>(this);  // the hit may be changed by the (non-const) caller
  for (auto& s : self->slots_) {
    auto it = s->mem.ids.find(id);
    if (it != s->mem.ids.end()) return MemHit{&s->mem, &s->mem.deletes, s.get(), it};
  }
  for (auto& f : self->flushing_) {
    auto it = f->mem.ids.find(id);
    if (it != f->mem.ids.end()) return MemHit{&f->mem, &f->later_deletes, nullptr, it};
  }
  return std::nullopt;
}

size_t Index::slot_bytes_locked() const {
  size_t n = 0;
  for (const auto& s : slots_) n += s->mem.bytes;
  return n;
}

bool Index::slots_empty_locked() const {
  for (const auto& s : slots_)
    if (s->mem.reserved) return false;
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
  pd.order = p.order ? p.order : seq;
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
  auto hit = find_in_memory_locked(pd.id);
  std::optional<std::pair<uint64_t, uint32_t>> live;
  if (!hit) {
    MERIDIAN_ASSIGN_OR_RETURN(live, find_live_locked(pd.id));
  }
  if (log && p.order) {
    std::string payload;
    ByteWriter bw(&payload);
    bw.u64(p.order);
    bw.bytes(pd.source);
    MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kPutOrdered, payload));
  } else if (log) {
    MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kPut, pd.source));
  }
  if (ns) schema_ = std::move(ns);
  out->seq = seq;
  out->replaced = false;
  MemSegment& mem = slot.mem;
  if (hit) {
    hit->deletes->add(hit->entry->second);
    out->replaced = true;
    if (hit->mem == &mem) {  // replaced in this slot: its entry moves to the new doc
      hit->entry->second = mem.reserved++;
    } else {
      hit->mem->ids.erase(hit->entry);
      mem.ids.emplace(pd.id, mem.reserved++);
    }
  } else {
    if (live) {
      pending_deletes_[live->first].add(live->second);
      out->replaced = true;
    }
    mem.ids.emplace(pd.id, mem.reserved++);
  }
  last_seq_ = seq;
  if (listener_active_) unpublished_events_.push_back(ChangeEvent{seq, WalRecordType::kPut, pd.id, pd.source});
  return Status::ok();
}

// Recovery's replay: one document at a time, mu_ held throughout (no other
// thread has the index yet), so a refresh may run without unlocking.
Status Index::apply_prepared_locked(uint64_t seq, Prepared& p, bool log, PutResult* out) {
  std::unique_lock<std::mutex> sl;
  WriterSlot& slot = acquire_slot_locked(&sl);
  MERIDIAN_RETURN_IF_ERROR(admit_locked(seq, p, log, slot, out));
  slot.mem.builder->add(*p.doc, *schema_);
  slot.mem.bytes = slot.mem.builder->approx_bytes();
  sl.unlock();
  if (slot_bytes_locked() > opt_.max_builder_bytes) {
    std::unique_lock<std::mutex> held(mu_, std::adopt_lock);
    Status st = flush(held, false);
    held.release();
    return st;
  }
  return Status::ok();
}

Status Index::apply_delete_locked(uint64_t seq, std::string_view id, bool log, bool* existed) {
  auto hit = find_in_memory_locked(id);
  std::optional<std::pair<uint64_t, uint32_t>> live;
  if (!hit) {
    MERIDIAN_ASSIGN_OR_RETURN(live, find_live_locked(id));
  }
  if (log) MERIDIAN_RETURN_IF_ERROR(wal_->append(seq, WalRecordType::kDelete, id));
  *existed = false;
  if (hit) {
    hit->deletes->add(hit->entry->second);
    hit->mem->ids.erase(hit->entry);
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
  // Segments being written: their documents go when they are published
  // (the refresh applies later_deletes as pending deletes).
  for (auto& f : flushing_) {
    if (f->mem.reserved) f->later_deletes.add_range(0, f->mem.reserved);
    f->mem.ids.clear();
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
  WriteBatch b;
  for (auto& p : prepare(docs)) b.put(std::move(p));
  return write(std::move(b), w);
}

std::vector<Index::Prepared> Index::prepare(const std::vector<Json>& docs) const {
  std::shared_ptr<const Schema> schema = this->schema();
  std::vector<Prepared> out(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) out[i].doc = parse_document(docs[i], *schema, &out[i].new_fields);
  return out;
}

std::vector<Result<PutResult>> Index::write(WriteBatch&& batch, const WriteOptions& w) {
  return begin_write(std::move(batch), w).finish();
}

Index::PendingWrite Index::begin_write(WriteBatch&& batch, const WriteOptions& w) {
  PendingWrite pw(this, w);
  // Documents given as JSON are analysed here, before the lock.
  std::shared_ptr<const Schema> snap_schema;
  for (auto& op : batch.ops_) {
    if (op.kind != WriteBatch::Op::kPut || op.is_prepared) continue;
    if (!snap_schema) snap_schema = schema();
    op.prepared.doc = parse_document(op.json, *snap_schema, &op.prepared.new_fields);
    op.json = Json();
  }
  auto& out = pw.results_;
  out.reserve(batch.ops_.size());
  Status refuse;
  for (const auto& [source, position] : batch.positions_)
    if (source.size() + position.size() > kMaxPositionBytes)
      refuse = Status::invalid("the position of source '" + source.substr(0, 64) + "' is longer than 1 MiB");
  std::unique_lock<std::mutex> lock(mu_);
  if (refuse.is_ok()) refuse = writable_locked();
  if (!refuse.is_ok()) {
    for (size_t i = 0; i < batch.ops_.size(); ++i) out.emplace_back(refuse);
    pw.failed_ = refuse;
    return pw;
  }
  // Ordered part, under mu_: sequence numbers, one WAL write for the batch,
  // ids resolved, doc numbers reserved in one writer slot.
  bool puts = false;
  for (const auto& op : batch.ops_) puts |= op.kind == WriteBatch::Op::kPut;
  if (puts && !(pw.slot_ = acquire_slot(lock, &pw.slot_lock_))) {
    refuse = writable_locked();
    for (size_t i = 0; i < batch.ops_.size(); ++i) out.emplace_back(refuse);
    pw.failed_ = refuse;
    return pw;
  }
  wal_->begin_batch();
  for (auto& op : batch.ops_) {
    PutResult r;
    Status st;
    if (op.kind == WriteBatch::Op::kPut) {
      st = admit_locked(last_seq_ + 1, op.prepared, true, *pw.slot_, &r);
      if (st.is_ok()) pw.docs_.push_back(std::move(op.prepared));
    } else {
      r.seq = last_seq_ + 1;
      st = apply_delete_locked(r.seq, op.id, true, &r.replaced);
    }
    if (st.is_ok()) {
      pw.max_seq_ = r.seq;
      out.emplace_back(r);
    } else {
      out.emplace_back(st);
    }
  }
  // The positions go into the same WAL write as the writes they stand for:
  // both are durable, or neither.
  for (const auto& [source, position] : batch.positions_) {
    std::string payload;
    ByteWriter bw(&payload);
    bw.str(source);
    bw.bytes(position);
    (void)wal_->append(last_seq_ + 1, WalRecordType::kPosition, payload);  // buffered; the size was checked
    last_seq_ = pw.max_seq_ = last_seq_ + 1;
  }
  Status wst = wal_->end_batch();
  if (!wst.is_ok()) {
    // The batch's writes are applied in memory but not logged (the WAL cut
    // its partial write off): every one of them is reported failed and the
    // index refuses writes until a commit has put them in synced segments
    // with a new log. So a failed batch ends up all there or, after a
    // crash, not there at all.
    set_bg_error_locked(wst, "wal write", true);
    for (auto& r : out)
      if (r.is_ok()) r = wst;
    pw.failed_ = wst;
  } else {
    for (const auto& [source, position] : batch.positions_) sources_[source] = position;
  }
  pw.wal_ = wal_;
  pw.schema_ = schema_;
  return pw;
}

Index::PendingWrite::~PendingWrite() {
  if (!finished_ && ix_) (void)finish();
}

std::vector<Result<PutResult>> Index::PendingWrite::finish() {
  finished_ = true;
  std::vector<Result<PutResult>> out = std::move(results_);
  results_.clear();
  if (slot_) {
    // The costly part runs in this thread's slot without mu_: other writers
    // admit and index their batches meanwhile. Admitted documents have
    // their doc numbers reserved, so they are added even after a failed
    // WAL write (see begin_write).
    MemSegment& mem = slot_->mem;
    SegmentBuilder* builder = mem.builder.get();
    for (auto& d : docs_) builder->add(*d.doc, *schema_);
    const size_t bytes = builder->approx_bytes();
    slot_lock_.unlock();
    bool refresh = false;
    {
      std::lock_guard<std::mutex> lock(ix_->mu_);
      if (mem.builder.get() == builder) mem.bytes = bytes;  // unless a refresh took it meanwhile
      refresh = !ix_->closed_ && ix_->bg_error_.is_ok() && ix_->slot_bytes_locked() > ix_->opt_.max_builder_bytes;
    }
    if (refresh) {
      Status st = ix_->refresh();
      if (!st.is_ok())
        for (auto& r : out)
          if (r.is_ok()) r = st;
    }
  }
  if (max_seq_ && failed_.is_ok()) {
    Status st = w_.durable ? ix_->sync(max_seq_, wal_) : Status::ok();
    if (st.is_ok() && w_.wait_visible) st = ix_->wait_visible(max_seq_);
    if (!st.is_ok()) {
      failed_ = st;
      for (auto& r : out)
        if (r.is_ok()) r = st;
    }
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
  std::shared_ptr<const Segment> seg;
  uint32_t doc = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto hit = find_in_memory_locked(id)) {
      if (!hit->slot)  // being written as a segment: read-only
        return std::optional<std::string>(hit->mem->builder->source(hit->entry->second));
      std::lock_guard<std::mutex> sl(hit->slot->mu);  // its batch is indexed
      return std::optional<std::string>(hit->mem->builder->source(hit->entry->second));
    }
    MERIDIAN_ASSIGN_OR_RETURN(auto live, find_live_locked(id));
    if (!live) return std::optional<std::string>();
    for (const auto& s : segments_)
      if (s->id() == live->first) seg = s;
    doc = live->second;
  }
  if (!seg) return std::optional<std::string>();
  // Decompressing the stored source needs no lock: the segment is immutable.
  auto src = seg->store().get(doc);
  if (!src) return src.status();
  return std::optional<std::string>(std::move(*src));
}

void Index::set_change_listener(std::function<void(const ChangeEvent&)> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  std::lock_guard<std::mutex> ll(listener_mu_);
  listener_active_ = static_cast<bool>(fn);
  listener_ = std::move(fn);
}

void Index::set_live_interest(bool on) {
  if (live_interest_.exchange(on) == on || !on) return;
  {
    std::lock_guard<std::mutex> bl(bg_mu_);
    refresh_wanted_ = true;  // start the shorter interval now
  }
  bg_cv_.notify_all();
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
  if (maintenance_.joinable()) maintenance_.join();
  std::lock_guard<std::mutex> mlock(merge_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::ok();
    closed_ = true;  // writes are refused from here on
    if (!wal_) return Status::ok();  // recovery did not complete: nothing to commit
  }
  return commit_now(/*closing=*/true);
}

}  // namespace meridian::index

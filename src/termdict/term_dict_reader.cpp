#include "meridian/termdict/term_dict_reader.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "meridian/base/crc32c.h"
#include "meridian/base/file_frame.h"
#include "meridian/termdict/term_dict_format.h"

namespace meridian::termdict {

namespace f = format;

namespace {

uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian hosts only
}
uint64_t load_u64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// 8 bytes of s from `from` as a big-endian number, zero-padded.
uint64_t key_word(std::string_view s, size_t from) {
  uint64_t v = 0;
  size_t n = s.size() <= from ? 0 : std::min<size_t>(s.size() - from, 8);
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(s[from + i])} << (56 - 8 * i);
  return v;
}

// The first 16 bytes of s as two big-endian numbers, zero-padded: a < b
// (compared as pairs) implies a < b as byte strings (equal pairs decide
// nothing). Sixteen, not eight: a field's terms share the field name and
// its separator, and with eight bytes a name of eight letters or more
// ("location", "category") left every block of the field tied.
struct KeyPrefix {
  uint64_t hi, lo;
  bool operator==(const KeyPrefix&) const = default;
  bool operator<(const KeyPrefix& o) const { return hi != o.hi ? hi < o.hi : lo < o.lo; }
};
KeyPrefix key_prefix(std::string_view s) { return {key_word(s, 0), key_word(s, 8)}; }

size_t common_prefix(std::string_view a, std::string_view b) {
  size_t n = a.size() < b.size() ? a.size() : b.size(), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

struct TermDictReader::State {
  std::string name;
  std::string_view body;
  uint64_t n_terms = 0, n_blocks = 0, index_off = 0, keys_off = 0, keys_len = 0;
  uint32_t block_size = 0, index_crc = 0;
  mutable std::once_flag index_once;
  mutable Status index_status;
  mutable std::unique_ptr<std::atomic<uint64_t>[]> verified;  // one bit per block
  // key_prefix() of each block's first term, so that the block search
  // compares numbers and reads a first term only on a tie.
  mutable std::unique_ptr<KeyPrefix[]> first_prefix;

  const char* entry(uint64_t b) const { return body.data() + index_off + b * f::kIndexEntrySize; }
  uint64_t block_off(uint64_t b) const { return load_u64(entry(b)); }
  uint32_t block_len(uint64_t b) const { return load_u32(entry(b) + 20); }
  // Valid only after check_index() succeeded.
  std::string_view first_key(uint64_t b) const {
    return body.substr(keys_off + load_u64(entry(b) + 8), load_u32(entry(b) + 16));
  }
  uint32_t terms_in_block(uint64_t b) const {
    uint64_t left = n_terms - b * block_size;
    return static_cast<uint32_t>(left < block_size ? left : block_size);
  }
  Status corrupt_block(uint64_t b, std::string_view what) const {
    return Status::corruption(name + ": block " + std::to_string(b) + " at offset " +
                              std::to_string(kFrameHeaderSize + block_off(b)) + ": " + std::string(what));
  }
  Status check_index() const;
  // The last block whose first term is <= target among [lo, n_blocks), or lo
  // when none is (block 0 sorts first, so lo = 0 answers 0).
  uint64_t block_for(std::string_view target, uint64_t lo) const;
  Status check_block(uint64_t b, std::string_view payload) const;
  Status block_payload(uint64_t b, std::string_view* payload) const;
};

Status TermDictReader::State::check_index() const {
  std::call_once(index_once, [this] {
    auto bad = [this](const std::string& what) {
      index_status = Status::corruption(name + ": block index at offset " +
                                        std::to_string(kFrameHeaderSize + index_off) + ": " + what);
    };
    size_t len = body.size() - f::kTrailerSize - index_off;
    if (crc32c::value(body.data() + index_off, len) != index_crc) return bad("checksum mismatch");
    uint64_t expect_off = 0;
    for (uint64_t b = 0; b < n_blocks; ++b) {
      uint64_t key_off = load_u64(entry(b) + 8), key_len = load_u32(entry(b) + 16);
      if (block_off(b) != expect_off || block_len(b) < f::kBlockHeaderSize || key_off > keys_len ||
          key_len > keys_len - key_off)
        return bad("entry " + std::to_string(b) + " out of range");
      expect_off += block_len(b);
      if (b > 0 && first_key(b - 1).compare(first_key(b)) >= 0)
        return bad("first terms out of order at entry " + std::to_string(b));
    }
    if (expect_off != index_off) return bad("blocks do not end where the index starts");
    first_prefix.reset(new KeyPrefix[n_blocks]);
    for (uint64_t b = 0; b < n_blocks; ++b) first_prefix[b] = key_prefix(first_key(b));
    size_t words = (n_blocks + 63) / 64;
    verified.reset(new std::atomic<uint64_t>[words]);
    for (size_t i = 0; i < words; ++i) verified[i].store(0, std::memory_order_relaxed);
  });
  return index_status;
}

uint64_t TermDictReader::State::block_for(std::string_view target, uint64_t lo) const {
  const KeyPrefix t = key_prefix(target);
  uint64_t hi = n_blocks;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    const KeyPrefix p = first_prefix[mid];
    if (p < t || (p == t && first_key(mid) <= target)) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// Full decode of a block whose CRC matched: counts, prefix lengths and order.
Status TermDictReader::State::check_block(uint64_t b, std::string_view payload) const {
  ByteReader in(payload);
  std::string prev, cur;
  uint32_t n = terms_in_block(b);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t shared = in.varint();
    std::string_view suffix = in.str();
    in.varint();
    if (in.failed() || shared > prev.size() || (i == 0 && shared != 0))
      return corrupt_block(b, "damaged entry " + std::to_string(i));
    cur.assign(prev, 0, shared);
    cur.append(suffix);
    if (i == 0 ? cur != first_key(b) : prev.compare(cur) >= 0)
      return corrupt_block(b, "terms out of order at entry " + std::to_string(i));
    prev.swap(cur);
  }
  if (!in.at_end()) return corrupt_block(b, "trailing bytes");
  if (b + 1 < n_blocks && std::string_view(prev).compare(first_key(b + 1)) >= 0)
    return corrupt_block(b, "last term not below the next block");
  return Status::ok();
}

Status TermDictReader::State::block_payload(uint64_t b, std::string_view* payload) const {
  const char* p = body.data() + block_off(b);
  uint32_t len = block_len(b);
  *payload = std::string_view(p + f::kBlockHeaderSize, len - f::kBlockHeaderSize);
  bool done = (verified[b / 64].load(std::memory_order_acquire) >> (b % 64)) & 1;
  if (done) return Status::ok();
  if (load_u32(p + 4) != payload->size()) return corrupt_block(b, "length mismatch");
  if (crc32c::unmask(load_u32(p)) != crc32c::value(*payload)) return corrupt_block(b, "checksum mismatch");
  MERIDIAN_RETURN_IF_ERROR(check_block(b, *payload));
  verified[b / 64].fetch_or(uint64_t{1} << (b % 64), std::memory_order_release);
  return Status::ok();
}

TermDictReader::TermDictReader(std::unique_ptr<State> s) : s_(std::move(s)) {}
TermDictReader::TermDictReader(TermDictReader&&) noexcept = default;
TermDictReader& TermDictReader::operator=(TermDictReader&&) noexcept = default;
TermDictReader::~TermDictReader() = default;

size_t TermDictReader::size() const { return s_->n_terms; }
const std::string& TermDictReader::name() const { return s_->name; }

Result<TermDictReader> TermDictReader::open(std::string_view file, std::string name) {
  MERIDIAN_ASSIGN_OR_RETURN(FrameInfo frame,
                            unframe_file(file, f::kMagic, f::kMinVersion, f::kVersion, name, false));
  auto s = std::make_unique<State>();
  s->name = std::move(name);
  s->body = frame.body;
  if (s->body.size() < f::kTrailerSize)
    return Status::corruption(s->name + ": term dictionary trailer missing");
  size_t toff = s->body.size() - f::kTrailerSize;
  const char* t = s->body.data() + toff;
  if (crc32c::unmask(load_u32(t + 40)) != crc32c::value(t, 40))
    return Status::corruption(s->name + ": trailer at offset " + std::to_string(kFrameHeaderSize + toff) +
                              ": checksum mismatch");
  s->n_terms = load_u64(t);
  s->n_blocks = load_u64(t + 8);
  s->index_off = load_u64(t + 16);
  s->keys_off = load_u64(t + 24);
  s->block_size = load_u32(t + 32);
  s->index_crc = crc32c::unmask(load_u32(t + 36));
  bool sane = s->block_size >= 1 && s->block_size <= f::kMaxBlockSize && s->n_terms <= UINT32_MAX &&
              s->n_blocks == (s->n_terms + s->block_size - 1) / s->block_size &&
              s->index_off <= toff && s->keys_off <= toff && s->keys_off >= s->index_off &&
              (s->keys_off - s->index_off) == s->n_blocks * f::kIndexEntrySize;
  if (!sane) return Status::corruption(s->name + ": trailer describes an impossible layout");
  s->keys_len = toff - s->keys_off;
  return TermDictReader(std::move(s));
}

// ---- Iterator ----

void TermDictReader::Iterator::fail(Status st) {
  valid_ = false;
  status_ = std::move(st);
  term_.clear();
}

void TermDictReader::Iterator::set_end() {
  valid_ = false;
  status_ = Status::ok();
  term_.clear();
  block_ = s_->n_blocks;
}

void TermDictReader::Iterator::load_block(uint64_t b) {
  if (b >= s_->n_blocks) return set_end();
  std::string_view payload;
  Status st = s_->block_payload(b, &payload);
  if (!st.is_ok()) return fail(std::move(st));
  in_ = ByteReader(payload);
  block_ = b;
  block_n_ = s_->terms_in_block(b);
  in_block_ = 0;
  term_.clear();
  decode_entry();
}

void TermDictReader::Iterator::decode_entry() {
  uint64_t shared = in_.varint();
  std::string_view suffix = in_.str();
  value_ = in_.varint();
  if (in_.failed() || shared > term_.size()) return fail(s_->corrupt_block(block_, "damaged entry"));
  term_.resize(shared);
  term_.append(suffix);
  ordinal_ = static_cast<uint32_t>(block_ * s_->block_size + in_block_);
  valid_ = true;
}

void TermDictReader::Iterator::next() {
  if (!valid_) return;
  if (in_block_ + 1 < block_n_) {
    ++in_block_;
    decode_entry();
  } else {
    load_block(block_ + 1);
  }
}

void TermDictReader::Iterator::seek(std::string_view target) {
  if (s_ == nullptr) return;
  Status st = s_->check_index();
  if (!st.is_ok()) return fail(std::move(st));
  bool from_here = valid_ && std::string_view(term_) <= target;
  bool forward_in_block = from_here && (block_ + 1 >= s_->n_blocks || target < s_->first_key(block_ + 1));
  if (!forward_in_block) {
    // Last block whose first term is <= target (block 0 if none); a forward
    // seek searches only the blocks from the current one on.
    uint64_t lo = s_->block_for(target, from_here ? block_ : 0);
    load_block(lo == 0 ? 0 : lo - 1);
  }
  if (valid_ && std::string_view(term_) < target) scan_block(target);
}

// The current term is below target, and target is below the next block's
// first term: steps through the block to the first term >= target, or to
// the next block's first. An entry's shared prefix length alone tells how it
// compares while it differs from the common prefix of the previous term and
// target; only an entry that shares exactly that prefix is compared. The
// entries passed over are not spelt out: every term passed shares its first
// `match` bytes with target, so the one stopped at is target's first
// `shared` bytes and its suffix.
void TermDictReader::Iterator::scan_block(std::string_view target) {
  size_t match = common_prefix(term_, target);  // term_ < target
  size_t prev_len = term_.size();
  while (in_block_ + 1 < block_n_) {
    ++in_block_;
    uint64_t shared = in_.varint();
    std::string_view suffix = in_.str();
    uint64_t value = in_.varint();
    if (in_.failed() || shared > prev_len) return fail(s_->corrupt_block(block_, "damaged entry"));
    prev_len = shared + suffix.size();
    if (shared > match) continue;  // it differs from target where the previous term did: below
    if (shared == match) {
      std::string_view rest = target.substr(match);
      size_t more = common_prefix(suffix, rest);
      // Below target: on to the next entry. Otherwise equal to target, target
      // its prefix, or above it: stop here.
      if (more < rest.size() &&
          (more == suffix.size() || static_cast<uint8_t>(suffix[more]) < static_cast<uint8_t>(rest[more]))) {
        match += more;
        continue;
      }
    }
    // shared < match: it left the common prefix upwards, above target.
    term_.assign(target.data(), shared);
    term_.append(suffix);
    value_ = value;
    ordinal_ = static_cast<uint32_t>(block_ * s_->block_size + in_block_);
    return;
  }
  load_block(block_ + 1);
}

// ---- Reader queries ----

TermDictReader::Iterator TermDictReader::begin() const {
  Iterator it(s_.get());
  Status st = s_->check_index();
  if (!st.is_ok()) it.fail(std::move(st)); else it.load_block(0);
  return it;
}

TermDictReader::Iterator TermDictReader::lower_bound(std::string_view target) const {
  Iterator it(s_.get());
  it.seek(target);
  return it;
}

Result<std::optional<TermDictReader::Entry>> TermDictReader::find(std::string_view term) const {
  Iterator it = lower_bound(term);
  if (!it.status().is_ok()) return it.status();
  if (!it.valid() || it.term() != term) return std::optional<Entry>();
  return std::optional<Entry>(Entry{term, it.value(), it.ordinal()});
}

Status TermDictReader::for_each_prefix(std::string_view prefix,
                                       const std::function<bool(std::string_view, uint64_t)>& fn) const {
  for (Iterator it = lower_bound(prefix); ; it.next()) {
    if (!it.valid()) return it.status();
    if (!it.term().starts_with(prefix) || !fn(it.term(), it.value())) return Status::ok();
  }
}

Status TermDictReader::verify_all() const {
  MERIDIAN_RETURN_IF_ERROR(s_->check_index());
  std::string_view payload;
  for (uint64_t b = 0; b < s_->n_blocks; ++b) MERIDIAN_RETURN_IF_ERROR(s_->block_payload(b, &payload));
  return Status::ok();
}

}  // namespace meridian::termdict

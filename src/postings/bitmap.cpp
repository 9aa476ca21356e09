#include "meridian/postings/bitmap.h"

#include <algorithm>

#include <bit>
#include <cstring>
#include <new>

#include "meridian/base/bytes.h"
#include "roaring_format.h"

namespace meridian::postings {

using roaring_format::kBitsetBytes;
using roaring_format::kCookieNoRun;
using roaring_format::kCookieRun;
using roaring_format::kMaxArrayCard;
using roaring_format::kNoOffsetThreshold;
using roaring_format::load16;

roaring_bitmap_t* Bitmap::checked(roaring_bitmap_t* r) {
  if (r == nullptr) throw std::bad_alloc();
  return r;
}

Bitmap::Bitmap() : r_(checked(roaring_bitmap_create())) {}
Bitmap::~Bitmap() {
  if (r_ != nullptr) roaring_bitmap_free(r_);
}

Bitmap& Bitmap::operator=(Bitmap&& o) noexcept {
  if (this != &o) {
    if (r_ != nullptr) roaring_bitmap_free(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

Bitmap Bitmap::copy() const { return Bitmap(checked(roaring_bitmap_copy(r_))); }

Bitmap Bitmap::from_values(std::span<const uint32_t> values) {
  Bitmap b;
  b.add_many(values);
  return b;
}

Bitmap Bitmap::from_sorted(std::span<const uint32_t> values) {
  const size_t n = values.size();
  for (size_t k = 1; k < n; ++k)
    if (values[k] <= values[k - 1]) return from_values(values);
  Bitmap b;
  for (size_t i = 0; i < n;) {
    const uint32_t key = values[i] >> 16;
    size_t j = i;
    while (j < n && values[j] >> 16 == key) ++j;
    if (j - i > kMaxArrayCard) {  // a bitset's worth: CRoaring builds the rest
      b.add_many(values.subspan(i));
      break;
    }
    array_container_t* c = array_container_create_given_capacity(static_cast<int32_t>(j - i));
    if (c == nullptr) throw std::bad_alloc();
    for (size_t k = i; k < j; ++k) c->array[k - i] = static_cast<uint16_t>(values[k]);
    c->cardinality = static_cast<int32_t>(j - i);
    ra_append(&b.r_->high_low_container, static_cast<uint16_t>(key), c, ARRAY_CONTAINER_TYPE_CODE);
    i = j;
  }
  return b;
}

Bitmap Bitmap::from_range(uint64_t lo, uint64_t hi) {
  Bitmap b;
  b.add_range(lo, hi);
  return b;
}

void Bitmap::add(uint32_t x) { roaring_bitmap_add(r_, x); }
bool Bitmap::add_checked(uint32_t x) { return roaring_bitmap_add_checked(r_, x); }
void Bitmap::add_many(std::span<const uint32_t> values) {
  if (!values.empty()) roaring_bitmap_add_many(r_, values.size(), values.data());
}
void Bitmap::add_range(uint64_t lo, uint64_t hi) {
  if (hi > (uint64_t{1} << 32)) hi = uint64_t{1} << 32;
  if (lo < hi) roaring_bitmap_add_range(r_, lo, hi);
}
void Bitmap::remove(uint32_t x) { roaring_bitmap_remove(r_, x); }
void Bitmap::clear() { roaring_bitmap_clear(r_); }

bool Bitmap::contains(uint32_t x) const { return roaring_bitmap_contains(r_, x); }
uint64_t Bitmap::cardinality() const { return roaring_bitmap_get_cardinality(r_); }
bool Bitmap::is_empty() const { return roaring_bitmap_is_empty(r_); }
uint64_t Bitmap::rank(uint32_t x) const { return roaring_bitmap_rank(r_, x); }

namespace {

// Set bits of a 64-bit word (std::popcount is a libgcc call on the x86-64 baseline).
inline uint32_t ones(uint64_t w) {
  w -= (w >> 1) & 0x5555555555555555ull;
  w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
  w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<uint32_t>((w * 0x0101010101010101ull) >> 56);
}

// Set bits of w[first..last], the first word masked by head, the last by
// tail. Twice: with the popcnt instruction (not in the x86-64 baseline the
// build targets; chosen at run time) and without.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("popcnt"))) uint32_t ones_popcnt(const uint64_t* w, uint32_t first, uint32_t last,
                                                       uint64_t head, uint64_t tail) {
  if (first == last) return static_cast<uint32_t>(__builtin_popcountll(w[first] & head & tail));
  uint64_t n = __builtin_popcountll(w[first] & head) + __builtin_popcountll(w[last] & tail);
  for (uint32_t i = first + 1; i < last; ++i) n += __builtin_popcountll(w[i]);
  return static_cast<uint32_t>(n);
}
const bool kPopcnt = (__builtin_cpu_init(), __builtin_cpu_supports("popcnt"));
#else
uint32_t ones_popcnt(const uint64_t*, uint32_t, uint32_t, uint64_t, uint64_t) { return 0; }
const bool kPopcnt = false;
#endif

uint32_t ones_portable(const uint64_t* w, uint32_t first, uint32_t last, uint64_t head, uint64_t tail) {
  if (first == last) return ones(w[first] & head & tail);
  uint32_t n = ones(w[first] & head) + ones(w[last] & tail);
  for (uint32_t i = first + 1; i < last; ++i) n += ones(w[i]);
  return n;
}

// Values of one container in [lo, hi), 0 <= lo < hi <= 65536.
uint32_t container_count(const void* c, uint8_t type, uint32_t lo, uint32_t hi) {
  if (type == SHARED_CONTAINER_TYPE_CODE) {
    const auto* sh = static_cast<const shared_container_t*>(c);
    c = sh->container;
    type = sh->typecode;
  }
  switch (type) {
    case BITSET_CONTAINER_TYPE_CODE: {
      const uint64_t* w = static_cast<const bitset_container_t*>(c)->array;
      const uint32_t first = lo / 64, last = (hi - 1) / 64;
      const uint64_t head = ~uint64_t{0} << (lo % 64);
      const uint64_t tail = ~uint64_t{0} >> (63 - (hi - 1) % 64);
      return kPopcnt ? ones_popcnt(w, first, last, head, tail) : ones_portable(w, first, last, head, tail);
    }
    case ARRAY_CONTAINER_TYPE_CODE: {
      const auto* a = static_cast<const array_container_t*>(c);
      const uint16_t* b = a->array;
      const uint16_t* e = b + a->cardinality;
      const uint16_t* from = std::lower_bound(b, e, lo);
      if (hi > 0xffff) return static_cast<uint32_t>(e - from);
      // hi is mostly a few values on (short ranges): gallop, then search.
      size_t step = 1;
      const uint16_t* at = from;
      while (step < static_cast<size_t>(e - at) && at[step - 1] < hi) {
        at += step;
        step *= 2;
      }
      return static_cast<uint32_t>(std::lower_bound(at, std::min(e, at + step), hi) - from);
    }
    case RUN_CONTAINER_TYPE_CODE: {
      const auto* r = static_cast<const run_container_t*>(c);
      uint32_t n = 0;
      // The first run ending at or after lo, then the runs up to hi.
      const rle16_t* first = std::partition_point(r->runs, r->runs + r->n_runs, [&](const rle16_t& x) {
        return uint32_t{x.value} + x.length < lo;
      });
      for (int32_t i = static_cast<int32_t>(first - r->runs); i < r->n_runs; ++i) {
        const uint32_t s = r->runs[i].value, e = s + r->runs[i].length + 1;  // [s, e)
        if (s >= hi) break;
        if (e > lo) n += std::min(e, hi) - std::max(s, lo);
      }
      return n;
    }
    default: return 0;
  }
}

}  // namespace

uint64_t Bitmap::count_range(uint32_t lo, uint32_t hi) const {
  if (lo >= hi) return 0;
  const roaring_array_t& ra = r_->high_low_container;
  uint64_t n = 0;
  const uint32_t last_key = (hi - 1) >> 16;
  // The first container whose key is >= lo's: a binary search of the keys.
  int32_t i = static_cast<int32_t>(std::lower_bound(ra.keys, ra.keys + ra.size, static_cast<uint16_t>(lo >> 16)) - ra.keys);
  for (; i < ra.size && ra.keys[i] <= last_key; ++i) {
    const uint32_t base = uint32_t{ra.keys[i]} << 16;
    const uint32_t from = lo > base ? lo - base : 0;
    const uint32_t to = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{hi} - base, 65536));
    n += container_count(ra.containers[i], ra.typecodes[i], from, to);
  }
  return n;
}

std::optional<uint32_t> Bitmap::select(uint64_t i) const {
  uint32_t v = 0;
  if (i > UINT32_MAX || !roaring_bitmap_select(r_, static_cast<uint32_t>(i), &v)) return std::nullopt;
  return v;
}

std::optional<uint32_t> Bitmap::min() const {
  if (is_empty()) return std::nullopt;
  return roaring_bitmap_minimum(r_);
}

std::optional<uint32_t> Bitmap::max() const {
  if (is_empty()) return std::nullopt;
  return roaring_bitmap_maximum(r_);
}

bool Bitmap::operator==(const Bitmap& o) const { return roaring_bitmap_equals(r_, o.r_); }

Bitmap& Bitmap::and_inplace(const Bitmap& o) {
  if (&o != this) roaring_bitmap_and_inplace(r_, o.r_);
  return *this;
}
Bitmap& Bitmap::or_inplace(const Bitmap& o) {
  if (&o != this) roaring_bitmap_or_inplace(r_, o.r_);
  return *this;
}
Bitmap& Bitmap::andnot_inplace(const Bitmap& o) {
  if (&o == this) clear(); else roaring_bitmap_andnot_inplace(r_, o.r_);
  return *this;
}
Bitmap& Bitmap::xor_inplace(const Bitmap& o) {
  if (&o == this) clear(); else roaring_bitmap_xor_inplace(r_, o.r_);
  return *this;
}

Bitmap Bitmap::and_of(const Bitmap& a, const Bitmap& b) { return Bitmap(checked(roaring_bitmap_and(a.r_, b.r_))); }
Bitmap Bitmap::or_of(const Bitmap& a, const Bitmap& b) { return Bitmap(checked(roaring_bitmap_or(a.r_, b.r_))); }
Bitmap Bitmap::andnot_of(const Bitmap& a, const Bitmap& b) {
  return Bitmap(checked(roaring_bitmap_andnot(a.r_, b.r_)));
}
Bitmap Bitmap::xor_of(const Bitmap& a, const Bitmap& b) { return Bitmap(checked(roaring_bitmap_xor(a.r_, b.r_))); }

Bitmap Bitmap::or_many(std::span<const Bitmap* const> bitmaps) {
  if (bitmaps.empty()) return Bitmap();
  std::vector<const roaring_bitmap_t*> raws;
  raws.reserve(bitmaps.size());
  for (const Bitmap* b : bitmaps) raws.push_back(b->r_);
  return Bitmap(checked(roaring_bitmap_or_many(raws.size(), raws.data())));
}

Bitmap Bitmap::and_many(std::span<const Bitmap* const> bitmaps) {
  // Two: no order to choose (counting each bitmap's cardinality reads every
  // container header, ~30 cache misses per phrase query).
  if (bitmaps.size() == 2) return and_of(*bitmaps[0], *bitmaps[1]);
  std::vector<std::pair<uint64_t, const Bitmap*>> order;
  order.reserve(bitmaps.size());
  for (const Bitmap* b : bitmaps) order.emplace_back(b->cardinality(), b);
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (order.empty()) return Bitmap();
  if (order.size() == 1) return order[0].second->copy();
  // The two smallest into a new bitmap (only their common containers are
  // built; copying the smallest first and intersecting in place allocated
  // and freed all of its containers), then the others in place.
  Bitmap out = and_of(*order[0].second, *order[1].second);
  for (size_t i = 2; i < order.size() && !out.is_empty(); ++i) out.and_inplace(*order[i].second);
  return out;
}

uint64_t Bitmap::and_cardinality(const Bitmap& o) const { return roaring_bitmap_and_cardinality(r_, o.r_); }
bool Bitmap::intersects(const Bitmap& o) const { return roaring_bitmap_intersect(r_, o.r_); }

std::vector<uint32_t> Bitmap::to_vector() const {
  std::vector<uint32_t> out(cardinality());
  if (!out.empty()) roaring_bitmap_to_uint32_array(r_, out.data());
  return out;
}

bool Bitmap::run_optimize() { return roaring_bitmap_run_optimize(r_); }
size_t Bitmap::serialized_size() const { return roaring_bitmap_portable_size_in_bytes(r_); }

void Bitmap::serialize_to(std::string* out) const {
  size_t old = out->size();
  size_t n = serialized_size();
  out->resize(old + n);
  size_t written = roaring_bitmap_portable_serialize(r_, out->data() + old);
  out->resize(old + written);
}

std::string Bitmap::serialize() const {
  std::string out;
  serialize_to(&out);
  return out;
}

// Walks the portable format (RoaringFormatSpec) and checks every invariant
// CRoaring relies on. Runs before CRoaring ever sees the bytes.
Status Bitmap::validate_portable(std::string_view bytes, size_t* consumed) {
  ByteReader r(bytes);
  uint32_t cookie = r.u32();
  if (r.failed()) return Status::corruption("bitmap shorter than its cookie");
  bool has_run = (cookie & 0xffff) == kCookieRun;
  uint64_t size = 0;
  if (has_run) {
    size = (cookie >> 16) + 1;
  } else if (cookie == kCookieNoRun) {
    size = r.u32();
  } else {
    return Status::corruption("bad bitmap cookie " + std::to_string(cookie));
  }
  if (size > 65536) return Status::corruption("bitmap claims " + std::to_string(size) + " containers");
  std::string_view run_flags = has_run ? r.bytes((size + 7) / 8) : std::string_view();
  std::string_view keycards = r.bytes(size * 4);
  bool has_offsets = !has_run || size >= kNoOffsetThreshold;
  std::string_view offsets = has_offsets ? r.bytes(size * 4) : std::string_view();
  if (r.failed()) return Status::corruption("bitmap header truncated");
  int64_t prev_key = -1;
  for (uint64_t k = 0; k < size; ++k) {
    uint32_t key = load16(keycards.data() + 4 * k);
    uint32_t card = uint32_t{load16(keycards.data() + 4 * k + 2)} + 1;
    if (static_cast<int64_t>(key) <= prev_key) return Status::corruption("bitmap keys not increasing");
    prev_key = key;
    if (has_offsets) {
      ByteReader o(offsets.substr(4 * k, 4));
      if (o.u32() != r.offset()) return Status::corruption("bitmap container offset mismatch");
    }
    bool is_run = has_run && (static_cast<uint8_t>(run_flags[k / 8]) >> (k % 8)) & 1;
    if (is_run) {
      uint32_t n_runs = r.u16();
      std::string_view runs = r.bytes(size_t{n_runs} * 4);
      if (r.failed()) return Status::corruption("bitmap run container truncated");
      if (n_runs == 0) return Status::corruption("bitmap run container is empty");
      int64_t prev_end = -1;
      uint64_t total = 0;
      for (uint32_t i = 0; i < n_runs; ++i) {
        int64_t start = load16(runs.data() + 4 * i);
        int64_t len = load16(runs.data() + 4 * i + 2);
        if (start <= prev_end || start + len > 0xffff) return Status::corruption("bitmap runs overlap or overflow");
        prev_end = start + len;
        total += static_cast<uint64_t>(len) + 1;
      }
      if (total != card) return Status::corruption("bitmap run cardinality mismatch");
    } else if (card > kMaxArrayCard) {
      std::string_view words = r.bytes(kBitsetBytes);
      if (r.failed()) return Status::corruption("bitmap bitset container truncated");
      uint64_t pop = 0;
      for (size_t i = 0; i < kBitsetBytes; i += 8) {
        uint64_t w;
        std::memcpy(&w, words.data() + i, 8);
        pop += static_cast<uint64_t>(std::popcount(w));
      }
      if (pop != card) return Status::corruption("bitmap bitset cardinality mismatch");
    } else {
      std::string_view vals = r.bytes(size_t{card} * 2);
      if (r.failed()) return Status::corruption("bitmap array container truncated");
      int64_t prev = -1;
      for (uint32_t i = 0; i < card; ++i) {
        int64_t v = load16(vals.data() + 2 * i);
        if (v <= prev) return Status::corruption("bitmap array values not increasing");
        prev = v;
      }
    }
  }
  if (consumed != nullptr) *consumed = r.offset();
  return Status::ok();
}

Result<Bitmap> Bitmap::deserialize(std::string_view bytes, const std::string& name) {
  size_t used = 0;
  Status st = validate_portable(bytes, &used);
  if (!st.is_ok()) return Status::corruption(name + ": " + st.message());
  if (used != bytes.size())
    return Status::corruption(name + ": " + std::to_string(bytes.size() - used) +
                              " trailing bytes after bitmap");
  roaring_bitmap_t* r = roaring_bitmap_portable_deserialize_safe(bytes.data(), bytes.size());
  if (r == nullptr) return Status::corruption(name + ": bitmap rejected by decoder");
  Bitmap b(r);
  if (roaring_bitmap_portable_size_in_bytes(r) != used)
    return Status::corruption(name + ": bitmap size mismatch after decoding");
  return b;
}

Result<Bitmap> Bitmap::deserialize_verified(std::string_view bytes) {
  roaring_bitmap_t* r = roaring_bitmap_portable_deserialize_safe(bytes.data(), bytes.size());
  if (r == nullptr) return Status::corruption("bitmap rejected by decoder");
  return Bitmap(r);
}

}  // namespace meridian::postings

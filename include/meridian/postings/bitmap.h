// Bitmap: the one wrapper of CRoaring (C API) in Meridian. A set of uint32
// document numbers with fast boolean algebra, rank/select and a portable
// serialized form (https://github.com/RoaringBitmap/RoaringFormatSpec).
//
// Ownership: a Bitmap owns its roaring_bitmap_t; it is move-only (copy() makes
// an explicit deep copy). Copy-on-write is never enabled, so no storage is
// shared between two Bitmaps.
//
// Thread safety: const methods may be called from any number of threads at
// once while nobody modifies the bitmap; mutation needs exclusive access.
//
// A moved-from Bitmap may only be destroyed or assigned to.
//
// Untrusted bytes: deserialize() checks the whole serialized structure itself
// (keys and values strictly increasing, cardinalities, run bounds, offsets)
// before handing it to CRoaring, because CRoaring 0.2.66 has no validator. A
// damaged input yields Status::corruption naming the source, never a crash.
#pragma once

#include <roaring/roaring.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::postings {

class Bitmap {
 public:
  Bitmap();
  ~Bitmap();
  Bitmap(Bitmap&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Bitmap& operator=(Bitmap&& o) noexcept;
  Bitmap(const Bitmap&) = delete;
  Bitmap& operator=(const Bitmap&) = delete;

  Bitmap copy() const;
  // Values in any order (sorted input is fastest); duplicates are fine.
  static Bitmap from_values(std::span<const uint32_t> values);
  // Values in increasing order: strictly increasing values build their
  // array containers directly (CRoaring 0.2.66 inserts one value at a time);
  // anything else is from_values().
  static Bitmap from_sorted(std::span<const uint32_t> values);
  // All values in [lo, hi).
  static Bitmap from_range(uint64_t lo, uint64_t hi);

  void add(uint32_t x);
  bool add_checked(uint32_t x);  // true if x was not present
  void add_many(std::span<const uint32_t> values);
  void add_range(uint64_t lo, uint64_t hi);  // [lo, hi)
  void remove(uint32_t x);
  void clear();

  bool contains(uint32_t x) const;
  uint64_t cardinality() const;
  bool is_empty() const;
  // Number of values <= x.
  uint64_t rank(uint32_t x) const;
  // Number of values in [lo, hi). Its cost grows with the width of the range,
  // not with lo's place in the bitmap (CRoaring 0.2.66's rank counts a
  // bitset container from its start): meant for short ranges, such as the
  // rank of a document within a postings block of 128.
  uint64_t count_range(uint32_t lo, uint32_t hi) const;
  // The value of rank i (0-based), or nullopt if i >= cardinality().
  std::optional<uint32_t> select(uint64_t i) const;
  std::optional<uint32_t> min() const;
  std::optional<uint32_t> max() const;
  bool operator==(const Bitmap& o) const;

  // In-place algebra. `o` may be *this.
  Bitmap& and_inplace(const Bitmap& o);
  Bitmap& or_inplace(const Bitmap& o);
  Bitmap& andnot_inplace(const Bitmap& o);
  Bitmap& xor_inplace(const Bitmap& o);
  static Bitmap and_of(const Bitmap& a, const Bitmap& b);
  static Bitmap or_of(const Bitmap& a, const Bitmap& b);
  static Bitmap andnot_of(const Bitmap& a, const Bitmap& b);
  static Bitmap xor_of(const Bitmap& a, const Bitmap& b);
  static Bitmap or_many(std::span<const Bitmap* const> bitmaps);
  // The intersection of all (empty for none), smallest first: the copy and
  // every AND then cost at most the smallest operand's containers.
  static Bitmap and_many(std::span<const Bitmap* const> bitmaps);
  uint64_t and_cardinality(const Bitmap& o) const;
  bool intersects(const Bitmap& o) const;

  // Calls fn(value) in increasing order until it returns false. Returns true
  // if every value was visited.
  template <typename Fn>
  bool for_each(Fn&& fn) const {
    using F = std::remove_reference_t<Fn>;
    auto trampoline = [](uint32_t v, void* p) -> bool { return (*static_cast<F*>(p))(v); };
    return roaring_iterate(r_, trampoline, const_cast<void*>(static_cast<const void*>(&fn)));
  }
  std::vector<uint32_t> to_vector() const;

  // Forward iterator with seek; invalid once the bitmap changes.
  class Iterator {
   public:
    explicit Iterator(const Bitmap& b) { roaring_init_iterator(b.r_, &it_); }
    bool valid() const { return it_.has_value; }
    uint32_t value() const { return it_.current_value; }
    void next() { roaring_advance_uint32_iterator(&it_); }
    // Moves to the first value >= target (forward or backward).
    bool seek(uint32_t target) { return roaring_move_uint32_iterator_equalorlarger(&it_, target); }
    // Copies up to n values starting at the current one into out and moves
    // past them; returns how many were copied.
    uint32_t read(uint32_t* out, uint32_t n) { return roaring_read_uint32_iterator(&it_, out, n); }

   private:
    roaring_uint32_iterator_t it_;
  };
  Iterator iterator() const { return Iterator(*this); }

  // Converts long runs to run containers; returns true if any run container.
  bool run_optimize();
  size_t serialized_size() const;
  // Portable format, appended to *out.
  void serialize_to(std::string* out) const;
  std::string serialize() const;
  // Reads exactly `bytes` (trailing bytes are corruption). `name` names the
  // source in error messages.
  static Result<Bitmap> deserialize(std::string_view bytes, const std::string& name);
  // The same without the structural check, for bytes that deserialize()
  // has already accepted (a checksummed record verified earlier in this
  // process): the check costs more than the decoding. CRoaring's own bounds
  // still hold; null bytes give a corruption status, never a crash.
  static Result<Bitmap> deserialize_verified(std::string_view bytes);
  // Checks a portable serialization without building a bitmap; on success
  // *consumed (if not null) is the number of bytes the bitmap occupies.
  static Status validate_portable(std::string_view bytes, size_t* consumed);

  const roaring_bitmap_t* raw() const { return r_; }

 private:
  explicit Bitmap(roaring_bitmap_t* r) : r_(r) {}
  static roaring_bitmap_t* checked(roaring_bitmap_t* r);
  roaring_bitmap_t* r_;
};

}  // namespace meridian::postings

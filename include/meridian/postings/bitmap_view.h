// BitmapView: a roaring bitmap read in place from its portable serialization
// (RoaringFormatSpec), and the intersection of two such bitmaps into a
// sorted vector of documents: a phrase's or a conjunction's candidates.
//
// The view decodes nothing and allocates nothing: it locates each
// container's key, kind and bytes inside the serialized form (the mapped
// postings file). The intersection works container by container on those
// bytes; two array containers, the common case of two words' documents,
// are intersected 8 x 8 values at a time with SSE4.2's string compare when
// the CPU has it (the build targets the x86-64 baseline, so it is chosen at
// run time), by galloping when one is much longer, else by a merge.
//
// The bytes must have passed Bitmap::validate_portable (a postings record is
// checked on its first read); a view of unchecked bytes may read out of bounds.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace meridian::postings {

class BitmapView {
 public:
  // False when the header is malformed (the container bytes are not walked:
  // see the precondition above).
  static bool parse(std::string_view bytes, BitmapView* out);

  uint32_t containers() const { return size_; }
  uint64_t cardinality() const;

  // a AND b, appended to *out in increasing order.
  static void intersect(const BitmapView& a, const BitmapView& b, std::vector<uint32_t>* out);

  enum class Kind : uint8_t { kArray, kBitset, kRun };
  struct Container {
    uint16_t key;
    Kind kind;
    uint32_t card;      // values (array, bitset) or runs (run)
    const char* data;   // array: card u16; bitset: 1024 u64; run: card (start, length - 1) u16 pairs
  };
  Container container(uint32_t i) const;

 private:
  std::string_view bytes_;
  uint32_t size_ = 0;
  bool has_run_ = false;
  const char* run_flags_ = nullptr;
  const char* keycards_ = nullptr;
  // Offsets of the containers' bytes in bytes_: stored by the format, or
  // (a run bitmap of under 4 containers) computed by parse().
  const char* offsets_ = nullptr;
  uint32_t small_offsets_[4] = {};
};

}  // namespace meridian::postings

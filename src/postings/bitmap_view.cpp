#include "meridian/postings/bitmap_view.h"

#include <algorithm>
#include <cstring>

#include "meridian/postings/postings_format.h"
#include "roaring_format.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define MERIDIAN_HAVE_SSE42_KERNEL 1
#endif

namespace meridian::postings {

namespace {

using format::load_u32;
using format::load_u64;
using roaring_format::kBitsetBytes;
using roaring_format::kCookieNoRun;
using roaring_format::kCookieRun;
using roaring_format::kMaxArrayCard;
using roaring_format::kNoOffsetThreshold;
using roaring_format::load16;

// Sorted arrays of 16-bit values (unaligned, as the format stores them):
// the common values, as key << 16 | value, appended to *out.
void merge_arrays(const char* a, uint32_t na, const char* b, uint32_t nb, uint32_t high, std::vector<uint32_t>* out) {
  uint32_t i = 0, j = 0;
  while (i < na && j < nb) {
    const uint16_t x = load16(a + 2 * i), y = load16(b + 2 * j);
    if (x == y) out->push_back(high | x);
    i += x <= y;
    j += y <= x;
  }
}

// a much shorter than b: each of a's values found by galloping in b.
void gallop_arrays(const char* a, uint32_t na, const char* b, uint32_t nb, uint32_t high, std::vector<uint32_t>* out) {
  uint32_t lo = 0;
  for (uint32_t i = 0; i < na && lo < nb; ++i) {
    const uint16_t x = load16(a + 2 * i);
    if (load16(b + 2 * lo) < x) {
      uint32_t step = 1, hi = lo + 1;
      while (hi < nb && load16(b + 2 * hi) < x) {
        lo = hi;
        step <<= 1;
        hi = lo + step;
      }
      hi = std::min(hi, nb);
      // b[lo] < x <= b[hi] (or hi == nb): the first >= x in (lo, hi].
      ++lo;
      while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (load16(b + 2 * mid) < x) lo = mid + 1; else hi = mid;
      }
    }
    if (lo < nb && load16(b + 2 * lo) == x) out->push_back(high | x);
  }
}

#ifdef MERIDIAN_HAVE_SSE42_KERNEL
// Eight values of a against eight of b per step (Schlegel, Willhalm and
// Lehner's intersection with the SSE4.2 string compare): the mask of a's
// values present in b's eight, then the block with the smaller last value
// moves on. Each value of a matches at most one of b, in one block of b, so
// every common value comes out once and in order. The tails are merged.
__attribute__((target("sse4.2"))) void sse42_arrays(const char* a, uint32_t na, const char* b, uint32_t nb,
                                                   uint32_t high, std::vector<uint32_t>* out) {
  uint32_t i = 0, j = 0;
  const uint32_t ea = na & ~7u, eb = nb & ~7u;
  if (ea > 0 && eb > 0) {
    __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
    __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    while (true) {
      const __m128i m = _mm_cmpestrm(vb, 8, va, 8, _SIDD_UWORD_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_BIT_MASK);
      for (uint32_t bits = static_cast<uint32_t>(_mm_cvtsi128_si32(m)); bits != 0; bits &= bits - 1)
        out->push_back(high | load16(a + 2 * (i + static_cast<uint32_t>(__builtin_ctz(bits)))));
      const uint16_t a_last = load16(a + 2 * (i + 7)), b_last = load16(b + 2 * (j + 7));
      if (a_last <= b_last) {
        i += 8;
        if (i == ea) break;
        va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 2 * i));
      }
      if (b_last <= a_last) {
        j += 8;
        if (j == eb) break;
        vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 2 * j));
      }
    }
  }
  merge_arrays(a + 2 * i, na - i, b + 2 * j, nb - j, high, out);
}
const bool kSse42 = (__builtin_cpu_init(), __builtin_cpu_supports("sse4.2"));
#endif

void arrays(const char* a, uint32_t na, const char* b, uint32_t nb, uint32_t high, std::vector<uint32_t>* out) {
  if (na > nb) {
    std::swap(a, b);
    std::swap(na, nb);
  }
  if (uint64_t{na} * 32 < nb) return gallop_arrays(a, na, b, nb, high, out);
#ifdef MERIDIAN_HAVE_SSE42_KERNEL
  if (kSse42) return sse42_arrays(a, na, b, nb, high, out);
#endif
  merge_arrays(a, na, b, nb, high, out);
}

inline bool bit(const char* words, uint16_t v) { return (load_u64(words + 8 * (v >> 6)) >> (v & 63)) & 1; }

// Whether v lies in one of the runs [from, n_runs) (v ascending across
// calls: *from only moves forward).
inline bool in_runs(const char* runs, uint32_t n_runs, uint32_t* from, uint16_t v) {
  while (*from < n_runs && uint32_t{load16(runs + 4 * *from)} + load16(runs + 4 * *from + 2) < v) ++*from;
  return *from < n_runs && load16(runs + 4 * *from) <= v;
}

// Every value of container c, in order, to f (run containers by range).
template <typename F>
void for_each_value(const BitmapView::Container& c, F&& f) {
  switch (c.kind) {
    case BitmapView::Kind::kArray:
      for (uint32_t i = 0; i < c.card; ++i) f(load16(c.data + 2 * i));
      break;
    case BitmapView::Kind::kBitset:
      for (uint32_t w = 0; w < 1024; ++w)
        for (uint64_t word = load_u64(c.data + 8 * w); word != 0; word &= word - 1)
          f(static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(__builtin_ctzll(word))));
      break;
    case BitmapView::Kind::kRun:
      for (uint32_t r = 0; r < c.card; ++r) {
        const uint32_t start = load16(c.data + 4 * r), len = load16(c.data + 4 * r + 2);
        for (uint32_t v = start; v <= start + len; ++v) f(static_cast<uint16_t>(v));
      }
      break;
  }
}

// Whether container c holds v, for ascending v (`state` carries a run
// container's position between calls).
inline bool holds(const BitmapView::Container& c, uint16_t v, uint32_t* state) {
  switch (c.kind) {
    case BitmapView::Kind::kBitset: return bit(c.data, v);
    case BitmapView::Kind::kRun: return in_runs(c.data, c.card, state, v);
    case BitmapView::Kind::kArray:
      while (*state < c.card && load16(c.data + 2 * *state) < v) ++*state;
      return *state < c.card && load16(c.data + 2 * *state) == v;
  }
  return false;
}

void intersect_containers(const BitmapView::Container& a, const BitmapView::Container& b, std::vector<uint32_t>* out) {
  const uint32_t high = uint32_t{a.key} << 16;
  using K = BitmapView::Kind;
  if (a.kind == K::kArray && b.kind == K::kArray) return arrays(a.data, a.card, b.data, b.card, high, out);
  if (a.kind == K::kBitset && b.kind == K::kBitset) {
    for (uint32_t w = 0; w < 1024; ++w)
      for (uint64_t word = load_u64(a.data + 8 * w) & load_u64(b.data + 8 * w); word != 0; word &= word - 1)
        out->push_back(high | (w * 64 + static_cast<uint32_t>(__builtin_ctzll(word))));
    return;
  }
  // Otherwise: walk the one with fewer values (an array, or the runs),
  // testing each in the other.
  auto values = [](const BitmapView::Container& c) -> uint64_t {
    if (c.kind != K::kRun) return c.card;
    uint64_t n = 0;
    for (uint32_t r = 0; r < c.card; ++r) n += uint64_t{load16(c.data + 4 * r + 2)} + 1;
    return n;
  };
  const bool a_walks = values(a) <= values(b);
  const BitmapView::Container& walk = a_walks ? a : b;
  const BitmapView::Container& test = a_walks ? b : a;
  uint32_t state = 0;
  for_each_value(walk, [&](uint16_t v) {
    if (holds(test, v, &state)) out->push_back(high | v);
  });
}

}  // namespace

bool BitmapView::parse(std::string_view bytes, BitmapView* out) {
  BitmapView v;
  v.bytes_ = bytes;
  if (bytes.size() < 4) return false;
  const uint32_t cookie = load_u32(bytes.data());
  size_t at = 4;
  uint64_t size = 0;
  if ((cookie & 0xffff) == kCookieRun) {
    v.has_run_ = true;
    size = (cookie >> 16) + 1;
  } else if (cookie == kCookieNoRun) {
    if (bytes.size() < 8) return false;
    size = load_u32(bytes.data() + 4);
    at = 8;
  } else {
    return false;
  }
  if (size > 65536) return false;
  v.size_ = static_cast<uint32_t>(size);
  if (v.has_run_) {
    v.run_flags_ = bytes.data() + at;
    at += (size + 7) / 8;
  }
  v.keycards_ = bytes.data() + at;
  at += 4 * size;
  const bool has_offsets = !v.has_run_ || size >= kNoOffsetThreshold;
  if (has_offsets) {
    v.offsets_ = bytes.data() + at;
    at += 4 * size;
  }
  if (at > bytes.size()) return false;
  if (!has_offsets) {  // under 4 containers: each starts where the previous ends
    for (uint32_t i = 0; i < v.size_; ++i) {
      v.small_offsets_[i] = static_cast<uint32_t>(at);
      const uint32_t card = uint32_t{load16(v.keycards_ + 4 * i + 2)} + 1;
      const bool run = (static_cast<uint8_t>(v.run_flags_[i / 8]) >> (i % 8)) & 1;
      if (run) {
        if (at + 2 > bytes.size()) return false;
        at += 2 + size_t{load16(bytes.data() + at)} * 4;
      } else {
        at += card > kMaxArrayCard ? kBitsetBytes : size_t{card} * 2;
      }
    }
  }
  *out = v;
  return true;
}

BitmapView::Container BitmapView::container(uint32_t i) const {
  Container c;
  c.key = load16(keycards_ + 4 * i);
  const uint32_t card = uint32_t{load16(keycards_ + 4 * i + 2)} + 1;
  const uint32_t off = offsets_ ? load_u32(offsets_ + 4 * i) : small_offsets_[i];
  const char* p = bytes_.data() + off;
  if (has_run_ && ((static_cast<uint8_t>(run_flags_[i / 8]) >> (i % 8)) & 1)) {
    c.kind = Kind::kRun;
    c.card = load16(p);
    c.data = p + 2;
  } else if (card > kMaxArrayCard) {
    c.kind = Kind::kBitset;
    c.card = card;
    c.data = p;
  } else {
    c.kind = Kind::kArray;
    c.card = card;
    c.data = p;
  }
  return c;
}

uint64_t BitmapView::cardinality() const {
  uint64_t n = 0;
  for (uint32_t i = 0; i < size_; ++i) n += uint64_t{load16(keycards_ + 4 * i + 2)} + 1;
  return n;
}

void BitmapView::intersect(const BitmapView& a, const BitmapView& b, std::vector<uint32_t>* out) {
  uint32_t i = 0, j = 0;
  while (i < a.size_ && j < b.size_) {
    const uint16_t ka = load16(a.keycards_ + 4 * i), kb = load16(b.keycards_ + 4 * j);
    if (ka < kb) {
      ++i;
    } else if (kb < ka) {
      ++j;
    } else {
      intersect_containers(a.container(i), b.container(j), out);
      ++i;
      ++j;
    }
  }
}

}  // namespace meridian::postings

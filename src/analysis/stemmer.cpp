#include "meridian/analysis/stemmer.h"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

namespace meridian::analysis {
namespace {

struct Language {
  const char* iso;
  const char* algorithm;  // libstemmer name
  bool alias;             // not listed by stemmer_languages()
};

constexpr Language kLanguages[] = {
    {"ar", "arabic", false},     {"hy", "armenian", false},   {"eu", "basque", false},
    {"ca", "catalan", false},    {"da", "danish", false},     {"nl", "dutch", false},
    {"en", "english", false},    {"fi", "finnish", false},    {"fr", "french", false},
    {"de", "german", false},     {"el", "greek", false},      {"hi", "hindi", false},
    {"hu", "hungarian", false},  {"id", "indonesian", false}, {"ga", "irish", false},
    {"it", "italian", false},    {"lt", "lithuanian", false}, {"ne", "nepali", false},
    {"no", "norwegian", false},  {"nb", "norwegian", true},   {"nn", "norwegian", true},
    {"pt", "portuguese", false}, {"ro", "romanian", false},   {"ru", "russian", false},
    {"sr", "serbian", false},    {"es", "spanish", false},    {"sv", "swedish", false},
    {"ta", "tamil", false},      {"tr", "turkish", false},    {"yi", "yiddish", false},
};
constexpr size_t kCount = sizeof(kLanguages) / sizeof(kLanguages[0]);

// Which table rows the linked libstemmer really provides (checked once).
const std::array<bool, kCount>& available() {
  static const std::array<bool, kCount> kAvailable = [] {
    std::array<bool, kCount> a{};
    for (const char** p = sb_stemmer_list(); *p != nullptr; ++p) {
      for (size_t i = 0; i < kCount; ++i)
        if (std::strcmp(*p, kLanguages[i].algorithm) == 0) a[i] = true;
    }
    return a;
  }();
  return kAvailable;
}

// Memo of recent (word → stem) results for one stemmer: direct mapped, fixed
// size, no allocation after creation. Word frequencies are Zipfian, so most
// lookups hit and skip the Snowball program, which is the most expensive step
// of English analysis. Snowball is deterministic, so a hit is exact.
class StemMemo {
 public:
  static constexpr size_t kSlots = 8192;  // 8192 * 48 bytes = 384 KiB
  static constexpr size_t kMaxLen = 23;   // longer words bypass the memo

  // The memoized stem of `word`, or false.
  bool find(std::string_view word, std::string* out) const {
    const Slot& e = slots_[slot(word)];
    if (e.word_len != word.size() || e.word_len == 0 || std::memcmp(e.word, word.data(), word.size()) != 0)
      return false;
    out->assign(e.stem, e.stem_len);
    return true;
  }
  void put(std::string_view word, std::string_view stem) {
    if (word.size() > kMaxLen || stem.size() > kMaxLen || word.empty()) return;
    Slot& e = slots_[slot(word)];
    e.word_len = static_cast<uint8_t>(word.size());
    e.stem_len = static_cast<uint8_t>(stem.size());
    std::memcpy(e.word, word.data(), word.size());
    std::memcpy(e.stem, stem.data(), stem.size());
  }

 private:
  struct Slot {
    uint8_t word_len = 0;
    uint8_t stem_len = 0;
    char word[kMaxLen];
    char stem[kMaxLen];
  };
  static size_t slot(std::string_view w) {
    uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (unsigned char c : w) h = (h ^ c) * 1099511628211ull;
    return static_cast<size_t>(h ^ (h >> 29)) & (kSlots - 1);
  }
  std::array<Slot, kSlots> slots_{};
};

// One thread's stemmers and their memos, created lazily; freed at thread exit.
struct StemmerCache {
  std::array<sb_stemmer*, kCount> stemmers{};
  std::array<std::unique_ptr<StemMemo>, kCount> memos;
  StemmerCache() = default;
  StemmerCache(const StemmerCache&) = delete;
  StemmerCache& operator=(const StemmerCache&) = delete;
  ~StemmerCache() {
    for (sb_stemmer* s : stemmers)
      if (s != nullptr) sb_stemmer_delete(s);
  }
  sb_stemmer* get(int id) {
    sb_stemmer*& s = stemmers[static_cast<size_t>(id)];
    if (s == nullptr) {
      s = sb_stemmer_new(kLanguages[id].algorithm, "UTF_8");
      memos[static_cast<size_t>(id)] = std::make_unique<StemMemo>();
    }
    return s;
  }
};
thread_local StemmerCache tl_stemmers;

}  // namespace

int stemmer_id(std::string_view language) {
  for (size_t i = 0; i < kCount; ++i)
    if (language == kLanguages[i].iso && available()[i]) return static_cast<int>(i);
  return -1;
}

std::string_view stemmer_algorithm(int id) {
  if (id < 0 || static_cast<size_t>(id) >= kCount) return {};
  return kLanguages[id].algorithm;
}

void stem_word(int id, std::string_view word, std::string* out) {
  if (id < 0 || static_cast<size_t>(id) >= kCount || word.size() > 0x7fffffff) {
    out->assign(word);
    return;
  }
  StemmerCache& cache = tl_stemmers;
  sb_stemmer* s = cache.get(id);
  StemMemo* memo = cache.memos[static_cast<size_t>(id)].get();
  if (memo != nullptr && memo->find(word, out)) return;
  const sb_symbol* r = s == nullptr ? nullptr
                                    : sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(word.data()),
                                                      static_cast<int>(word.size()));
  if (r == nullptr) {  // no such stemmer or out of memory: keep the word
    out->assign(word);
    return;
  }
  out->assign(reinterpret_cast<const char*>(r), static_cast<size_t>(sb_stemmer_length(s)));
  if (memo != nullptr) memo->put(word, *out);
}

void stem_word_uncached(int id, std::string_view word, std::string* out) {
  out->assign(word);
  if (id < 0 || static_cast<size_t>(id) >= kCount || word.size() > 0x7fffffff) return;
  sb_stemmer* s = sb_stemmer_new(kLanguages[id].algorithm, "UTF_8");
  if (s == nullptr) return;
  const sb_symbol* r =
      sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (r != nullptr) out->assign(reinterpret_cast<const char*>(r), static_cast<size_t>(sb_stemmer_length(s)));
  sb_stemmer_delete(s);
}

std::vector<std::string> stemmer_languages() {
  std::vector<std::string> out;
  for (size_t i = 0; i < kCount; ++i)
    if (!kLanguages[i].alias && available()[i]) out.emplace_back(kLanguages[i].iso);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace meridian::analysis

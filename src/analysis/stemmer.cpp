#include "meridian/analysis/stemmer.h"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <cstring>

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

// One thread's stemmers, created lazily; freed at thread exit.
struct StemmerCache {
  std::array<sb_stemmer*, kCount> stemmers{};
  StemmerCache() = default;
  StemmerCache(const StemmerCache&) = delete;
  StemmerCache& operator=(const StemmerCache&) = delete;
  ~StemmerCache() {
    for (sb_stemmer* s : stemmers)
      if (s != nullptr) sb_stemmer_delete(s);
  }
  sb_stemmer* get(int id) {
    sb_stemmer*& s = stemmers[static_cast<size_t>(id)];
    if (s == nullptr) s = sb_stemmer_new(kLanguages[id].algorithm, "UTF_8");
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
  sb_stemmer* s = tl_stemmers.get(id);
  const sb_symbol* r = s == nullptr ? nullptr
                                    : sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(word.data()),
                                                      static_cast<int>(word.size()));
  if (r == nullptr) {  // no such stemmer or out of memory: keep the word
    out->assign(word);
    return;
  }
  out->assign(reinterpret_cast<const char*>(r), static_cast<size_t>(sb_stemmer_length(s)));
}

std::vector<std::string> stemmer_languages() {
  std::vector<std::string> out;
  for (size_t i = 0; i < kCount; ++i)
    if (!kLanguages[i].alias && available()[i]) out.emplace_back(kLanguages[i].iso);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace meridian::analysis

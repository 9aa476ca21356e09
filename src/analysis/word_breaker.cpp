#include "meridian/analysis/word_breaker.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

#include <array>
#include <memory>
#include <string>

#include "meridian/analysis/analyzer.h"
#include "meridian/analysis/folding.h"

namespace meridian::analysis {
namespace {

// One thread's ICU word iterator and the UText it reads through. ICU break
// iterators are not thread-safe; each thread creates its own on first use.
struct Breaker {
  std::unique_ptr<icu::BreakIterator> iter;
  UText* text = nullptr;
  bool failed = false;  // ICU data missing: break_words finds no words
  Breaker() {
    UErrorCode st = U_ZERO_ERROR;
    iter.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), st));
    if (U_FAILURE(st)) iter.reset();
    failed = iter == nullptr;
  }
  Breaker(const Breaker&) = delete;
  Breaker& operator=(const Breaker&) = delete;
  ~Breaker() {
    iter.reset();  // it holds a clone of `text`; drop it first
    if (text != nullptr) utext_close(text);
  }
};
thread_local Breaker tl_breaker;

// How each byte behaves in ICU's word rules, as far as the fast path needs
// it (every byte >= 128 is kUnsupported: the text is not ASCII).
enum : uint8_t {
  kOther = 0,      // breaks on both sides, never a word by itself
  kLetter = 1,     // ALetter
  kDigit = 2,      // Numeric
  kMidLetter = 4,  // joins letter _ letter (MidLetter, MidNumLet, Single_Quote)
  kMidNum = 8,     // joins digit _ digit (MidNum, MidNumLet, Single_Quote)
  kUnsupported = 16,  // anything else (ExtendNumLet '_'): the text goes to ICU
};

std::array<uint8_t, 256> calibrate() {
  std::array<uint8_t, 256> cls;
  cls.fill(kUnsupported);
  std::vector<WordSpan> spans;
  auto one_word = [&](const std::string& t) {
    detail::break_words_icu(t, &spans);
    return spans.size() == 1 && spans[0].start == 0 && spans[0].end == t.size();
  };
  for (int c = 0; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    cls[c] = kOther;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      cls[c] = kLetter;
    } else if (c >= '0' && c <= '9') {
      cls[c] = kDigit;
    } else {
      const std::string alone(1, ch);
      detail::break_words_icu(alone, &spans);
      if (!spans.empty() || one_word(std::string("a") + ch) || one_word(std::string(1, ch) + "a") ||
          one_word(std::string("1") + ch) || one_word(std::string(1, ch) + "1") || one_word(alone + ch)) {
        cls[c] = kUnsupported;  // a word by itself, or joins on one side only
        continue;
      }
      if (one_word(std::string("a") + ch + "a")) cls[c] |= kMidLetter;
      if (one_word(std::string("1") + ch + "1")) cls[c] |= kMidNum;
    }
  }
  // The model: letters and digits join each other (UAX #29 WB5, WB8-WB10).
  for (const char* t : {"ab", "a1", "1a", "12"})
    if (!one_word(t)) cls.fill(kUnsupported);
  return cls;
}

const std::array<uint8_t, 256>& byte_classes() {
  static const std::array<uint8_t, 256> kClasses = [] {
    if (tl_breaker.failed) {
      std::array<uint8_t, 256> none{};
      none.fill(kUnsupported);
      return none;
    }
    return calibrate();
  }();
  return kClasses;
}

}  // namespace

namespace detail {

bool break_words_ascii(std::string_view text, std::vector<WordSpan>* out) {
  const auto& cls = byte_classes();
  out->clear();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  // One pass. Every byte that is not a letter or digit inside a word comes
  // through this first branch, so an unsupported byte is always seen.
  size_t i = 0;
  while (i < n) {
    if (const uint8_t c = cls[p[i]]; !(c & (kLetter | kDigit))) {
      if (c & kUnsupported) return false;
      ++i;
      continue;
    }
    const size_t start = i++;
    while (i < n) {
      const uint8_t c = cls[p[i]];
      if (c & (kLetter | kDigit)) {
        ++i;
        continue;
      }
      // A Mid character joins only between two letters (MidLetter) or two
      // digits (MidNum) (WB6/WB7, WB11/WB12).
      if (i + 1 < n) {
        const uint8_t before = cls[p[i - 1]], after = cls[p[i + 1]];
        if (((c & kMidLetter) && (before & kLetter) && (after & kLetter)) ||
            ((c & kMidNum) && (before & kDigit) && (after & kDigit))) {
          i += 2;
          continue;
        }
      }
      break;
    }
    out->push_back(WordSpan{static_cast<uint32_t>(start), static_cast<uint32_t>(i)});
  }
  return true;
}

void break_words_icu(std::string_view text, std::vector<WordSpan>* out) {
  out->clear();
  Breaker& b = tl_breaker;
  if (b.failed || text.empty()) return;
  UErrorCode st = U_ZERO_ERROR;
  b.text = utext_openUTF8(b.text, text.data(), static_cast<int64_t>(text.size()), &st);
  if (U_FAILURE(st)) return;
  b.iter->setText(b.text, st);
  if (U_FAILURE(st)) return;
  int32_t start = b.iter->first();
  for (int32_t end = b.iter->next(); end != icu::BreakIterator::DONE; start = end, end = b.iter->next()) {
    // The status of the rule that ended [start, end): >= UBRK_WORD_NONE_LIMIT
    // for numbers, letters, kana and ideographs; below for spaces, punctuation
    // and symbols (emoji included).
    if (b.iter->getRuleStatus() >= UBRK_WORD_NONE_LIMIT)
      out->push_back(WordSpan{static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
  }
}

}  // namespace detail

void break_words(std::string_view text, std::vector<WordSpan>* out) {
  if (text.size() > kMaxTextBytes) text = text.substr(0, utf8_prefix(text, kMaxTextBytes));
  if (detail::break_words_ascii(text, out)) return;
  detail::break_words_icu(text, out);
}

}  // namespace meridian::analysis

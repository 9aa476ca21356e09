#include "meridian/analysis/word_breaker.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>

#include <memory>

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

}  // namespace

void break_words(std::string_view text, std::vector<WordSpan>* out) {
  out->clear();
  Breaker& b = tl_breaker;
  if (b.failed || text.empty()) return;
  if (text.size() > kMaxTextBytes) text = text.substr(0, utf8_prefix(text, kMaxTextBytes));
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

}  // namespace meridian::analysis

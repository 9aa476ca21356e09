#include "meridian/analysis/folding.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

namespace meridian::analysis {
namespace {

enum class Form { kNfkcCf, kNfd, kNfc };

// ICU's normalizer singletons are immutable and thread-safe. nullptr only if
// ICU data is missing; callers then pass text through unchanged.
const icu::Normalizer2* normalizer(Form f) {
  static const icu::Normalizer2* const kNfkcCf = [] {
    UErrorCode st = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(st);
    return U_SUCCESS(st) ? n : nullptr;
  }();
  static const icu::Normalizer2* const kNfd = [] {
    UErrorCode st = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(st);
    return U_SUCCESS(st) ? n : nullptr;
  }();
  static const icu::Normalizer2* const kNfc = [] {
    UErrorCode st = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(st);
    return U_SUCCESS(st) ? n : nullptr;
  }();
  switch (f) {
    case Form::kNfkcCf: return kNfkcCf;
    case Form::kNfd: return kNfd;
    case Form::kNfc: return kNfc;
  }
  return nullptr;
}

struct Scratch {
  icu::UnicodeString a;
  icu::UnicodeString b;
};
thread_local Scratch tl_scratch;

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

void utf8_to_utf16(std::string_view in, icu::UnicodeString* out) {
  out->remove();
  const auto* s = reinterpret_cast<const uint8_t*>(in.data());
  const int32_t n = static_cast<int32_t>(in.size());
  int32_t i = 0;
  while (i < n) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    out->append(c < 0 ? UChar32{0xFFFD} : c);
  }
}

void append_utf8(UChar32 c, std::string* out) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  U8_APPEND_UNSAFE(buf, len, c);
  out->append(buf, static_cast<size_t>(len));
}

// Converts with lone surrogates as U+FFFD; maps ‘ ’ to ' when `apostrophes`.
void utf16_to_utf8(const icu::UnicodeString& in, bool apostrophes, std::string* out) {
  out->clear();
  const char16_t* s = in.getBuffer();
  const int32_t n = in.length();
  int32_t i = 0;
  while (i < n) {
    UChar32 c;
    U16_NEXT(s, i, n, c);
    if (U_IS_SURROGATE(c)) c = 0xFFFD;
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (apostrophes && (c == 0x2018 || c == 0x2019)) {
      out->push_back('\'');
    } else {
      append_utf8(c, out);
    }
  }
}

void normalize(Form f, const icu::UnicodeString& src, icu::UnicodeString* dest) {
  const icu::Normalizer2* n = normalizer(f);
  UErrorCode st = U_ZERO_ERROR;
  if (n != nullptr) n->normalize(src, *dest, st);
  if (n == nullptr || U_FAILURE(st)) *dest = src;
}

// Letters whose accent is not a separate mark under NFD. nullptr: none.
const char16_t* letter_fold(UChar32 c) {
  switch (c) {
    case 0x00E6: return u"ae";  case 0x00C6: return u"AE";
    case 0x00F8: return u"o";   case 0x00D8: return u"O";
    case 0x0111: return u"d";   case 0x0110: return u"D";
    case 0x00F0: return u"d";   case 0x00D0: return u"D";
    case 0x0142: return u"l";   case 0x0141: return u"L";
    case 0x00FE: return u"th";  case 0x00DE: return u"TH";
    case 0x0153: return u"oe";  case 0x0152: return u"OE";
    case 0x0131: return u"i";
    case 0x0127: return u"h";   case 0x0126: return u"H";
    case 0x0167: return u"t";   case 0x0166: return u"T";
    case 0x00DF: return u"ss";  case 0x1E9E: return u"SS";
    default: return nullptr;
  }
}

bool folds_marks(UChar32 base) {
  UErrorCode st = U_ZERO_ERROR;
  UScriptCode sc = uscript_getScript(base, &st);
  return U_SUCCESS(st) && (sc == USCRIPT_LATIN || sc == USCRIPT_GREEK);
}

}  // namespace

void case_fold(std::string_view in, std::string* out) {
  out->clear();
  if (is_ascii(in)) {
    out->resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      char c = in[i];
      (*out)[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
    }
    return;
  }
  Scratch& s = tl_scratch;
  utf8_to_utf16(in, &s.a);
  normalize(Form::kNfkcCf, s.a, &s.b);
  utf16_to_utf8(s.b, /*apostrophes=*/true, out);
}

void fold_accents(std::string_view in, std::string* out) {
  out->clear();
  if (is_ascii(in)) {
    out->assign(in);
    return;
  }
  Scratch& s = tl_scratch;
  utf8_to_utf16(in, &s.a);
  normalize(Form::kNfd, s.a, &s.b);
  s.a.remove();
  bool strip = false;  // does the last base letter shed its marks?
  const char16_t* p = s.b.getBuffer();
  const int32_t n = s.b.length();
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U16_NEXT(p, i, n, c);
    if (u_charType(c) == U_NON_SPACING_MARK) {
      if (!strip) s.a.append(c);
      continue;
    }
    strip = folds_marks(c);
    if (const char16_t* rep = letter_fold(c)) {
      s.a.append(rep, -1);
    } else {
      s.a.append(c);
    }
  }
  normalize(Form::kNfc, s.a, &s.b);
  utf16_to_utf8(s.b, /*apostrophes=*/false, out);
}

size_t utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s.size();
  size_t n = max_bytes;
  // Back up over continuation bytes (10xxxxxx) to the start of the sequence
  // that would be cut, at most 3 steps: beyond that the bytes are garbage
  // that the decoders replace anyway.
  for (int k = 0; k < 4 && n > 0; ++k) {
    if ((static_cast<unsigned char>(s[n]) & 0xC0) != 0x80) return n;
    --n;
  }
  return n;
}

}  // namespace meridian::analysis

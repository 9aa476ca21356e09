#include "meridian/base/date.h"

#include <cstdio>

namespace meridian {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

Result<int64_t> parse_rfc3339_millis(std::string_view s) {
  auto bad = [&] { return Status::invalid("invalid date '" + std::string(s) + "' (expected RFC 3339, e.g. 2024-05-01T12:30:00Z, or epoch milliseconds)"); };
  int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
  if (!digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d))
    return bad();
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && leap(y))) return bad();
  size_t p = 10;
  int64_t offset_min = 0;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return bad();
    ++p;
    if (!digits(s, p, 2, &h) || p + 2 >= s.size() || s[p + 2] != ':' || !digits(s, p + 3, 2, &mi)) return bad();
    p += 5;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, &sec)) return bad();
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        size_t start = p;
        int frac = 0, nd = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          if (nd < 3) { frac = frac * 10 + (s[p] - '0'); ++nd; }
          ++p;
        }
        if (p == start) return bad();
        while (nd < 3) { frac *= 10; ++nd; }
        ms = frac;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return bad();
    if (p == s.size()) {
      // no zone: taken as UTC
    } else if ((s[p] == 'Z' || s[p] == 'z') && p + 1 == s.size()) {
    } else if (s[p] == '+' || s[p] == '-') {
      int oh, om;
      if (!digits(s, p + 1, 2, &oh) || p + 3 >= s.size() || s[p + 3] != ':' || !digits(s, p + 4, 2, &om) ||
          p + 6 != s.size() || oh > 23 || om > 59)
        return bad();
      offset_min = (oh * 60 + om) * (s[p] == '+' ? 1 : -1);
    } else {
      return bad();
    }
  }
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return secs * 1000 + ms;
}

std::string format_rfc3339_millis(int64_t millis) {
  int64_t secs = millis >= 0 ? millis / 1000 : -((-millis + 999) / 1000);
  int ms = static_cast<int>(millis - secs * 1000);
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60), ms);
  return buf;
}

}  // namespace meridian

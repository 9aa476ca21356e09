#include "meridian/base/crc32c.h"

#include <doctest/doctest.h>

#include <string>

using namespace meridian;

TEST_CASE("crc32c: matches the published check value") {
  CHECK(crc32c::value("123456789") == 0xe3069283u);
  CHECK(crc32c::value("") == 0u);
}

TEST_CASE("crc32c: extend over pieces equals one pass") {
  std::string s(1000, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 31 + 7);
  uint32_t whole = crc32c::value(s);
  uint32_t part = crc32c::extend(crc32c::value(s.data(), 333), s.data() + 333, s.size() - 333);
  CHECK(whole == part);
}

TEST_CASE("crc32c: mask round-trips and changes the value") {
  uint32_t c = crc32c::value("hello");
  CHECK(crc32c::mask(c) != c);
  CHECK(crc32c::unmask(crc32c::mask(c)) == c);
}

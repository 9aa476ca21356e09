#include "../../src/server/url_decode.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <random>
#include <string>
#include <vector>

using meridian::server::url_decode;

TEST_CASE("url_decode: escapes, %u code points, '+' and malformed escapes as httplib decodes them") {
  const std::vector<std::string> cases = {
      "", "plain", "a+b", "%20", "%2C%2c", "%", "%%", "%2", "%2G", "%G2", "a%", "a%4", "%41%42%43",
      "%u00e9", "%u20AC", "%uD800x", "%udfff", "%u12", "%u12G4", "%u", "%u+", "50.4%2C1.6", "q=%C3%A9t%C3%A9",
      std::string("%0\0", 3), std::string("a\0b", 3), "%FF%00%7f", "++%2B+", "%u0041%u0800%u07ff%uFFFF"};
  for (const auto& s : cases) {
    for (bool plus : {false, true}) {
      CAPTURE(s);
      CAPTURE(plus);
      CHECK(url_decode(s, plus) == httplib::detail::decode_url(s, plus));
    }
  }
}

TEST_CASE("url_decode: random strings of escape characters decode as httplib's decode_url") {
  std::mt19937 rng(7);
  const std::string alphabet = "%u+0123456789abcdefABCDEFgGxz ,\xc3\xa9";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 12, ' ');
    for (auto& c : s) c = alphabet[rng() % alphabet.size()];
    for (bool plus : {false, true}) {
      CAPTURE(s);
      REQUIRE(url_decode(s, plus) == httplib::detail::decode_url(s, plus));
    }
  }
}

// url_decode: httplib::detail::decode_url for a string_view, in one pass
// with no intermediate copies (src/server, internal; the lean GET path
// decodes every request's path and parameters with it).
//
// Same output as httplib 0.11's decode_url for every input: "%XX" (two hex
// digits) is that byte; "%uXXXX" is the code point in UTF-8 (nothing for a
// surrogate); any other '%' stays; '+' is a space when plus_is_space.
// tests/server/url_decode_test.cpp compares the two.
#pragma once

#include <string>
#include <string_view>

namespace meridian::server {

std::string url_decode(std::string_view s, bool plus_is_space);

}  // namespace meridian::server

#include <doctest/doctest.h>

#include "meridian/cdc/geometry.h"

using namespace meridian;
using namespace meridian::cdc;

// SELECT ST_AsEWKB('SRID=4326;POINT(2.3522 48.8566)'::geometry) as hex (little endian).
constexpr const char* kParisEwkb = "0101000020E6100000A835CD3B4ED1024076E09C11A56D4840";
// SELECT 'POINT(2.3522 48.8566)'::geometry without SRID (plain WKB, big endian).
constexpr const char* kParisWkbBig = "00000000014002D14E3BCD35A840486DA5119CE076";

TEST_CASE("geometry: EWKB hex with SRID decodes to lat/lon") {
  auto p = decode_wkb_hex_point(kParisEwkb);
  REQUIRE(p.is_ok());
  CHECK(p->lon == doctest::Approx(2.3522));
  CHECK(p->lat == doctest::Approx(48.8566));
}

TEST_CASE("geometry: big-endian WKB without SRID decodes") {
  auto p = decode_wkb_hex_point(kParisWkbBig);
  REQUIRE(p.is_ok());
  CHECK(p->lon == doctest::Approx(2.3522));
  CHECK(p->lat == doctest::Approx(48.8566));
}

TEST_CASE("geometry: truncated, non-point and garbage WKB are errors, never a crash") {
  std::string hex = kParisEwkb;
  for (size_t n = 0; n < hex.size(); n += 2) CHECK_FALSE(decode_wkb_hex_point(hex.substr(0, n)).is_ok());
  CHECK_FALSE(decode_wkb_hex_point(hex + "00").is_ok());
  CHECK_FALSE(decode_wkb_hex_point("0102000000").is_ok());  // LineString
  CHECK_FALSE(decode_wkb_hex_point("zz").is_ok());
  CHECK_FALSE(decode_wkb_hex_point("010").is_ok());
  // POINT EMPTY is NaN coordinates.
  CHECK_FALSE(decode_wkb_hex_point("0101000000000000000000F87F000000000000F87F").is_ok());
}

TEST_CASE("geometry: point values in every accepted column form") {
  auto lat_of = [](const Json& v) { auto p = decode_point_value(v, "g"); REQUIRE(p.is_ok()); return p->lat; };
  CHECK(lat_of(Json(kParisEwkb)) == doctest::Approx(48.8566));
  CHECK(lat_of(*parse_json(R"({"type":"Point","coordinates":[2.3522,48.8566]})")) == doctest::Approx(48.8566));
  CHECK(lat_of(*parse_json(R"({"x":2.3522,"y":48.8566,"wkb":null})")) == doctest::Approx(48.8566));
  // Debezium io.debezium.data.geometry.Point: {"x","y","wkb": base64, "srid"}
  CHECK(lat_of(*parse_json(R"({"wkb":"AQEAACDmEAAAqDXNO07RAkB24JwRpW1IQA==","srid":4326})")) == doctest::Approx(48.8566));
  CHECK(lat_of(Json("48.8566,2.3522")) == doctest::Approx(48.8566));
  CHECK_FALSE(decode_point_value(Json("nowhere at all"), "g").is_ok());
  CHECK_FALSE(decode_point_value(*parse_json(R"({"wkb":"!!!"})"), "g").is_ok());
}

TEST_CASE("geometry: base64 decoding") {
  CHECK(*decode_base64("aGVsbG8=") == "hello");
  CHECK(*decode_base64("aGVsbG8") == "hello");
  CHECK(*decode_base64("") == "");
  CHECK_FALSE(decode_base64("a").is_ok());
  CHECK_FALSE(decode_base64("a$bc").is_ok());
}

#include "meridian/geo/cell_id.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace meridian;
using namespace meridian::geo;

namespace {

// The textbook geohash algorithm (interval bisection), as an oracle.
std::string classic_geohash(double lat, double lon, int precision) {
  const char* alphabet = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lat_lo = -90, lat_hi = 90, lon_lo = -180, lon_hi = 180;
  std::string out;
  int bit = 0, ch = 0;
  bool even = true;
  while (static_cast<int>(out.size()) < precision) {
    if (even) {
      double mid = (lon_lo + lon_hi) / 2;
      if (lon >= mid) { ch = ch * 2 + 1; lon_lo = mid; } else { ch = ch * 2; lon_hi = mid; }
    } else {
      double mid = (lat_lo + lat_hi) / 2;
      if (lat >= mid) { ch = ch * 2 + 1; lat_lo = mid; } else { ch = ch * 2; lat_hi = mid; }
    }
    even = !even;
    if (++bit == 5) {
      out.push_back(alphabet[ch]);
      bit = 0;
      ch = 0;
    }
  }
  return out;
}

bool rect_has(const Rect& r, LatLon p) {
  return p.lat >= r.min_lat && p.lat <= r.max_lat && p.lon >= r.min_lon && p.lon <= r.max_lon;
}

std::vector<LatLon> edge_points(std::mt19937_64& rng) {
  std::vector<LatLon> pts = {{90, 180}, {-90, -180}, {90, -180}, {-90, 180}, {0, 0},
                             {0, -180}, {0, 180},    {90, 0},    {-90, 0},   {45, 90}};
  std::uniform_int_distribution<int> level(1, 32);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 2000; ++i) {
    int k = level(rng);
    double cells = std::ldexp(1.0, k);
    double lat = -90 + std::floor(u(rng) * cells) * 180 / cells;   // exactly on a border
    double lon = -180 + std::floor(u(rng) * cells) * 360 / cells;
    pts.push_back({lat, lon});
    pts.push_back({std::nextafter(lat, -100.0), std::nextafter(lon, -200.0)});
    pts.push_back({-90 + u(rng) * 180, -180 + u(rng) * 360});
  }
  return pts;
}

}  // namespace

TEST_CASE("cell_id: every point lies in the rectangle of each prefix of its id") {
  std::mt19937_64 rng(1);
  for (LatLon p : edge_points(rng)) {
    if (!is_valid(p)) continue;
    uint64_t id = encode(p);
    for (int k = 0; k <= 64; ++k) {
      Rect r = cell_rect(id, k);
      REQUIRE_MESSAGE(rect_has(r, p), p.lat << "," << p.lon << " level " << k);
      // Half-open cells: a point on the max border belongs to the next cell,
      // except on the top/right edge of the world.
      if (p.lat == r.max_lat) CHECK(p.lat == 90.0);
      if (p.lon == r.max_lon) CHECK(p.lon == 180.0);
    }
  }
}

TEST_CASE("cell_id: cell rectangles are the exact dyadic borders at every level (ldexp oracle)") {
  std::mt19937_64 rng(20);
  auto border = [](double lo, double span, uint64_t q, int k) {
    return lo + std::ldexp(static_cast<double>(q) * span, -k);
  };
  std::vector<uint64_t> ids = {0, ~uint64_t{0}, uint64_t{1} << 63, uint64_t{1}, 0x5555555555555555ULL};
  for (int i = 0; i < 2000; ++i) ids.push_back(rng());
  for (uint64_t id : ids) {
    for (int bits = 0; bits <= 64; ++bits) {
      int lon_bits = (bits + 1) / 2, lat_bits = bits / 2;
      uint64_t lon_q = 0, lat_q = 0;  // the axis indices, read bit by bit
      for (int b = 0; b < bits; ++b) {
        uint64_t bit = (id >> (63 - b)) & 1;
        if (b % 2 == 0) lon_q = lon_q * 2 + bit; else lat_q = lat_q * 2 + bit;
      }
      Rect r = cell_rect(id, bits);
      CHECK(r.min_lon == border(-180.0, 360.0, lon_q, lon_bits));
      CHECK(r.max_lon == border(-180.0, 360.0, lon_q + 1, lon_bits));
      CHECK(r.min_lat == border(-90.0, 180.0, lat_q, lat_bits));
      CHECK(r.max_lat == border(-90.0, 180.0, lat_q + 1, lat_bits));
    }
  }
}

TEST_CASE("cell_id: decode_center round-trips within the 32-bit quantization error") {
  std::mt19937_64 rng(2);
  const double lat_err = 180.0 / 4294967296.0, lon_err = 360.0 / 4294967296.0;
  for (LatLon p : edge_points(rng)) {
    if (!is_valid(p)) continue;
    LatLon c = decode_center(encode(p), 64);
    CHECK(std::fabs(c.lat - p.lat) <= lat_err / 2);
    CHECK(std::fabs(c.lon - p.lon) <= lon_err / 2);
    CHECK(encode(c) == encode(p));
  }
}

TEST_CASE("cell_id: geohashes of known places equal the published ones") {
  CHECK(geohash({57.64911, 10.40744}, 11) == "u4pruydqqvj");
  CHECK(geohash({42.605, -5.603}, 5) == "ezs42");
  CHECK(geohash({41.12, -71.34}, 12) == "drm3btev3e86");
  CHECK(geohash({-90, -180}, 12) == "000000000000");
  CHECK(geohash({90, 180}, 12) == "zzzzzzzzzzzz");
  CHECK(geohash({0, 0}, 3) == "s00");
  CHECK(geohash({57.64911, 10.40744}, 99).size() == 12);
  CHECK(geohash({57.64911, 10.40744}, 0) == "u");
}

TEST_CASE("cell_id: geohash equals the classic bisection algorithm on random and border points") {
  std::mt19937_64 rng(3);
  for (LatLon p : edge_points(rng)) {
    if (!is_valid(p)) continue;
    REQUIRE_MESSAGE(geohash(p, 12) == classic_geohash(p.lat, p.lon, 12), p.lat << "," << p.lon);
  }
}

TEST_CASE("cell_id: a geohash and its cell are the same rectangle") {
  auto r = geohash_rect("ezs42");
  REQUIRE(r.is_ok());
  CHECK(r->min_lat == doctest::Approx(42.5830078125));
  CHECK(r->max_lat == doctest::Approx(42.626953125));
  CHECK(r->min_lon == doctest::Approx(-5.625));
  CHECK(r->max_lon == doctest::Approx(-5.5810546875));
  int bits = 0;
  auto id = geohash_to_cell("EZS42", &bits);
  REQUIRE(id.is_ok());
  CHECK(bits == 25);
  CHECK(cell_rect(*id, bits) == *r);
  CHECK(geohash(decode_center(*id, bits), 5) == "ezs42");
  std::mt19937_64 rng(4);
  for (LatLon p : edge_points(rng)) {
    if (!is_valid(p)) continue;
    for (int prec = 1; prec <= 12; ++prec) {
      std::string h = geohash(p, prec);
      auto cell = geohash_to_cell(h, &bits);
      REQUIRE(cell.is_ok());
      CHECK(*cell == cell_prefix(encode(p), 5 * prec));
    }
  }
}

TEST_CASE("cell_id: malformed geohashes are errors") {
  int bits = 0;
  CHECK_FALSE(geohash_to_cell("", &bits).is_ok());
  CHECK_FALSE(geohash_to_cell("0123456789bcd", &bits).is_ok());
  for (const char* bad : {"a", "i", "l", "o", "u4p!", "u4 p"}) {
    auto r = geohash_to_cell(bad, &bits);
    CHECK_FALSE(r.is_ok());
    CHECK(r.status().message().find("geohash") != std::string::npos);
  }
  CHECK_FALSE(geohash_rect("zzzzzzzzzzzzz").is_ok());
  CHECK(geohash_to_cell("zzzzzzzzzzzz", nullptr).is_ok());
}

TEST_CASE("cell_id: cell terms sort like ids within a level and round-trip") {
  std::mt19937_64 rng(5);
  for (int bits : {0, 1, 5, 7, 8, 9, 25, 50, 63, 64}) {
    std::vector<uint64_t> ids;
    for (int i = 0; i < 300; ++i) ids.push_back(cell_prefix(rng(), bits));
    ids.push_back(0);
    ids.push_back(cell_prefix(~uint64_t{0}, bits));
    std::vector<uint64_t> by_term = ids;
    std::sort(ids.begin(), ids.end());
    std::sort(by_term.begin(), by_term.end(), [bits](uint64_t a, uint64_t b) {
      return cell_term(a, bits) < cell_term(b, bits);
    });
    CHECK(ids == by_term);
    for (uint64_t id : ids) {
      std::string t = cell_term(id, bits);
      CHECK(t.size() == 1 + static_cast<size_t>((bits + 7) / 8));
      auto c = parse_cell_term(t);
      REQUIRE(c.is_ok());
      CHECK(c->id == id);
      CHECK(c->bits == bits);
      std::string appended = "field";  // append_cell_term: the same bytes after what is there
      append_cell_term(&appended, id | (bits < 64 ? ~uint64_t{0} >> bits : 0), bits);
      CHECK(appended == "field" + t);
    }
  }
  // Same id prefix at two levels: different terms.
  CHECK(cell_term(0, 5) != cell_term(0, 10));
  CHECK(cell_term(~uint64_t{0}, 5) == cell_term(cell_prefix(~uint64_t{0}, 5), 5));
}

TEST_CASE("cell_id: malformed cell terms are errors") {
  CHECK_FALSE(parse_cell_term("").is_ok());
  CHECK_FALSE(parse_cell_term(std::string(1, '\x41')).is_ok());          // 65 bits
  CHECK_FALSE(parse_cell_term(std::string("\x05", 1)).is_ok());          // missing byte
  CHECK_FALSE(parse_cell_term(std::string("\x05\xf8\x00", 3)).is_ok());  // extra byte
  CHECK_FALSE(parse_cell_term(std::string("\x05\xfc", 2)).is_ok());      // bit 6 set
  CHECK(parse_cell_term(std::string("\x05\xf8", 2)).is_ok());
}

TEST_CASE("cell_id: a point's index cells are its prefixes at the indexed levels") {
  const auto& levels = indexed_levels();
  REQUIRE(std::is_sorted(levels.begin(), levels.end()));
  CHECK(levels.front() == 5);
  CHECK(levels.back() == 50);
  LatLon p{57.64911, 10.40744};
  auto cells = index_cells(p);
  REQUIRE(cells.size() == levels.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    CHECK(cells[i].bits == levels[i]);
    CHECK(cell_contains(cells[i], p));
    CHECK(rect_has(cell_rect(cells[i].id, cells[i].bits), p));
    // Levels that are multiples of 5 bits are geohash cells.
    CHECK(*geohash_to_cell(geohash(p, levels[i] / 5), nullptr) == cells[i].id);
  }
  CHECK_FALSE(cell_contains(cells.back(), {57.64911, 10.40754}));
}

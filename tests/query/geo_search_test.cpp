// Geo search through search(): cell-index filters, distance sort, geo facets,
// decay ranking and the simple-search parameters, each against brute force
// over the same random points (poles, antimeridian, borders included).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "../test_util.h"
#include "meridian/geo/geo.h"
#include "meridian/index/index.h"
#include "meridian/query/dsl_parser.h"
#include "meridian/query/filter_cache.h"
#include "meridian/query/searcher.h"

using namespace meridian;
using namespace meridian::query;
using geo::LatLon;

namespace {

const char* kWords[] = {"pizza", "pasta", "sushi", "tacos", "bagel"};

// The live documents, mirrored in plain maps (the oracle's view).
struct GeoCorpus {
  TempDir dir;
  std::unique_ptr<index::Index> idx;
  std::map<std::string, std::vector<LatLon>> points;  // live docs only
  std::map<std::string, std::string> body;
  std::shared_ptr<const index::Snapshot> snap;
};

double uniform(std::mt19937& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

// A mix of uniform points, clusters (Paris, the antimeridian near Fiji,
// Sydney, the north pole), exact poles and antimeridian points, and points
// on a 0.5-degree grid (borders of the grid-aligned boxes and polygons).
LatLon random_point(std::mt19937& rng) {
  int k = static_cast<int>(rng() % 20);
  if (k < 6) return {uniform(rng, -90, 90), uniform(rng, -180, 180)};
  if (k < 12) {
    static const LatLon kCenters[] = {{48.85, 2.35}, {-17.7, 179.9}, {-33.9, 151.2}, {89.7, 10}};
    LatLon c = kCenters[rng() % 4];
    double spread = (rng() % 2) ? 0.01 : 1.0;
    double lat = std::clamp(c.lat + uniform(rng, -spread, spread), -90.0, 90.0);
    double lon = c.lon + uniform(rng, -spread, spread);
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    return {lat, lon};
  }
  if (k == 12) return {(rng() % 2) ? 90.0 : -90.0, uniform(rng, -180, 180)};
  if (k == 13) return {uniform(rng, -90, 90), (rng() % 2) ? 180.0 : -180.0};
  if (k == 14) return {(rng() % 2) ? 90.0 : -90.0, (rng() % 2) ? 180.0 : 0.0};
  // Grid points around (10, 20) and on the antimeridian.
  double lat = 8 + 0.5 * (rng() % 9);
  double lon = (rng() % 3 == 0) ? 179 + 0.5 * (rng() % 4) - 360 * (rng() % 2) : 18 + 0.5 * (rng() % 9);
  return {lat, std::clamp(lon, -180.0, 180.0)};
}

Json point_json(LatLon p) {
  Json o = Json::object();
  o.set("lat", p.lat);
  o.set("lon", p.lon);
  return o;
}

std::unique_ptr<GeoCorpus> make_geo_corpus(int n, uint32_t seed) {
  auto c = std::make_unique<GeoCorpus>();
  auto schema = index::Schema::from_json(*parse_json(
      R"({"fields":{"body":{"type":"text","language":"none","stem":false},"location":"geo_point"}})"));
  REQUIRE(schema.is_ok());
  auto idx = index::Index::open(c->dir.path(), "t", index::IndexOptions{.background = false}, &*schema);
  REQUIRE(idx.is_ok());
  c->idx = std::move(*idx);
  std::mt19937 rng(seed);
  for (int i = 0; i < n; ++i) {
    // Every 10th write replaces an earlier document (an update).
    std::string id = "d" + std::to_string(i % 10 == 9 ? rng() % (i + 1) : i);
    Json d = Json::object();
    d.set("id", id);
    std::string body;
    for (int w = 0, len = 1 + static_cast<int>(rng() % 4); w < len; ++w)
      body += std::string(w ? " " : "") + kWords[rng() % 5];
    d.set("body", body);
    std::vector<LatLon> pts;
    int np = rng() % 20 == 0 ? 0 : rng() % 8 == 0 ? 2 : 1;
    for (int j = 0; j < np; ++j) pts.push_back(random_point(rng));
    if (np == 1) {
      d.set("location", point_json(pts[0]));
    } else if (np == 2) {
      Json a = Json::array();
      for (auto p : pts) a.push(point_json(p));
      d.set("location", std::move(a));
    }
    REQUIRE(c->idx->put(d).is_ok());
    c->points[id] = pts;
    c->body[id] = body;
    if (i % 7 == 3) {  // deletes
      std::string victim = "d" + std::to_string(rng() % (i + 1));
      if (c->points.count(victim)) {
        REQUIRE(c->idx->remove(victim).is_ok());
        c->points.erase(victim);
        c->body.erase(victim);
      }
    }
    if (i % 250 == 249) REQUIRE(c->idx->refresh().is_ok());  // several segments
  }
  REQUIRE(c->idx->refresh().is_ok());
  c->snap = c->idx->snapshot();
  REQUIRE(c->snap->segments().size() >= 3);
  return c;
}

// ---- oracles ----

bool box_lon_in(double lon, double left, double right) {
  auto in = [&](double x) { return left <= right ? (x >= left && x <= right) : (x >= left || x <= right); };
  return in(lon) || (lon == 180 && in(-180)) || (lon == -180 && in(180));
}

bool box_contains(const GeoBoundingBox& b, LatLon p) {
  return p.lat >= b.bottom && p.lat <= b.top && box_lon_in(p.lon, b.left, b.right);
}

// Planar in degrees (x = lon, y = lat); the ring's border counts as inside.
int ring_relation(const std::vector<GeoPoint>& ring, LatLon p) {  // 0 out, 1 border, 2 in
  bool in = false;
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    double xi = ring[i].lon, yi = ring[i].lat, xj = ring[j].lon, yj = ring[j].lat;
    double cross = (xj - xi) * (p.lat - yi) - (yj - yi) * (p.lon - xi);
    if (cross == 0 && p.lon >= std::min(xi, xj) && p.lon <= std::max(xi, xj) && p.lat >= std::min(yi, yj) &&
        p.lat <= std::max(yi, yj))
      return 1;
    if ((yi > p.lat) != (yj > p.lat) && p.lon < (xj - xi) * (p.lat - yi) / (yj - yi) + xi) in = !in;
  }
  return in ? 2 : 0;
}

bool polygon_contains(const GeoPolygon& g, LatLon p) {
  if (ring_relation(g.rings[0], p) == 0) return false;
  for (size_t h = 1; h < g.rings.size(); ++h)
    if (ring_relation(g.rings[h], p) == 2) return false;
  return true;
}

template <typename Pred>
std::set<std::string> brute_ids(const GeoCorpus& c, Pred inside) {
  std::set<std::string> out;
  for (const auto& [id, pts] : c.points)
    for (auto p : pts)
      if (inside(p)) { out.insert(id); break; }
  return out;
}

std::optional<double> min_distance(const std::vector<LatLon>& pts, LatLon origin) {
  std::optional<double> best;
  for (auto p : pts) {
    double d = geo::haversine_m(origin, p);
    if (!best || d < *best) best = d;
  }
  return best;
}

SearchRequest all_hits(Query filter) {
  SearchRequest r;
  r.filters.push_back(std::move(filter));
  r.size = 10000;
  r.fields = {"id"};
  r.track_total_hits = kTrackAllHits;
  return r;
}

std::set<std::string> hit_ids(const SearchResponse& r) {
  std::set<std::string> s;
  for (const auto& h : r.hits) s.insert(h.id);
  return s;
}

std::set<std::string> run(const GeoCorpus& c, const SearchRequest& req) {
  auto r = search(*c.snap, req);
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  CHECK(r->total == r->hits.size());
  return hit_ids(*r);
}

// A random doc point (so queries land where the data is), or a random point.
LatLon random_origin(const GeoCorpus& c, std::mt19937& rng) {
  if (rng() % 4 == 0) return random_point(rng);
  auto it = std::next(c.points.begin(), static_cast<long>(rng() % c.points.size()));
  if (it->second.empty()) return random_point(rng);
  return it->second[rng() % it->second.size()];
}

}  // namespace

TEST_CASE("geo search: radius filters equal an exhaustive haversine scan (poles, antimeridian, borders, 1 m to 15,000 km)") {
  auto c = make_geo_corpus(1500, 7);
  std::mt19937 rng(11);
  const double kRadii[] = {0, 1, 50, 1000, 10000, 100000, 1000000, 5000000, 15000000, 20015087, 30000000};
  int nonempty = 0;
  for (int round = 0; round < 120; ++round) {
    LatLon o = random_origin(*c, rng);
    double r = kRadii[rng() % std::size(kRadii)];
    if (round % 3 == 0) {  // exactly on the border: the radius is some document's distance
      LatLon q = random_origin(*c, rng);
      r = geo::haversine_m(o, q);
    }
    if (round % 10 == 1) o = {(rng() % 2) ? 90.0 : -90.0, uniform(rng, -180, 180)};
    if (round % 10 == 2) o = {uniform(rng, -60, 60), (rng() % 2) ? 180.0 : -180.0};
    CAPTURE(o.lat);
    CAPTURE(o.lon);
    CAPTURE(r);
    auto want = brute_ids(*c, [&](LatLon p) { return geo::haversine_m(o, p) <= r; });
    auto got = run(*c, all_hits(GeoDistance{"location", o.lat, o.lon, r}));
    CHECK(got == want);
    nonempty += !want.empty();
  }
  CHECK(nonempty > 60);
}

TEST_CASE("geo search: bounding boxes (grid-aligned borders, antimeridian-crossing, polar) equal a scan") {
  auto c = make_geo_corpus(1500, 8);
  std::mt19937 rng(12);
  int nonempty = 0;
  for (int round = 0; round < 120; ++round) {
    GeoBoundingBox b;
    b.field = "location";
    switch (round % 4) {
      case 0: {  // on the 0.5-degree grid where grid points sit
        b.bottom = 8 + 0.5 * (rng() % 5);
        b.top = b.bottom + 0.5 * (rng() % 5);
        b.left = 18 + 0.5 * (rng() % 5);
        b.right = b.left + 0.5 * (rng() % 5);
        break;
      }
      case 1: {  // crossing the antimeridian
        b.bottom = uniform(rng, -60, 0);
        b.top = uniform(rng, 0, 60);
        b.left = (rng() % 2) ? 179.0 : uniform(rng, 150, 180);
        b.right = (rng() % 2) ? -179.5 : uniform(rng, -180, -150);
        break;
      }
      case 2: {  // touching a pole, full longitude range sometimes
        b.top = 90;
        b.bottom = uniform(rng, 60, 90);
        b.left = (rng() % 2) ? -180.0 : uniform(rng, -180, 0);
        b.right = (rng() % 2) ? 180.0 : uniform(rng, 0, 180);
        break;
      }
      default: {
        double a = uniform(rng, -90, 90), z = uniform(rng, -90, 90);
        b.bottom = std::min(a, z);
        b.top = std::max(a, z);
        b.left = uniform(rng, -180, 180);
        b.right = uniform(rng, -180, 180);
      }
    }
    CAPTURE(b.top);
    CAPTURE(b.left);
    CAPTURE(b.bottom);
    CAPTURE(b.right);
    auto want = brute_ids(*c, [&](LatLon p) { return box_contains(b, p); });
    CHECK(run(*c, all_hits(b)) == want);
    nonempty += !want.empty();
  }
  CHECK(nonempty > 60);
}

TEST_CASE("geo search: polygons with holes (grid-aligned and random triangles) equal a containment scan") {
  auto c = make_geo_corpus(1500, 9);
  std::mt19937 rng(13);
  int nonempty = 0;
  for (int round = 0; round < 80; ++round) {
    GeoPolygon g;
    g.field = "location";
    if (round % 2 == 0) {
      // An L-shaped ring on the grid with a square hole, shifted by grid steps.
      double y = 8 + 0.5 * (rng() % 3), x = 18 + 0.5 * (rng() % 3);
      g.rings.push_back({{y, x}, {y, x + 3}, {y + 1.5, x + 3}, {y + 1.5, x + 1.5}, {y + 3, x + 1.5}, {y + 3, x}});
      if (rng() % 2) g.rings.push_back({{y + 0.5, x + 0.5}, {y + 0.5, x + 1}, {y + 1, x + 1}, {y + 1, x + 0.5}});
    } else {
      LatLon o = random_origin(*c, rng);
      double s = (rng() % 2) ? 0.05 : 5;
      auto clamp_pt = [](double lat, double lon) {
        return GeoPoint{std::clamp(lat, -90.0, 90.0), std::clamp(lon, -180.0, 180.0)};
      };
      g.rings.push_back({clamp_pt(o.lat - s, o.lon - s), clamp_pt(o.lat - s, o.lon + s),
                         clamp_pt(o.lat + s, o.lon + uniform(rng, -s, s))});
    }
    auto want = brute_ids(*c, [&](LatLon p) { return polygon_contains(g, p); });
    auto r = search(*c->snap, all_hits(g));
    if (!r.is_ok()) {  // a degenerate clamped triangle is rejected, never mis-answered
      CHECK(round % 2 == 1);
      continue;
    }
    CHECK(hit_ids(*r) == want);
    nonempty += !want.empty();
  }
  CHECK(nonempty > 40);
}

TEST_CASE("geo search: geohash cell filters equal a prefix scan of the points' geohashes") {
  auto c = make_geo_corpus(800, 10);
  std::mt19937 rng(14);
  for (int round = 0; round < 40; ++round) {
    LatLon o = random_origin(*c, rng);
    int precision = 1 + static_cast<int>(rng() % 8);
    std::string hash = geo::geohash(o, precision);
    auto want = brute_ids(*c, [&](LatLon p) { return geo::geohash(p, 12).compare(0, hash.size(), hash) == 0; });
    CHECK(run(*c, all_hits(GeohashCell{"location", hash})) == want);
  }
}

TEST_CASE("geo search: geo filters inside bool with text queries") {
  auto c = make_geo_corpus(1000, 15);
  std::mt19937 rng(16);
  for (int round = 0; round < 30; ++round) {
    LatLon o = random_origin(*c, rng);
    double r = (rng() % 2) ? 200000 : 3000000;
    std::string word = kWords[rng() % 5];
    Json q = *parse_json(R"({"bool":{"must":{"match":{"body":")" + word + R"("}},"filter":{"geo_distance":{"distance":)" +
                         std::to_string(r) + R"(,"location":")" + std::to_string(o.lat) + "," + std::to_string(o.lon) +
                         R"("}},"must_not":{"geo_bounding_box":{"location":{"top":90,"left":-180,"bottom":60,"right":180}}}}})");
    auto query = parse_dsl(q);
    REQUIRE(query.is_ok());
    SearchRequest req;
    req.query = *query;
    req.size = 10000;
    req.track_total_hits = kTrackAllHits;
    LatLon parsed{std::stod(std::to_string(o.lat)), std::stod(std::to_string(o.lon))};
    std::set<std::string> want;
    for (const auto& [id, pts] : c->points) {
      if (c->body[id].find(word) == std::string::npos) continue;
      bool near = false, polar = false;
      for (auto p : pts) {
        near |= geo::haversine_m(parsed, p) <= r;
        polar |= p.lat >= 60;
      }
      if (near && !polar) want.insert(id);
    }
    CHECK(run(*c, req) == want);
  }
}

TEST_CASE("geo search: distance sort order and distance_m equal brute force, both directions") {
  auto c = make_geo_corpus(1000, 17);
  std::mt19937 rng(18);
  for (int round = 0; round < 12; ++round) {
    LatLon o = random_origin(*c, rng);
    if (round == 0) o = {90, 0};
    if (round == 1) o = {0, 180};
    bool desc = round % 2;
    SearchRequest req;
    SortSpec s;
    s.kind = SortSpec::Kind::kGeoDistance;
    s.field = "location";
    s.origin = {o.lat, o.lon};
    s.desc = desc;
    req.sort.push_back(s);
    req.size = 10000;
    req.fields = {"id"};
    if (round % 3 == 2) req.filters.push_back(GeoDistance{"location", o.lat, o.lon, 2000000});
    auto r = search(*c->snap, req);
    REQUIRE(r.is_ok());
    std::vector<double> want;
    size_t missing = 0;
    for (const auto& [id, pts] : c->points) {
      auto d = min_distance(pts, o);
      if (round % 3 == 2 && !(d && *d <= 2000000)) continue;
      if (d) want.push_back(*d); else ++missing;
    }
    std::sort(want.begin(), want.end());
    if (desc) std::reverse(want.begin(), want.end());
    REQUIRE(r->hits.size() == want.size() + missing);
    for (size_t i = 0; i < r->hits.size(); ++i) {
      const Hit& h = r->hits[i];
      auto d = min_distance(c->points.at(h.id), o);
      if (i >= want.size()) {  // documents without a point come last
        CHECK_FALSE(d.has_value());
        CHECK_FALSE(h.distance_m.has_value());
        continue;
      }
      REQUIRE(h.distance_m.has_value());
      CHECK(*h.distance_m == *d);
      CHECK(*h.distance_m == want[i]);
    }
  }
}

TEST_CASE("geo search: geohash_grid counts and centroids and geo_bounds equal brute force over the matches") {
  auto c = make_geo_corpus(1200, 19);
  std::mt19937 rng(20);
  for (int round = 0; round < 10; ++round) {
    LatLon o = random_origin(*c, rng);
    double radius = round % 2 ? 500000 : 5000000;
    int precision = 1 + round % 4;
    SearchRequest req = all_hits(GeoDistance{"location", o.lat, o.lon, radius});
    req.size = 0;
    FacetSpec grid;
    grid.kind = FacetSpec::Kind::kGeohashGrid;
    grid.field = "location";
    grid.precision = precision;
    grid.size = 100000;
    FacetSpec bounds;
    bounds.kind = FacetSpec::Kind::kGeoBounds;
    bounds.field = "location";
    req.facets["grid"] = grid;
    req.facets["bounds"] = bounds;
    auto r = search(*c->snap, req);
    REQUIRE(r.is_ok());
    // Brute force: every point of every matching document.
    std::map<std::string, std::pair<uint64_t, std::pair<double, double>>> cells;
    double top = -INFINITY, bottom = INFINITY, left = INFINITY, right = -INFINITY;
    uint64_t total = 0, npoints = 0;
    for (const auto& [id, pts] : c->points) {
      bool match = false;
      for (auto p : pts) match |= geo::haversine_m(o, p) <= radius;
      if (!match) continue;
      ++total;
      for (auto p : pts) {
        auto& cell = cells[geo::geohash(p, precision)];
        cell.first++;
        cell.second.first += p.lat;
        cell.second.second += p.lon;
        top = std::max(top, p.lat); bottom = std::min(bottom, p.lat);
        left = std::min(left, p.lon); right = std::max(right, p.lon);
        ++npoints;
      }
    }
    CHECK(r->total == total);
    const Json* buckets = r->facets.find("grid")->find("buckets");
    REQUIRE(buckets);
    REQUIRE(buckets->size() == cells.size());
    uint64_t prev = UINT64_MAX;
    for (const Json& b : buckets->as_array()) {
      std::string key = b.find("key")->as_string();
      REQUIRE(cells.count(key));
      auto [n, sums] = cells[key];
      CHECK(b.find("count")->as_int() == static_cast<int64_t>(n));
      CHECK(static_cast<uint64_t>(b.find("count")->as_int()) <= prev);  // by count, descending
      prev = static_cast<uint64_t>(b.find("count")->as_int());
      CHECK(b.find("centroid")->find("lat")->as_double() == doctest::Approx(sums.first / n));
      CHECK(b.find("centroid")->find("lon")->as_double() == doctest::Approx(sums.second / n));
    }
    const Json& gb = *r->facets.find("bounds");
    CHECK(gb.find("count")->as_int() == static_cast<int64_t>(npoints));
    if (npoints) {
      CHECK(gb.find("top")->as_double() == top);
      CHECK(gb.find("bottom")->as_double() == bottom);
      CHECK(gb.find("left")->as_double() == left);
      CHECK(gb.find("right")->as_double() == right);
    }
  }
}

TEST_CASE("geo search: simple-search near/radius and bbox parameters filter like the DSL") {
  auto c = make_geo_corpus(800, 21);
  std::mt19937 rng(22);
  for (int round = 0; round < 20; ++round) {
    LatLon o = random_origin(*c, rng);
    std::string near = std::to_string(o.lat) + "," + std::to_string(o.lon);
    LatLon parsed{std::stod(std::to_string(o.lat)), std::stod(std::to_string(o.lon))};
    const char* radii[] = {"1m", "10km", "250km", "1000mi", "15000km"};
    const double radii_m[] = {1, 10000, 250000, 1609344, 15000000};
    size_t ri = rng() % 5;
    std::string word = kWords[rng() % 5];
    auto req = parse_search_params({{"near", near}, {"radius", radii[ri]}, {"size", "10000"},
                                    {"sort", "_geo_distance:asc"}, {"q", word}, {"q_fields", "body"}});
    REQUIRE(req.is_ok());
    req->track_total_hits = kTrackAllHits;
    std::set<std::string> want;
    for (const auto& id : brute_ids(*c, [&](LatLon p) { return geo::haversine_m(parsed, p) <= radii_m[ri]; }))
      if (c->body[id].find(word) != std::string::npos) want.insert(id);
    auto r = search(*c->snap, *req);
    REQUIRE(r.is_ok());
    CHECK(hit_ids(*r) == want);
    double prev = 0;
    for (const auto& h : r->hits) {  // sorted by distance, each within the radius
      REQUIRE(h.distance_m.has_value());
      CHECK(*h.distance_m == *min_distance(c->points.at(h.id), parsed));
      CHECK(*h.distance_m <= radii_m[ri]);
      CHECK(*h.distance_m >= prev);
      prev = *h.distance_m;
    }
    // bbox: "top,left,bottom,right", crossing the antimeridian half the time.
    GeoBoundingBox b{"location", 10, round % 2 ? 170.0 : 18.0, -20, round % 2 ? -170.0 : 20.0};
    auto breq = parse_search_params({{"bbox", "10," + std::string(round % 2 ? "170" : "18") + ",-20," +
                                                  (round % 2 ? "-170" : "20")},
                                     {"size", "10000"}});
    REQUIRE(breq.is_ok());
    breq->track_total_hits = kTrackAllHits;
    CHECK(run(*c, *breq) == brute_ids(*c, [&](LatLon p) { return box_contains(b, p); }));
  }
}

namespace {

// Elasticsearch's decay formulas, written out independently of geo::decay.
double es_decay(geo::DecayKind k, double dist, double scale, double offset, double decay) {
  double x = std::max(0.0, dist - offset);
  switch (k) {
    case geo::DecayKind::kGauss: {
      double sigma2 = -scale * scale / (2 * std::log(decay));
      return std::exp(-x * x / (2 * sigma2));
    }
    case geo::DecayKind::kExp: return std::exp(std::log(decay) / scale * x);
    case geo::DecayKind::kLinear: {
      double s = scale / (1 - decay);
      return std::max(0.0, (s - x) / s);
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("geo search: decay ranking multiplies the text score by the formula, top-k included") {
  auto c = make_geo_corpus(1200, 23);
  std::mt19937 rng(24);
  const geo::DecayKind kinds[] = {geo::DecayKind::kGauss, geo::DecayKind::kExp, geo::DecayKind::kLinear};
  for (int round = 0; round < 18; ++round) {
    LatLon o = random_origin(*c, rng);
    GeoDecay g;
    g.field = "location";
    g.origin = {o.lat, o.lon};
    g.function = kinds[round % 3];
    g.scale_m = (rng() % 2) ? 5000 : 800000;
    g.offset_m = (rng() % 2) ? 0 : 1000;
    g.decay = (rng() % 2) ? 0.5 : 0.2;
    g.weight = (round % 4 == 3) ? 2.5 : 1;
    CAPTURE(round);
    // Text scores without the decay, scored exhaustively.
    SearchRequest base;
    std::string text = std::string(kWords[rng() % 5]) + " " + kWords[rng() % 5];
    base.query = *parse_dsl(*parse_json(R"({"match":{"body":")" + text + R"("}})"));
    base.size = 10000;
    base.track_total_hits = kTrackAllHits;
    SearchOptions slow;
    slow.exhaustive = true;
    auto plain = search(*c->snap, base, slow);
    REQUIRE(plain.is_ok());
    std::map<std::string, double> want;  // id -> decayed score
    for (const auto& h : plain->hits) {
      auto d = min_distance(c->points.at(h.id), o);
      want[h.id] = h.score * g.weight * (d ? es_decay(g.function, *d, g.scale_m, g.offset_m, g.decay) : 1.0);
    }
    std::vector<double> sorted;
    for (const auto& [id, s] : want) sorted.push_back(s);
    std::sort(sorted.rbegin(), sorted.rend());

    SearchRequest req = base;
    req.geo_decay = g;
    for (size_t size : {size_t{10}, size_t{10000}}) {
      req.size = size;
      auto r = search(*c->snap, req);  // default options: MaxScore / block-max pruning
      REQUIRE(r.is_ok());
      CHECK(r->total == want.size());
      REQUIRE(r->hits.size() == std::min(size, want.size()));
      for (size_t i = 0; i < r->hits.size(); ++i) {
        const Hit& h = r->hits[i];
        REQUIRE(want.count(h.id));
        CHECK(h.score == doctest::Approx(want[h.id]).epsilon(1e-9));
        CHECK(h.score == doctest::Approx(sorted[i]).epsilon(1e-9));  // the true top-k, in order
        auto d = min_distance(c->points.at(h.id), o);
        CHECK(h.distance_m.has_value() == d.has_value());
        if (d && h.distance_m) CHECK(*h.distance_m == *d);
      }
    }
  }
}

TEST_CASE("geo search: without a text query the decay alone is the score; explain shows the factor") {
  auto c = make_geo_corpus(600, 25);
  LatLon o = c->points.begin()->second.empty() ? LatLon{48.85, 2.35} : c->points.begin()->second[0];
  auto req = parse_search_params({{"near", std::to_string(o.lat) + "," + std::to_string(o.lon)},
                                  {"radius", "3000km"}, {"decay", "exp"}, {"scale", "100km"},
                                  {"decay_value", "0.5"}, {"size", "50"}, {"explain", "true"}});
  REQUIRE(req.is_ok());
  LatLon parsed{std::stod(std::to_string(o.lat)), std::stod(std::to_string(o.lon))};
  auto r = search(*c->snap, *req);
  REQUIRE(r.is_ok());
  REQUIRE(!r->hits.empty());
  double prev = INFINITY;
  for (const auto& h : r->hits) {
    auto d = min_distance(c->points.at(h.id), parsed);
    REQUIRE(d.has_value());
    CHECK(*d <= 3000000);
    CHECK(h.score == doctest::Approx(es_decay(geo::DecayKind::kExp, *d, 100000, 0, 0.5)).epsilon(1e-12));
    CHECK(h.score <= prev);  // nearest first
    prev = h.score;
    REQUIRE(h.explanation.is_object());
    CHECK(h.explanation.find("value")->as_double() == h.score);
    CHECK(h.explanation.find("details")->size() == 2);
  }
  // A decay on a field that is not a geo_point is an error naming it.
  SearchRequest bad;
  bad.geo_decay = GeoDecay{"body", {0, 0}, geo::DecayKind::kGauss, 1000, 0, 0.5, 1};
  auto e = search(*c->snap, bad);
  REQUIRE_FALSE(e.is_ok());
  CHECK(e.status().message() == "geo_decay.field: field 'body' is text, expected geo_point");
}

TEST_CASE("geo search: cached geo filters are never served to another index with the same segment ids") {
  auto a = make_geo_corpus(600, 27);
  auto b = make_geo_corpus(600, 28);  // same segment ids, different points
  for (int round = 0; round < 3; ++round)
    for (auto* c : {a.get(), b.get()}) {
      auto want = brute_ids(*c, [&](LatLon p) { return geo::haversine_m({48.85, 2.35}, p) <= 300000; });
      CHECK(run(*c, all_hits(GeoDistance{"location", 48.85, 2.35, 300000})) == want);
    }
}

TEST_CASE("geo search: a radius or box matching few documents of a segment is not kept in the filter cache") {
  auto c = make_geo_corpus(600, 31);
  auto near_paris = [](LatLon p) { return geo::haversine_m({48.85, 2.35}, p) <= 400; };
  const SearchRequest small_circle = all_hits(GeoDistance{"location", 48.85, 2.35, 400});
  const SearchRequest small_box = all_hits(GeoBoundingBox{"location", 48.852, 2.34, 48.848, 2.36});
  auto in_small_box = [](LatLon p) { return p.lat <= 48.852 && p.lat >= 48.848 && p.lon >= 2.34 && p.lon <= 2.36; };
  REQUIRE(brute_ids(*c, near_paris).size() <= kUncachedGeoAtMost);
  REQUIRE(brute_ids(*c, in_small_box).size() <= kUncachedGeoAtMost);
  const FilterCacheStats before = filter_cache().stats();
  for (int round = 0; round < 2; ++round) {  // the same answers, evaluated each time
    CHECK(run(*c, small_circle) == brute_ids(*c, near_paris));
    CHECK(run(*c, small_box) == brute_ids(*c, in_small_box));
  }
  const FilterCacheStats mid = filter_cache().stats();
  // Nothing put (the cache may be full from other tests: entries + evictions).
  CHECK(mid.entries + mid.evictions == before.entries + before.evictions);
  CHECK(mid.hits == before.hits);
  CHECK(mid.misses > before.misses);
  // A shape holding most points is kept: its second run reads the cache.
  const SearchRequest wide = all_hits(GeoBoundingBox{"location", 90, -180, -90, 180});
  auto everywhere = [](LatLon) { return true; };
  CHECK(run(*c, wide) == brute_ids(*c, everywhere));
  const FilterCacheStats kept = filter_cache().stats();
  CHECK(kept.entries + kept.evictions == mid.entries + mid.evictions + c->snap->segments().size());
  CHECK(run(*c, wide) == brute_ids(*c, everywhere));
  CHECK(filter_cache().stats().hits >= kept.hits + c->snap->segments().size());
}

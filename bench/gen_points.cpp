// gen_points: deterministic synthetic point sets and query files for the
// `geo` benchmark suite (scripts/bench geo).
//
//   gen_points --kind uniform|clustered --n N --seed S --points OUT.tsv --queries OUT.tsv [--per-class Q]
//
// Points (TSV, one per line): id <TAB> lat <TAB> lon <TAB> name (name empty),
// 6 decimals (~0.1 m). The file is the same input for every engine.
//   uniform:   uniform on the sphere (lat = asin(2u - 1)).
//   clustered: 1000 centres uniform on the sphere with |lat| < 70; cluster k
//              is picked with weight 1/(k+1)^0.8 and has sigma 5..50 km; a
//              point is the centre plus a Gaussian offset (north, east) in km.
// Queries (TSV, the format of bench/geo_queries.md):
//   class <TAB> kind <TAB> lat <TAB> lon <TAB> radius_m <TAB> top <TAB> left <TAB> bottom <TAB> right <TAB> word
// with classes radius_1km, radius_10km, radius_100km (kind "radius") and
// box_10km, box_100km (kind "box", a square of that side centred on the
// point, as lat/lon degrees). Query centres follow the data's distribution
// (uniform: uniform; clustered: drawn like a data point), so queries land
// where the points are.
//
// Randomness: splitmix64 + own Box-Muller, so the output is identical on
// every platform and compiler. Single-threaded; prints one JSON line.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kKmPerDegLat = 111.19492664455873;  // 6371.0088 km * pi / 180

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
  }
};

struct LatLon {
  double lat, lon;
};

LatLon uniform_sphere(Rng& r, double max_abs_lat = 90) {
  for (;;) {
    double lat = std::asin(2 * r.uniform() - 1) * 180 / kPi;
    double lon = r.uniform() * 360 - 180;
    if (std::fabs(lat) <= max_abs_lat) return {lat, lon};
  }
}

double wrap_lon(double lon) {
  while (lon >= 180) lon -= 360;
  while (lon < -180) lon += 360;
  return lon;
}

LatLon offset_km(LatLon c, double north_km, double east_km) {
  double lat = c.lat + north_km / kKmPerDegLat;
  if (lat > 89.999) lat = 89.999;
  if (lat < -89.999) lat = -89.999;
  double lon = c.lon + east_km / (kKmPerDegLat * std::cos(lat * kPi / 180));
  return {lat, wrap_lon(lon)};
}

struct Clusters {
  std::vector<LatLon> centre;
  std::vector<double> sigma_km;
  std::vector<double> cum;  // cumulative weights, normalised to 1
  explicit Clusters(Rng& r) {
    const int k = 1000;
    double total = 0;
    for (int i = 0; i < k; ++i) {
      centre.push_back(uniform_sphere(r, 70));
      sigma_km.push_back(5 + 45 * r.uniform());
      total += 1.0 / std::pow(i + 1, 0.8);
      cum.push_back(total);
    }
    for (double& c : cum) c /= total;
  }
  LatLon draw(Rng& r) const {
    double u = r.uniform();
    size_t lo = 0, hi = cum.size() - 1;
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (cum[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    double s = sigma_km[lo];
    return offset_km(centre[lo], r.normal() * s, r.normal() * s);
  }
};

struct Args {
  std::string kind, points, queries;
  uint64_t n = 10'000'000, seed = 42;
  int per_class = 200;
};

int usage(const char* msg) {
  std::fprintf(stderr, "gen_points: %s\nusage: gen_points --kind uniform|clustered --n N --seed S "
                       "--points OUT.tsv --queries OUT.tsv [--per-class Q]\n", msg);
  return 2;
}

void write_query(FILE* f, const char* cls, const char* kind, LatLon c, double radius_m, double side_km) {
  double top = 0, left = 0, bottom = 0, right = 0;
  if (side_km > 0) {
    double half_lat = side_km / 2 / kKmPerDegLat;
    top = std::min(89.99, c.lat + half_lat);
    bottom = std::max(-89.99, c.lat - half_lat);
    double half_lon = side_km / 2 / (kKmPerDegLat * std::cos(c.lat * kPi / 180));
    if (half_lon > 179) half_lon = 179;
    left = wrap_lon(c.lon - half_lon);
    right = wrap_lon(c.lon + half_lon);
  }
  std::fprintf(f, "%s\t%s\t%.6f\t%.6f\t%.1f\t%.6f\t%.6f\t%.6f\t%.6f\t\n", cls, kind, c.lat, c.lon, radius_m, top,
               left, bottom, right);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) return usage(("missing value for " + k).c_str());
    std::string v = argv[++i];
    if (k == "--kind") a.kind = v;
    else if (k == "--n") a.n = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--seed") a.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--points") a.points = v;
    else if (k == "--queries") a.queries = v;
    else if (k == "--per-class") a.per_class = std::atoi(v.c_str());
    else return usage(("unknown option " + k).c_str());
  }
  if (a.kind != "uniform" && a.kind != "clustered") return usage("--kind must be uniform or clustered");
  if (a.points.empty() || a.queries.empty() || a.n == 0 || a.per_class <= 0) return usage("missing arguments");

  Rng setup{a.seed * 1000003 + 17};
  Clusters clusters(setup);
  Rng r{a.seed};
  auto draw = [&](Rng& g) { return a.kind == "uniform" ? uniform_sphere(g) : clusters.draw(g); };

  FILE* pf = std::fopen(a.points.c_str(), "w");
  if (!pf) return usage(("cannot write " + a.points + ": " + std::strerror(errno)).c_str());
  std::vector<char> buf(1 << 20);
  std::setvbuf(pf, buf.data(), _IOFBF, buf.size());
  for (uint64_t i = 0; i < a.n; ++i) {
    LatLon p = draw(r);
    std::fprintf(pf, "%llu\t%.6f\t%.6f\t\n", static_cast<unsigned long long>(i + 1), p.lat, p.lon);
  }
  if (std::fclose(pf) != 0) return usage("write error on points file");

  Rng qr{a.seed ^ 0x5151515151ull};
  FILE* qf = std::fopen(a.queries.c_str(), "w");
  if (!qf) return usage(("cannot write " + a.queries).c_str());
  const struct {
    const char* cls;
    const char* kind;
    double radius_m, side_km;
  } classes[] = {{"radius_1km", "radius", 1000, 0},
                 {"radius_10km", "radius", 10000, 0},
                 {"radius_100km", "radius", 100000, 0},
                 {"box_10km", "box", 0, 10},
                 {"box_100km", "box", 0, 100}};
  for (const auto& c : classes)
    for (int q = 0; q < a.per_class; ++q) write_query(qf, c.cls, c.kind, draw(qr), c.radius_m, c.side_km);
  if (std::fclose(qf) != 0) return usage("write error on queries file");
  std::printf("{\"kind\":\"%s\",\"points\":%llu,\"seed\":%llu,\"queries\":%d}\n", a.kind.c_str(),
              static_cast<unsigned long long>(a.n), static_cast<unsigned long long>(a.seed),
              a.per_class * 5);
  return 0;
}

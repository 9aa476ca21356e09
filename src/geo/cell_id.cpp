#include "meridian/geo/cell_id.h"

#include <array>
#include <cmath>

#include "morton.h"

namespace meridian::geo {

namespace {

constexpr char kBase32[] = "0123456789bcdefghjkmnpqrstuvwxyz";
constexpr uint64_t kAxisCells = uint64_t{1} << 32;

// 2^-k for k in [0, 64]. Multiplying by it is exact (no subnormals here) and
// equals std::ldexp(x, -k), which cost ~10 % of a small radius query's
// instructions through cell_rect (libm's ldexp + scalbn are not inlined).
constexpr std::array<double, 65> kInvPow2 = [] {
  std::array<double, 65> t{};
  double v = 1.0;
  for (double& x : t) {
    x = v;
    v *= 0.5;
  }
  return t;
}();

// Lower border of cell `q` of an axis [lo, lo + span) split into 2^k cells.
// Exact: q * span is an integer times a power of two below 2^53.
double border(double lo, double span, uint64_t q, int k) {
  return lo + static_cast<double>(q) * span * kInvPow2[static_cast<size_t>(k)];
}

// Index of the 32-bit cell holding v on axis [lo, lo + span]; exact at borders.
uint64_t quantize(double v, double lo, double span) {
  if (!(v >= lo)) return 0;  // also NaN
  double guess = std::floor((v - lo) / span * static_cast<double>(kAxisCells));
  uint64_t q = guess >= static_cast<double>(kAxisCells - 1) ? kAxisCells - 1
                                                            : static_cast<uint64_t>(guess);
  while (q > 0 && v < border(lo, span, q, 32)) --q;
  while (q + 1 < kAxisCells && v >= border(lo, span, q + 1, 32)) ++q;
  return q;
}

int base32_index(char c) {
  if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (int i = 0; i < 32; ++i) {
    if (kBase32[i] == c) return i;
  }
  return -1;
}

}  // namespace

uint64_t encode(LatLon p) {
  uint64_t lon_q = quantize(p.lon, -180.0, 360.0);
  uint64_t lat_q = quantize(p.lat, -90.0, 180.0);
  return (spread(lon_q) << 1) | spread(lat_q);
}

uint64_t cell_prefix(uint64_t id, int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return id;
  return id & ~(~uint64_t{0} >> bits);
}

Rect cell_rect(uint64_t id, int bits) {
  if (bits < 0) bits = 0;
  if (bits > 64) bits = 64;
  int lon_bits = (bits + 1) / 2;
  int lat_bits = bits / 2;
  uint64_t lon_q = compact(id >> 1) >> (32 - lon_bits);
  uint64_t lat_q = compact(id) >> (32 - lat_bits);
  if (lon_bits == 0) lon_q = 0;
  if (lat_bits == 0) lat_q = 0;
  Rect r;
  r.min_lon = border(-180.0, 360.0, lon_q, lon_bits);
  r.max_lon = border(-180.0, 360.0, lon_q + 1, lon_bits);
  r.min_lat = border(-90.0, 180.0, lat_q, lat_bits);
  r.max_lat = border(-90.0, 180.0, lat_q + 1, lat_bits);
  return r;
}

LatLon decode_center(uint64_t id, int bits) {
  Rect r = cell_rect(id, bits);
  return {(r.min_lat + r.max_lat) / 2, (r.min_lon + r.max_lon) / 2};
}

bool cell_contains(Cell c, LatLon p) {
  return cell_prefix(encode(p), c.bits) == cell_prefix(c.id, c.bits);
}

std::string geohash(LatLon p, int precision) {
  if (precision < 1) precision = 1;
  if (precision > 12) precision = 12;
  uint64_t id = encode(p);
  std::string out(static_cast<size_t>(precision), '0');
  for (int i = 0; i < precision; ++i) out[static_cast<size_t>(i)] = kBase32[(id >> (59 - 5 * i)) & 31];
  return out;
}

Result<uint64_t> geohash_to_cell(std::string_view hash, int* bits) {
  if (hash.empty() || hash.size() > 12) {
    return Status::invalid("geohash '" + std::string(hash) + "' must have 1 to 12 characters");
  }
  uint64_t id = 0;
  for (size_t i = 0; i < hash.size(); ++i) {
    int v = base32_index(hash[i]);
    if (v < 0) {
      return Status::invalid("geohash '" + std::string(hash) + "' has an invalid character at " +
                             std::to_string(i));
    }
    id |= static_cast<uint64_t>(v) << (59 - 5 * static_cast<int>(i));
  }
  if (bits) *bits = 5 * static_cast<int>(hash.size());
  return id;
}

Result<Rect> geohash_rect(std::string_view hash) {
  int bits = 0;
  MERIDIAN_ASSIGN_OR_RETURN(uint64_t id, geohash_to_cell(hash, &bits));
  return cell_rect(id, bits);
}

const std::vector<int>& indexed_levels() {
  static const std::vector<int> kLevels = {5, 10, 15, 20, 25, 30, 35, 40, 45, 50};
  return kLevels;
}

std::vector<Cell> index_cells(LatLon p) {
  uint64_t id = encode(p);
  std::vector<Cell> out;
  out.reserve(indexed_levels().size());
  for (int bits : indexed_levels()) out.push_back({cell_prefix(id, bits), bits});
  return out;
}

std::string cell_term(uint64_t id, int bits) {
  std::string out;
  append_cell_term(&out, id, bits);
  return out;
}

void append_cell_term(std::string* out, uint64_t id, int bits) {
  if (bits < 0) bits = 0;
  if (bits > 64) bits = 64;
  id = cell_prefix(id, bits);
  char buf[9];
  buf[0] = static_cast<char>(bits);
  const int n = (bits + 7) / 8;
  for (int i = 0; i < n; ++i) buf[1 + i] = static_cast<char>((id >> (56 - 8 * i)) & 0xff);
  out->append(buf, static_cast<size_t>(1 + n));
}

Result<Cell> parse_cell_term(std::string_view term) {
  if (term.empty()) return Status::invalid("geo cell term is empty");
  int bits = static_cast<unsigned char>(term[0]);
  if (bits > 64) return Status::invalid("geo cell term has " + std::to_string(bits) + " bits");
  size_t n = static_cast<size_t>((bits + 7) / 8);
  if (term.size() != 1 + n) {
    return Status::invalid("geo cell term of " + std::to_string(bits) + " bits has " +
                           std::to_string(term.size()) + " bytes");
  }
  uint64_t id = 0;
  for (size_t i = 0; i < n; ++i) {
    id |= static_cast<uint64_t>(static_cast<unsigned char>(term[1 + i])) << (56 - 8 * i);
  }
  if (cell_prefix(id, bits) != id) return Status::invalid("geo cell term has bits past its level");
  return Cell{id, bits};
}

}  // namespace meridian::geo

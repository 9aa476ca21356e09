#include "meridian/geo/point.h"

#include <charconv>
#include <cmath>
#include <string>

#include "meridian/geo/cell_id.h"

namespace meridian::geo {

namespace {


std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A whole string as a finite or non-finite double; false if not a number.
bool to_double(std::string_view s, double* out) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

Status bad(std::string_view field, const Json& v, std::string_view why) {
  std::string value = v.dump();
  if (value.size() > 200) value = value.substr(0, 200) + "...";
  return Status::invalid("geo_point field '" + std::string(field) + "': " + std::string(why) +
                         " (value " + value + ")");
}

std::string number_text(double d) {
  std::string s;
  append_json_number(&s, d);
  if (s == "null") s = std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
  return s;
}

Result<LatLon> checked(double lat, double lon, std::string_view field, const Json& v) {
  if (!(lat >= -90.0 && lat <= 90.0)) {
    return bad(field, v, "latitude " + number_text(lat) + " is not in [-90, 90]");
  }
  if (!(lon >= -180.0 && lon <= 180.0)) {
    return bad(field, v, "longitude " + number_text(lon) + " is not in [-180, 180]");
  }
  return LatLon{lat, lon};
}

// A coordinate member: a number or a numeric string.
bool coordinate(const Json* j, double* out) {
  if (j == nullptr) return false;
  if (j->is_number()) {
    *out = j->as_double();
    return true;
  }
  return j->is_string() && to_double(j->as_string(), out);
}

bool is_number_pair(const Json& v) {
  if (!v.is_array() || v.size() < 2 || v.size() > 3) return false;
  for (const Json& e : v.as_array()) {
    if (!e.is_number()) return false;
  }
  return true;
}

Result<LatLon> from_lon_lat_array(const Json& a, std::string_view field, const Json& whole) {
  if (!is_number_pair(a)) return bad(field, whole, "expected [lon, lat] of two numbers");
  return checked(a.as_array()[1].as_double(), a.as_array()[0].as_double(), field, whole);
}

Result<LatLon> from_object(const Json& v, std::string_view field) {
  if (const Json* type = v.find("type")) {
    if (!type->is_string() || type->as_string() != "Point") {
      return bad(field, v, "expected a GeoJSON Point");
    }
    const Json* c = v.find("coordinates");
    if (c == nullptr) return bad(field, v, "GeoJSON Point without coordinates");
    return from_lon_lat_array(*c, field, v);
  }
  const Json* lat = v.find("lat");
  const Json* lon = v.find("lon");
  if (lon == nullptr) lon = v.find("lng");
  if (lat == nullptr || lon == nullptr) return bad(field, v, "expected members lat and lon");
  double la = 0, lo = 0;
  if (!coordinate(lat, &la)) return bad(field, v, "lat is not a number");
  if (!coordinate(lon, &lo)) return bad(field, v, "lon is not a number");
  return checked(la, lo, field, v);
}

Result<LatLon> from_wkt(std::string_view s, std::string_view field, const Json& v) {
  s = trim(s.substr(5));
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return bad(field, v, "malformed WKT POINT");
  s = trim(s.substr(1, s.size() - 2));
  size_t sp = s.find_first_of(" \t");
  if (sp == std::string_view::npos) return bad(field, v, "malformed WKT POINT");
  double lon = 0, lat = 0;
  std::string_view rest = trim(s.substr(sp));
  if (size_t z = rest.find_first_of(" \t"); z != std::string_view::npos) rest = rest.substr(0, z);
  if (!to_double(s.substr(0, sp), &lon) || !to_double(rest, &lat)) {
    return bad(field, v, "malformed WKT POINT");
  }
  return checked(lat, lon, field, v);
}

Result<LatLon> from_string(const Json& v, std::string_view field) {
  std::string_view s = trim(v.as_string());
  if (s.empty()) return bad(field, v, "empty string");
  if (s.size() > 5 && (s.substr(0, 5) == "POINT" || s.substr(0, 5) == "point")) {
    return from_wkt(s, field, v);
  }
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) {
    int bits = 0;
    auto cell = geohash_to_cell(s, &bits);
    if (!cell.is_ok()) return bad(field, v, "not \"lat,lon\" and not a geohash");
    return decode_center(*cell, bits);
  }
  std::string_view rest = s.substr(comma + 1);
  if (size_t z = rest.find(','); z != std::string_view::npos) rest = rest.substr(0, z);  // lat,lon,z
  double lat = 0, lon = 0;
  if (!to_double(s.substr(0, comma), &lat) || !to_double(rest, &lon)) {
    return bad(field, v, "malformed \"lat,lon\" string");
  }
  return checked(lat, lon, field, v);
}

}  // namespace

extern const double kHalfCircumferenceM = 2 * kEarthRadiusM * std::asin(1.0);

bool is_valid(LatLon p) {
  return p.lat >= -90.0 && p.lat <= 90.0 && p.lon >= -180.0 && p.lon <= 180.0;
}

Result<LatLon> parse_point(const Json& v, std::string_view field) {
  switch (v.type()) {
    case Json::Type::kObject: return from_object(v, field);
    case Json::Type::kArray: return from_lon_lat_array(v, field, v);
    case Json::Type::kString: return from_string(v, field);
    default: return bad(field, v, "expected an object, [lon, lat], \"lat,lon\" or a geohash");
  }
}

Result<std::vector<LatLon>> parse_points(const Json& v, std::string_view field) {
  std::vector<LatLon> out;
  if (v.is_null()) return out;
  const Json* many = nullptr;
  if (v.is_array() && !is_number_pair(v)) {
    many = &v;
  } else if (const Json* type = v.is_object() ? v.find("type") : nullptr;
             type && type->is_string() && type->as_string() == "MultiPoint") {
    many = v.find("coordinates");
    if (many == nullptr || !many->is_array()) return bad(field, v, "MultiPoint without coordinates");
    for (const Json& e : many->as_array()) {
      MERIDIAN_ASSIGN_OR_RETURN(LatLon p, from_lon_lat_array(e, field, v));
      out.push_back(p);
    }
    return out;
  }
  if (many == nullptr) {
    MERIDIAN_ASSIGN_OR_RETURN(LatLon p, parse_point(v, field));
    out.push_back(p);
    return out;
  }
  out.reserve(many->size());
  for (size_t i = 0; i < many->size(); ++i) {
    auto p = parse_point(many->as_array()[i], field);
    if (!p.is_ok()) return p.status().with_context("element " + std::to_string(i));
    out.push_back(*p);
  }
  return out;
}

double haversine_m(LatLon a, LatLon b) {
  return 2 * kEarthRadiusM * std::asin(std::sqrt(haversine_h(a, std::cos(a.lat * kDegToRad), b)));
}

}  // namespace meridian::geo

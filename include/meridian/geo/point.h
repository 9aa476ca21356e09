// Geographic points: the LatLon value type, parsing of geo_point field values
// from document JSON in every accepted format, and great-circle distance.
//
// Accepted formats for one point (Elasticsearch-compatible):
//   {"lat": 41.1, "lon": -71.3}      {"lat": 41.1, "lng": -71.3}   (numbers or numeric strings)
//   [-71.3, 41.1]                    GeoJSON order [lon, lat]; a third number (z) is ignored
//   "41.1,-71.3"                     "lat,lon" string
//   "drm3btev3e86"                   a geohash: the centre of its cell
//   "POINT (-71.3 41.1)"             WKT point, lon first
//   {"type": "Point", "coordinates": [-71.3, 41.1]}   GeoJSON Point
// Many points per document: an array of the above ([lon, lat] of two numbers
// is ONE point), or {"type": "MultiPoint", "coordinates": [[lon, lat], ...]}.
//
// All functions are pure; thread-safe.
#pragma once

#include <cmath>
#include <string_view>
#include <vector>

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::geo {

// Mean Earth radius (IUGG R1) in metres; every distance uses this sphere.
constexpr double kEarthRadiusM = 6371008.8;
constexpr double kDegToRad = M_PI / 180.0;
constexpr double kRadToDeg = 180.0 / M_PI;

// Degrees. Valid: lat in [-90, 90], lon in [-180, 180], both finite.
struct LatLon {
  double lat;
  double lon;
  friend bool operator==(const LatLon&, const LatLon&) = default;
};

// True if p is finite and within the ranges above.
bool is_valid(LatLon p);

// Parses one point. Errors (InvalidArgument) name the field and the value:
// out-of-range or NaN coordinates, wrong types, malformed strings.
Result<LatLon> parse_point(const Json& v, std::string_view field);

// Parses one or many points. null and [] give no points; any bad element
// fails the whole value (the error names the element's index).
Result<std::vector<LatLon>> parse_points(const Json& v, std::string_view field);

// The haversine value h = sin^2(d / 2R) of the great-circle distance d from
// a to b, clamped to [0, 1], given cos(a.lat) (a caller comparing many points
// with one centre computes it once). haversine_m is 2R asin(sqrt(h)) of it,
// so both agree to the bit.
inline double haversine_h(LatLon a, double cos_a_lat, LatLon b) {
  double s_lat = std::sin((b.lat - a.lat) * kDegToRad / 2);
  double s_lon = std::sin((b.lon - a.lon) * kDegToRad / 2);
  double h = s_lat * s_lat + cos_a_lat * std::cos(b.lat * kDegToRad) * s_lon * s_lon;
  return h > 1.0 ? 1.0 : h < 0.0 ? 0.0 : h;
}

// Great-circle distance in metres on the sphere of radius kEarthRadiusM
// (haversine). Symmetric; 0 for identical points; at most kHalfCircumferenceM.
double haversine_m(LatLon a, LatLon b);

// The largest value haversine_m can return (half a great circle, ~20,015 km).
extern const double kHalfCircumferenceM;

}  // namespace meridian::geo

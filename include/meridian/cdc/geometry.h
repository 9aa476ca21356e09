// Decoding of database point geometries into geo points: PostGIS EWKB
// (hex text as PostgreSQL prints it, or raw bytes), OGC WKB, Debezium's
// {"wkb": base64, "srid": n} struct and GeoJSON Points. Only 2-D points
// (Z/M ordinates are skipped); x is the longitude, y the latitude.
//
// Untrusted input: every read is bounds-checked; errors are InvalidArgument.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "meridian/base/json.h"
#include "meridian/base/status.h"
#include "meridian/geo/point.h"

namespace meridian::cdc {

// Decodes (E)WKB bytes holding one Point.
Result<geo::LatLon> decode_wkb_point(std::string_view bytes);
// Decodes hex text ("0101000020E6100000...") of (E)WKB.
Result<geo::LatLon> decode_wkb_hex_point(std::string_view hex);
// Standard base64 (with or without padding); InvalidArgument on bad input.
Result<std::string> decode_base64(std::string_view text);

// Any supported point form: an EWKB hex string, {"wkb": base64, ...},
// a GeoJSON Point, {"x": lon, "y": lat} (Debezium Point), or the formats
// geo::parse_point accepts.
Result<geo::LatLon> decode_point_value(const Json& v, std::string_view column);

}  // namespace meridian::cdc

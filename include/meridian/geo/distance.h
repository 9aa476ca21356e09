// Distance values in queries: parsing "10km"-style distances and the decay
// functions used by distance scoring (Elasticsearch function_score semantics).
//
// Pure functions; thread-safe.
#pragma once

#include "meridian/base/json.h"
#include "meridian/base/status.h"

namespace meridian::geo {

// A distance in metres from a number (metres) or a string of a number with an
// optional unit: m, km, cm, mm, mi, yd, ft, in, nmi/NM, or the long names
// (meters, kilometers, miles, yards, feet, inch, nauticalmiles, ...).
// Whitespace between number and unit is allowed. "10" means metres.
// Negative, NaN, infinite or malformed values are InvalidArgument.
Result<double> parse_distance_m(const Json& v);

enum class DecayKind { kGauss, kExp, kLinear };

// Checks decay parameters as given by a user: scale > 0, offset >= 0,
// 0 < decay_at_scale < 1, all finite.
Status check_decay_params(double scale_m, double offset_m, double decay_at_scale);

// Score in [0, 1] for a document at `distance_m` from the origin: 1 while
// distance <= offset, exactly `decay_at_scale` at offset + scale, then
//   gauss:  decay^((x/scale)^2)        exp: decay^(x/scale)
//   linear: max(0, 1 - x (1 - decay) / scale)          with x = distance - offset.
// Parameters must have passed check_decay_params; otherwise the result is
// still finite and in [0, 1] but unspecified.
double decay(DecayKind k, double distance_m, double scale_m, double offset_m,
             double decay_at_scale);

}  // namespace meridian::geo

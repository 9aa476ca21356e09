#include "meridian/geo/distance.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace meridian::geo {

namespace {

struct Unit {
  std::string_view name;
  double metres;
};

constexpr Unit kUnits[] = {
    {"", 1.0},           {"m", 1.0},         {"meters", 1.0},        {"meter", 1.0},
    {"km", 1000.0},      {"kilometers", 1000.0}, {"kilometer", 1000.0},
    {"cm", 0.01},        {"centimeters", 0.01},  {"mm", 0.001},      {"millimeters", 0.001},
    {"mi", 1609.344},    {"miles", 1609.344},    {"mile", 1609.344},
    {"yd", 0.9144},      {"yards", 0.9144},      {"yard", 0.9144},
    {"ft", 0.3048},      {"feet", 0.3048},       {"foot", 0.3048},
    {"in", 0.0254},      {"inch", 0.0254},       {"inches", 0.0254},
    {"nmi", 1852.0},     {"NM", 1852.0},         {"nauticalmiles", 1852.0},
};

Status bad_distance(const Json& v, std::string_view why) {
  return Status::invalid("invalid distance " + v.dump() + ": " + std::string(why));
}

}  // namespace

Result<double> parse_distance_m(const Json& v) {
  double value = 0, factor = 1.0;
  if (v.is_number()) {
    value = v.as_double();
  } else if (v.is_string()) {
    std::string_view s = v.as_string();
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    size_t n = 0;
    while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.' ||
                            s[n] == '-' || s[n] == '+' || s[n] == 'e' || s[n] == 'E')) {
      // 'e' belongs to the number only when followed by a digit or sign ("1e3").
      if ((s[n] == 'e' || s[n] == 'E') &&
          (n + 1 >= s.size() || !(std::isdigit(static_cast<unsigned char>(s[n + 1])) ||
                                  s[n + 1] == '-' || s[n + 1] == '+'))) {
        break;
      }
      ++n;
    }
    std::string_view num = s.substr(0, n);
    if (!num.empty() && num.front() == '+') num.remove_prefix(1);
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), value);
    if (num.empty() || ec != std::errc() || end != num.data() + num.size()) {
      return bad_distance(v, "expected a number with an optional unit");
    }
    std::string_view unit = s.substr(n);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    bool found = false;
    for (const Unit& u : kUnits) {
      if (u.name == unit) {
        factor = u.metres;
        found = true;
        break;
      }
    }
    if (!found) return bad_distance(v, "unknown unit '" + std::string(unit) + "'");
  } else {
    return bad_distance(v, "expected a number or a string");
  }
  double m = value * factor;
  if (!std::isfinite(m)) return bad_distance(v, "not finite");
  if (m < 0) return bad_distance(v, "negative");
  return m;
}

Status check_decay_params(double scale_m, double offset_m, double decay_at_scale) {
  if (!(std::isfinite(scale_m) && scale_m > 0)) {
    return Status::invalid("decay scale must be a positive distance");
  }
  if (!(std::isfinite(offset_m) && offset_m >= 0)) {
    return Status::invalid("decay offset must be a non-negative distance");
  }
  if (!(decay_at_scale > 0 && decay_at_scale < 1)) {
    return Status::invalid("decay must be in (0, 1), got " + std::to_string(decay_at_scale));
  }
  return Status::ok();
}

double decay(DecayKind k, double distance_m, double scale_m, double offset_m,
             double decay_at_scale) {
  double x = std::fabs(distance_m) - offset_m;
  if (!(x > 0)) return 1.0;  // also NaN parameters
  if (!(scale_m > 0) || !(decay_at_scale > 0 && decay_at_scale < 1)) return 0.0;
  double t = x / scale_m;
  double score = 0;
  switch (k) {
    case DecayKind::kGauss: score = std::pow(decay_at_scale, t * t); break;
    case DecayKind::kExp: score = std::pow(decay_at_scale, t); break;
    case DecayKind::kLinear: score = 1.0 - t * (1.0 - decay_at_scale); break;
  }
  if (!(score > 0)) return 0.0;
  return score > 1.0 ? 1.0 : score;
}

}  // namespace meridian::geo

// Private to src/geo: the geometry behind Shape, one subclass per kind.
// Immutable after construction; shared between Shape copies and threads.
#pragma once

#include <string>

#include "meridian/geo/shape.h"

namespace meridian::geo {

class Shape::Impl {
 public:
  virtual ~Impl() = default;
  virtual Kind kind() const = 0;
  virtual bool contains(LatLon p) const = 0;
  virtual Relation relate(const Rect& r) const = 0;
  virtual std::string describe() const = 0;
  virtual std::vector<Rect> bounds() const = 0;
};

// Closed longitude interval [lo, hi] with -180 <= lo <= hi <= 180.
struct LonRange {
  double lo, hi;
};

// Appends [lo, hi] (degrees, possibly beyond +-180 by less than 360) as one or
// two ranges inside [-180, 180]; a range touching one side of the
// antimeridian also gets the degenerate range on the other side, since
// longitudes -180 and 180 are the same meridian.
void add_lon_ranges(double lo, double hi, std::vector<LonRange>* out);

std::string format_degrees(double d);

// The rectangles lat [min_lat, max_lat] x each range.
std::vector<Rect> rects_of(double min_lat, double max_lat, const std::vector<LonRange>& lons);

}  // namespace meridian::geo

// The geo module in one include: points and parsing, cell ids and geohashes,
// distances and decay, shapes, covering and aggregation helpers.
#pragma once

#include "meridian/geo/aggregations.h"
#include "meridian/geo/cell_id.h"
#include "meridian/geo/coverer.h"
#include "meridian/geo/distance.h"
#include "meridian/geo/point.h"
#include "meridian/geo/shape.h"

#include "meridian/query/dsl_parser.h"

#include <doctest/doctest.h>

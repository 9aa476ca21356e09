#include "meridian/query/search_request.h"

#include <doctest/doctest.h>

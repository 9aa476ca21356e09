#include "meridian/scoring/bm25.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace meridian::scoring;

TEST_CASE("bm25: matches the formula and grows with tf, shrinks with length") {
  Bm25 w({1.2, 0.75}, 100, 10, 20.0, 2.0);
  double idf = std::log(1 + (100 - 10 + 0.5) / (10 + 0.5));
  CHECK(w.idf() == doctest::Approx(idf));
  double expect = 2.0 * idf * 3 * 2.2 / (3 + 1.2 * (1 - 0.75 + 0.75 * 10 / 20.0));
  CHECK(w.score(3, 10) == doctest::Approx(expect));
  CHECK(w.score(4, 10) > w.score(3, 10));
  CHECK(w.score(3, 30) < w.score(3, 10));
  CHECK(w.score(0, 10) == 0);
  CHECK(w.upper_bound(5, 2) >= w.score(5, 2));
}

TEST_CASE("bm25: a field without lengths uses a length factor of one") {
  Bm25 w({1.2, 0.75}, 10, 1, 0.0, 1.0);
  CHECK(w.score(1, 0) == doctest::Approx(w.idf() * 2.2 / 2.2));
}


#include "meridian/query/field_check.h"

#include <doctest/doctest.h>

using namespace meridian;
using namespace meridian::query;

namespace {

index::Schema schema() {
  auto s = index::Schema::from_json(*parse_json(
      R"({"fields":{"name":"text","country":"keyword","population":"int","location":"geo_point",
                    "address.city":"keyword","address.zip":"keyword"}})"));
  REQUIRE(s.is_ok());
  return std::move(*s);
}

std::string check(std::string_view body) {
  auto j = parse_json(body);
  REQUIRE_MESSAGE(j.is_ok(), body);
  auto r = parse_search_request(*j);
  REQUIRE_MESSAGE(r.is_ok(), r.status().message());
  Status st = check_request_fields(schema(), *r);
  return st.is_ok() ? "OK" : st.message();
}

}  // namespace

TEST_CASE("field check: did you mean picks the closest name, case-insensitive, or none") {
  std::vector<std::string> c = {"country", "population", "name"};
  CHECK(did_you_mean("countyr", c) == " (did you mean 'country'?)");
  CHECK(did_you_mean("Name", c) == " (did you mean 'name'?)");
  CHECK(did_you_mean("popultion", c) == " (did you mean 'population'?)");
  CHECK(did_you_mean("zzz", c) == "");
  CHECK(did_you_mean("limit", {"size"}, {{"limit", "size"}}) == " (did you mean 'size'?)");
}

TEST_CASE("field check: known fields, the id, * and object paths pass") {
  CHECK(check(R"({"q":"paris","q_fields":["name^2","*"],"filter":["country:FR"],"sort":["population","id"],
                  "fields":["name","address","id"],"highlight":{"fields":["name"]},
                  "near":"1,2","radius":"5km"})") == "OK");
  CHECK(check(R"({"query":{"bool":{"filter":[{"exists":{"field":"nothing_yet"}}]}}})") == "OK");
}

TEST_CASE("field check: an unknown field anywhere is an error naming its path and the closest field") {
  CHECK(check(R"({"filter":"countyr:FR"})") == "filter[0]: unknown field 'countyr' (did you mean 'country'?)");
  CHECK(check(R"({"filter":["country:FR",{"term":{"colour":"red"}}]})") == "filter[1]: unknown field 'colour'");
  CHECK(check(R"({"q":"paris","q_fields":["nam"]})") == "q_fields[0]: unknown field 'nam' (did you mean 'name'?)");
  CHECK(check(R"({"query":{"bool":{"must":[{"match":{"nmae":"x"}}]}}})") ==
        "query: unknown field 'nmae' (did you mean 'name'?)");
  CHECK(check(R"({"near":"1,2","radius":"5km","geo_field":"locaton"})") ==
        "geo_field: unknown field 'locaton' (did you mean 'location'?)");
  CHECK(check(R"({"highlight":{"fields":["nme"]}})") == "highlight.fields.nme: unknown field 'nme' (did you mean 'name'?)");
  CHECK(check(R"({"fields":["name","popluation"]})") == "fields[1]: unknown field 'popluation' (did you mean 'population'?)");
  CHECK(check(R"({"sort":["populaton"]})") == "sort[0]: unknown field 'populaton' (did you mean 'population'?)");
  CHECK(check(R"({"facets":{"c":{"terms":{"field":"contry"}}}})") == "facets.c: unknown field 'contry' (did you mean 'country'?)");
  CHECK(check(R"({"geo_decay":{"field":"loc","origin":"1,2","scale":"1km"}})") ==
        "geo_decay.field: unknown field 'loc'");
}

#include <doctest/doctest.h>

#include "shell_format.h"

using namespace meridian;
using namespace meridian::cli::shell;

namespace {

Json parse(const char* s) {
  auto j = parse_json(s);
  REQUIRE(j.is_ok());
  return *j;
}

const char* kResponse = R"({"total":{"value":25,"relation":"eq"},"hits":[
  {"id":"1","score":2.5,"distance_m":1234.5,"source":{"id":1,"name":"Paris","country":"FR","location":{"lat":48.85,"lon":2.35}},
   "highlight":{"name":["\u0002Paris\u0003"]}},
  {"id":"22","score":1.25,"source":{"id":22,"name":"Parisot, \"Tarn\"","country":"FR","population":300}}],
  "facets":{"country":{"buckets":[{"key":"FR","count":25}]}},"took_ms":0.5})";

}  // namespace

TEST_CASE("shell format: display width counts code points, not markers or escapes") {
  CHECK(display_width("abc") == 3);
  CHECK(display_width("Āzādshahr") == 9);
  CHECK(display_width("\x02" "ab" "\x03") == 2);
  CHECK(display_width("\033[1mab\033[0m") == 2);
  CHECK(display_width("") == 0);
}

TEST_CASE("shell format: a table pads every column to its widest cell") {
  Table t;
  t.headers = {"a", "long header"};
  t.rows = {{"Āzād", "1"}, {"x", "22"}};
  std::string s = render(t, RenderOptions{});
  CHECK(s ==
        "a    | long header\n"
        "-----+------------\n"
        "Āzād | 1\n"
        "x    | 22\n");
}

TEST_CASE("shell format: long cells are cut with an ellipsis, highlights closed") {
  Table t;
  t.headers = {"v"};
  t.rows = {{std::string("\x02") + std::string(50, 'x') + "\x03"}};
  RenderOptions o;
  o.max_cell = 10;
  std::string plain = render(t, o);
  CHECK(plain.find(std::string(9, 'x') + "…\n") != std::string::npos);
  CHECK(plain.find(std::string(10, 'x')) == std::string::npos);
  o.color = true;
  std::string bold = render(t, o);
  CHECK(bold.find("\033[1m" + std::string(9, 'x') + "\033[22m…") != std::string::npos);
}

TEST_CASE("shell format: csv quotes fields with commas, quotes and newlines") {
  Table t;
  t.headers = {"id", "name"};
  t.rows = {{"1", "a,b"}, {"2", "say \"hi\""}, {"3", "two\nlines"}, {"4", "\x02plain\x03"}};
  RenderOptions o;
  o.format = Format::kCsv;
  CHECK(render(t, o) == "id,name\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,plain\n");
}

TEST_CASE("shell format: json rows are objects keyed by header") {
  Table t;
  t.headers = {"index", "docs"};
  t.rows = {{"cities", "3000"}};
  RenderOptions o;
  o.format = Format::kJson;
  CHECK(render(t, o) == "[{\"index\":\"cities\",\"docs\":\"3000\"}]\n");
}

TEST_CASE("shell format: hits table has id, score, distance, source fields and highlights") {
  Json r = parse(kResponse);
  Table t = hits_table(r, {});
  REQUIRE(t.headers.size() >= 6);
  CHECK(t.headers[0] == "id");
  CHECK(t.headers[1] == "score");
  CHECK(t.headers[2] == "distance");
  CHECK(t.headers[3] == "name");
  CHECK(t.headers[4] == "country");
  CHECK(t.headers[5] == "location");
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0][0] == "1");
  CHECK(t.rows[0][1] == "2.500");
  CHECK(t.rows[0][2] == "1.2 km");
  CHECK(t.rows[0][3] == "\x02Paris\x03");
  CHECK(t.rows[0][5] == "48.85,2.35");
  CHECK(t.rows[1][2] == "");  // no distance
  Table chosen = hits_table(r, {"population"});
  CHECK(chosen.headers == std::vector<std::string>{"id", "score", "distance", "population"});
  CHECK(chosen.rows[0][3] == "");
  CHECK(chosen.rows[1][3] == "300");
}

TEST_CASE("shell format: results show total, facets and time; csv and json are bare") {
  Json r = parse(kResponse);
  ResultOptions o;
  o.elapsed_ms = 1.5;
  std::string table = format_results(r, o);
  CHECK(table.find("(25 hits, showing 2)") != std::string::npos);
  CHECK(table.find("facet country: FR (25)") != std::string::npos);
  CHECK(table.find("Time: 1.500 ms (search 0.500 ms)") != std::string::npos);
  CHECK(table.find('\x02') == std::string::npos);  // markers never leak
  o.timing = false;
  CHECK(format_results(r, o).find("Time:") == std::string::npos);
  o.render.format = Format::kCsv;
  std::string csv = format_results(r, o);
  CHECK(csv.rfind("id,score,distance,name,country,location", 0) == 0);
  CHECK(csv.find("22,1.250,,\"Parisot, \"\"Tarn\"\"\",FR") != std::string::npos);
  CHECK(csv.find("hits") == std::string::npos);
  o.render.format = Format::kJson;
  std::string json = format_results(r, o);
  CHECK(parse_json(json)->find("hits")->size() == 2);
  // JSON output never carries the marker bytes: they read as <em> tags
  CHECK(json.find("\\u0002") == std::string::npos);
  CHECK(json.find('\x02') == std::string::npos);
  CHECK(json.find(R"("highlight":{"name":["<em>Paris</em>"]})") != std::string::npos);
}

TEST_CASE("shell format: an empty response is a header and zero hits") {
  std::string s = format_results(parse(R"({"total":{"value":0,"relation":"eq"},"hits":[]})"), ResultOptions{});
  CHECK(s.find("id | score") == 0);
  CHECK(s.find("(0 hits)") != std::string::npos);
}

TEST_CASE("shell format: suggestions read \"did you mean\" under the hit count") {
  std::string s = format_results(
      parse(R"({"total":{"value":0,"relation":"eq"},"hits":[],"suggest":[{"text":"constitution","score":0.75},)"
            R"({"text":"constitutions","score":0.5}]})"),
      ResultOptions{});
  CHECK(s.find("(0 hits)\ndid you mean: \"constitution\", \"constitutions\"\n") != std::string::npos);
  CHECK(format_results(parse(R"({"total":{"value":0,"relation":"eq"},"hits":[]})"), ResultOptions{})
            .find("did you mean") == std::string::npos);
}

TEST_CASE("shell format: distances and cells") {
  CHECK(format_distance(12.4) == "12 m");
  CHECK(format_distance(15000) == "15.0 km");
  CHECK(cell_text(Json("a\tb\nc")) == "a b c");
  CHECK(cell_text(Json(5)) == "5");
  CHECK(cell_text(Json()) == "");
  CHECK(cell_text(parse(R"({"lat":1,"lon":2})")) == "1,2");
  CHECK(cell_text(parse(R"([1,"x"])")) == R"([1,"x"])");
  CHECK(parse_format("csv").is_ok());
  CHECK(!parse_format("xml").is_ok());
}

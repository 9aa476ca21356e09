#include "meridian/query/query_string_parser.h"

#include <doctest/doctest.h>

#include <random>

using namespace meridian;
using namespace meridian::query;

namespace {

QueryStringOptions fields(std::vector<FieldBoost> f, Operator op = Operator::kOr) {
  QueryStringOptions o;
  o.default_fields = std::move(f);
  o.default_operator = op;
  return o;
}

// Parses with default field "f" and returns to_string, or "ERROR: message".
std::string P(std::string_view text, Operator op = Operator::kOr) {
  auto r = parse_query_string(text, fields({{"f", 1}}, op));
  if (!r) return "ERROR: " + r.status().message();
  return to_string(*r);
}

}  // namespace

TEST_CASE("query string: bare words, default field and default operator") {
  CHECK(P("hello") == R"(match(f,"hello"))");
  CHECK(P("a b") == R"(bool(should=[match(f,"a"),match(f,"b")]))");
  CHECK(P("a b", Operator::kAnd) == R"(bool(must=[match(f,"a"),match(f,"b")]))");
  CHECK(P("  ") == "match_all");
  CHECK(P("") == "match_all");
  auto none = parse_query_string("x");
  REQUIRE(none.is_ok());
  CHECK(to_string(*none) == R"(match(*,"x"))");
}

TEST_CASE("query string: phrases with slop, field terms and field phrases") {
  CHECK(P("\"new york\"") == R"(match_phrase(f,"new york"))");
  CHECK(P("\"new york\"~3") == R"(match_phrase(f,"new york",slop=3))");
  CHECK(P("title:paris") == R"(match(title,"paris"))");
  CHECK(P("title:\"new york\"") == R"(match_phrase(title,"new york"))");
  CHECK(P("title: paris") == R"(match(title,"paris"))");
  CHECK(P(R"(title:"say \"hi\"")") == R"(match_phrase(title,"say \"hi\""))");
  CHECK(P("title:(a b)") == R"(bool(should=[match(title,"a"),match(title,"b")]))");
  CHECK(P("title:(a \"b c\")") == R"(bool(should=[match(title,"a"),match_phrase(title,"b c")]))");
}

TEST_CASE("query string: prefix, wildcard, regex and fuzzy terms") {
  CHECK(P("pre*") == R"(prefix(f,"pre"))");
  CHECK(P("w?ld*card") == R"(wildcard(f,"w?ld*card"))");
  CHECK(P("*end") == R"(wildcard(f,"*end"))");
  CHECK(P("/jo.*n/") == R"(regexp(f,"jo.*n"))");
  CHECK(P(R"(/a\/b\d/)") == R"(regexp(f,"a/b\\d"))");
  CHECK(P("name:/ab+/") == R"(regexp(name,"ab+"))");
  CHECK(P("quikc~") == R"(match(f,"quikc",fuzziness=AUTO))");
  CHECK(P("quikc~1") == R"(match(f,"quikc",fuzziness=1))");
  CHECK(P("quikc~2") == R"(match(f,"quikc",fuzziness=2))");
  CHECK(P("quikc~0") == R"(match(f,"quikc"))");
  CHECK(P("title:quikc~1^2") == R"(match(title,"quikc",fuzziness=1)^2)");
  CHECK(P("*") == "match_all");
  CHECK(P("*:*") == "match_all");
  CHECK(P("title:*") == "exists(title)");
  CHECK(P("_exists_:title") == "exists(title)");
}

TEST_CASE("query string: boolean operators, symbols, must and must_not") {
  CHECK(P("a AND b") == R"(bool(must=[match(f,"a"),match(f,"b")]))");
  CHECK(P("a && b") == R"(bool(must=[match(f,"a"),match(f,"b")]))");
  CHECK(P("a OR b", Operator::kAnd) == R"(bool(should=[match(f,"a"),match(f,"b")]))");
  CHECK(P("a || b", Operator::kAnd) == R"(bool(should=[match(f,"a"),match(f,"b")]))");
  CHECK(P("NOT a") == R"(bool(must_not=[match(f,"a")]))");
  CHECK(P("!a") == R"(bool(must_not=[match(f,"a")]))");
  CHECK(P("a AND NOT b") == R"(bool(must=[match(f,"a")],must_not=[match(f,"b")]))");
  CHECK(P("a NOT b") == R"(bool(should=[match(f,"a")],must_not=[match(f,"b")]))");
  CHECK(P("a OR NOT b") == R"(bool(should=[match(f,"a"),bool(must_not=[match(f,"b")])]))");
  CHECK(P("+a -b c") == R"(bool(must=[match(f,"a")],should=[match(f,"c")],must_not=[match(f,"b")]))");
  CHECK(P("+a -b c", Operator::kAnd) == R"(bool(must=[match(f,"a"),match(f,"c")],must_not=[match(f,"b")]))");
  CHECK(P("-a") == R"(bool(must_not=[match(f,"a")]))");
  CHECK(P("+a") == R"(match(f,"a"))");
  // AND binds tighter than OR, in both default modes.
  CHECK(P("a OR b AND c") == R"(bool(should=[match(f,"a"),bool(must=[match(f,"b"),match(f,"c")])]))");
  CHECK(P("a AND b OR c") == R"(bool(should=[bool(must=[match(f,"a"),match(f,"b")]),match(f,"c")]))");
  CHECK(P("a b OR c", Operator::kAnd) == R"(bool(should=[bool(must=[match(f,"a"),match(f,"b")]),match(f,"c")]))");
  CHECK(P("a b AND c") == R"(bool(should=[match(f,"a"),bool(must=[match(f,"b"),match(f,"c")])]))");
  // Keywords are only keywords when spelled in capitals and standing alone.
  CHECK(P("ANDROID") == R"(match(f,"ANDROID"))");
  CHECK(P("a and b") == R"(bool(should=[match(f,"a"),match(f,"and"),match(f,"b")]))");
  CHECK(P("e-mail") == R"(match(f,"e-mail"))");
  CHECK(P("temp:-5") == R"(match(temp,"-5"))");
}

TEST_CASE("query string: parentheses and boosts on terms, phrases and groups") {
  CHECK(P("(a OR b) AND c") == R"(bool(must=[bool(should=[match(f,"a"),match(f,"b")]),match(f,"c")]))");
  CHECK(P("((a))") == R"(match(f,"a"))");
  CHECK(P("a^2") == R"(match(f,"a")^2)");
  CHECK(P("\"a b\"^3") == R"(match_phrase(f,"a b")^3)");
  CHECK(P("\"a b\"~2^3") == R"(match_phrase(f,"a b",slop=2)^3)");
  CHECK(P("(a b)^1.5") == R"(bool(should=[match(f,"a"),match(f,"b")])^1.5)");
  CHECK(P("title:(a b)^2") == R"(bool(should=[match(title,"a"),match(title,"b")])^2)");
  CHECK(P("-(a b)") == R"(bool(must_not=[bool(should=[match(f,"a"),match(f,"b")])]))");
  CHECK(P("pre*^2") == R"(prefix(f,"pre")^2)");
}

TEST_CASE("query string: inclusive, exclusive and mixed ranges; comparisons") {
  CHECK(P("population:[1000 TO *]") == "range(population,gte=1000)");
  CHECK(P("year:{1990 TO 2000}") == "range(year,gt=1990,lt=2000)");
  CHECK(P("year:[1990 TO 2000}") == "range(year,gte=1990,lt=2000)");
  CHECK(P("year:{1990 TO 2000]") == "range(year,gt=1990,lte=2000)");
  CHECK(P("price:[* TO 9.5]") == "range(price,lte=9.5)");
  CHECK(P("date:[2020-01-01 TO 2020-12-31]") == R"(range(date,gte="2020-01-01",lte="2020-12-31"))");
  CHECK(P("time:[\"10:00\" TO \"12:00\"]") == R"(range(time,gte="10:00",lte="12:00"))");
  CHECK(P("name:[a TO m]^2") == R"(range(name,gte="a",lte="m")^2)");
  CHECK(P("price:>=10") == "range(price,gte=10)");
  CHECK(P("price:>10") == "range(price,gt=10)");
  CHECK(P("price:<5") == "range(price,lt=5)");
  CHECK(P("price:<=5.5") == "range(price,lte=5.5)");
  CHECK(P("date:>=2020-01-01") == R"(range(date,gte="2020-01-01"))");
  CHECK(P(">=10") == "range(f,gte=10)");
  CHECK(P("[1 TO 2]") == "range(f,gte=1,lte=2)");
}

TEST_CASE("query string: backslash escapes and quoted field values") {
  CHECK(P(R"(a\:b)") == R"(match(f,"a:b"))");
  CHECK(P(R"(c\+\+)") == R"(match(f,"c++"))");
  CHECK(P(R"(\(x\))") == R"x(match(f,"(x)"))x");
  CHECK(P(R"(a\*)") == R"(match(f,"a*"))");               // escaped star is literal: no prefix
  CHECK(P(R"(a\*b*)") == R"(prefix(f,"a*b"))");
  CHECK(P(R"(a\?b*c)") == R"(wildcard(f,"a\\?b*c"))");
  CHECK(P(R"(first\ name:x)") == R"(match("first name","x"))");
  CHECK(P(R"(\AND)") == R"(match(f,"AND"))");
  CHECK(P(R"(\-a)") == R"(match(f,"-a"))");
  CHECK(P(R"(city:"São Paulo")") == R"(match_phrase(city,"São Paulo"))");
}

TEST_CASE("query string: several default fields with boosts expand per field") {
  auto o = fields({{"title", 2}, {"body", 1}});
  auto s = [&](std::string_view t) { auto r = parse_query_string(t, o); return r ? to_string(*r) : r.status().message(); };
  CHECK(s("paris") == R"(multi_match([title^2,body],"paris"))");
  CHECK(s("paris~1") == R"(multi_match([title^2,body],"paris",fuzziness=1))");
  CHECK(s("\"a b\"") == R"(bool(should=[match_phrase(title,"a b")^2,match_phrase(body,"a b")]))");
  CHECK(s("pa*") == R"(bool(should=[prefix(title,"pa")^2,prefix(body,"pa")]))");
  CHECK(s("city:paris") == R"(match(city,"paris"))");
  auto one = parse_query_string("x", fields({{"title", 3}}));
  CHECK(to_string(*one) == R"(match(title,"x")^3)");
}

TEST_CASE("query string: unicode terms and phrases; columns count code points") {
  CHECK(P("東京 café") == R"(bool(should=[match(f,"東京"),match(f,"café")]))");
  CHECK(P("title:\"Ελλάδα\"~1") == R"(match_phrase(title,"Ελλάδα",slop=1))");
  CHECK(P("naïve*") == R"(prefix(f,"naïve"))");
  CHECK(P("(東京") == "ERROR: expected ')' at column 4");
  CHECK(P("é AND") == "ERROR: expected a term after 'AND' at column 6");
}

TEST_CASE("query string: syntax errors say what was expected and at which column") {
  CHECK(P("(a b") == "ERROR: expected ')' at column 5");
  CHECK(P("a)") == "ERROR: expected end of query at column 2");
  CHECK(P("()") == "ERROR: expected a term at column 2");
  CHECK(P("\"abc") == "ERROR: expected closing '\"' at column 5");
  CHECK(P("title:") == "ERROR: expected a value after 'title:' at column 7");
  CHECK(P("title: ") == "ERROR: expected a value after 'title:' at column 8");
  CHECK(P("title:)") == "ERROR: expected a value after 'title:' at column 7");
  CHECK(P("AND") == "ERROR: expected a term at column 1");
  CHECK(P("OR b") == "ERROR: expected a term at column 1");
  CHECK(P("a AND") == "ERROR: expected a term after 'AND' at column 6");
  CHECK(P("a OR ") == "ERROR: expected a term after 'OR' at column 6");
  CHECK(P("a AND OR b") == "ERROR: expected a term at column 7");
  CHECK(P("NOT") == "ERROR: expected a term after 'NOT' at column 4");
  CHECK(P("a ||") == "ERROR: expected a term after '||' at column 5");
  CHECK(P("!") == "ERROR: expected a term after '!' at column 2");
  CHECK(P("+ a") == "ERROR: expected a term after '+' at column 2");
  CHECK(P("a -") == "ERROR: expected a term after '-' at column 4");
  CHECK(P("x:[1 TO") == "ERROR: expected a range bound at column 8");
  CHECK(P("x:[1 2]") == "ERROR: expected 'TO' at column 6");
  CHECK(P("x:[1 TO 2") == "ERROR: expected ']' or '}' at column 10");
  CHECK(P("x:[ TO 2]") == "ERROR: expected 'TO' at column 8");
  CHECK(P("x:[]") == "ERROR: expected a range bound at column 4");
  CHECK(P("x:>") == "ERROR: expected a value after '>' at column 4");
  CHECK(P("x:>=*") == "ERROR: expected a value after '>=' at column 5");
  CHECK(P("a^") == "ERROR: expected a number after '^' at column 3");
  CHECK(P("a^x") == "ERROR: expected a number after '^' at column 3");
  CHECK(P("a~3") == "ERROR: expected fuzziness 0, 1 or 2 at column 3");
  CHECK(P("a*~1") == "ERROR: expected a plain term before '~' at column 3");
  CHECK(P("\"a b\"~x") == "ERROR: expected a slop number after '~' at column 7");
  CHECK(P("/abc") == "ERROR: expected closing '/' at column 5");
  CHECK(P("a\\") == "ERROR: expected a character after '\\' at column 3");
  CHECK(P("a ]") == "ERROR: expected a term at column 3");
  CHECK(P("^2") == "ERROR: expected a term at column 1");
  CHECK(P(":a") == "ERROR: expected a term at column 1");
}

TEST_CASE("query string: NOT alone is a missing operand error") {
  // "NOT" at the end is the NOT operator with nothing after it.
  auto r = parse_query_string("a NOT");
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == "expected a term after 'NOT' at column 6");
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("query string: nesting deeper than max_depth is an error, not a stack overflow") {
  std::string deep(5000, '(');
  deep += "a";
  deep += std::string(5000, ')');
  auto r = parse_query_string(deep);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().message() == "expected at most 32 nested groups at column 33");
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  CHECK_FALSE(parse_query_string(nots + "a").is_ok());
  std::string ok(10, '(');
  ok += "a" + std::string(10, ')');
  CHECK(parse_query_string(ok).is_ok());
}

TEST_CASE("query string: canonical form is stable: reparsing equivalent spellings gives equal trees") {
  auto a = parse_query_string("a && b || !c", fields({{"f", 1}}));
  auto b = parse_query_string("(a AND b) OR (NOT c)", fields({{"f", 1}}));
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  CHECK(*a == *b);
  CHECK(to_string(*a) == to_string(*b));
}

TEST_CASE("query string: random input never crashes and errors always name a column") {
  std::mt19937 rng(42);
  const std::string alphabet = "ab \"():[]{}^~*?\\/+-!&|<>=TOANDORNOT1.é";
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    int len = static_cast<int>(rng() % 20);
    for (int j = 0; j < len; ++j) s += alphabet[rng() % alphabet.size()];
    auto r = parse_query_string(s);
    if (!r.is_ok()) {
      CHECK(r.status().message().rfind("expected ", 0) == 0);
      CHECK(r.status().message().find(" at column ") != std::string::npos);
    }
  }
}

TEST_CASE("simple mode: words get AUTO fuzziness and the last word is a prefix") {
  CHECK(to_string(parse_simple("new yor", {{"name", 1}})) ==
        R"(match(name,"new yor",op=and,fuzziness=AUTO:5,9,prefix_last))");
  CHECK(to_string(parse_simple("paris", {{"name", 2}, {"alt", 1}})) ==
        R"(multi_match([name^2,alt],"paris",op=and,fuzziness=AUTO:5,9,prefix_last))");
  CHECK(to_string(parse_simple("x", {}, Operator::kOr)) == R"(match(*,"x",fuzziness=AUTO:5,9,prefix_last))");
  CHECK(to_string(parse_simple("", {{"n", 1}})) == "match_all");
  CHECK(to_string(parse_simple("  (( ** ", {{"n", 1}})) == "match_all");
}

TEST_CASE("simple mode: syntax characters degrade to word separators") {
  CHECK(simple_clean("title:\"new york\" AND (paris)") == "title new york AND paris");
  CHECK(simple_clean("e-mail -spam --x a- -b") == "e-mail spam x a b");
  CHECK(simple_clean("c++ rock^2 ~fuzzy* [1 TO 2]") == "c rock 2 fuzzy 1 TO 2");
  CHECK(simple_clean("don't stop.now") == "don't stop.now");
  CHECK(simple_clean("São\tPaulo\n東京") == "São Paulo 東京");
  CHECK(simple_clean(std::string("a\xff" "b\x01" "c", 6)) == "a b c");
  CHECK(simple_clean("\xe6\x9d") == "");  // truncated UTF-8
}

TEST_CASE("simple mode: a word of ASCII letters and digits comes back as it is (the shortcut), its neighbours do not") {
  for (const char* w : {"zq", "Paris", "a1b2", "X", "0"}) CHECK(simple_clean(w) == w);
  CHECK(simple_clean("") == "");
  CHECK(simple_clean("zq-") == "zq");
  CHECK(simple_clean("-zq") == "zq");
  CHECK(simple_clean("zq ") == "zq");
  CHECK(simple_clean("z+q") == "z q");
  CHECK(simple_clean("zq\x7f") == "zq");
}

TEST_CASE("simple mode: never fails and always yields valid UTF-8 words on random garbage") {
  std::mt19937 rng(7);
  for (int i = 0; i < 4000; ++i) {
    std::string s;
    int len = static_cast<int>(rng() % 40);
    for (int j = 0; j < len; ++j) s += static_cast<char>(rng() % 256);
    std::string clean = simple_clean(s);
    Query q = parse_simple(s, {{"n", 1}});
    if (clean.empty()) {
      CHECK(q.kind() == Kind::kMatchAll);
    } else {
      REQUIRE(q.kind() == Kind::kMatch);
      CHECK(q.as<Match>()->text == clean);
      CHECK(clean.front() != ' ');
      CHECK(clean.back() != ' ');
      CHECK(clean.find("  ") == std::string::npos);
      // re-cleaning is a no-op: the output holds no syntax characters
      CHECK(simple_clean(clean) == clean);
      std::string json;
      append_json_string(&json, clean);
      CHECK(json.find("\xEF\xBF\xBD") == std::string::npos);  // nothing needed replacing
    }
  }
}

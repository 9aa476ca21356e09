// Fuzz target: the query-string parser (query/query_string_parser.h) in its
// strict and forgiving (`simple`) modes, with one and with several default
// fields. Input: the query text. Contract: a Query or InvalidArgument naming
// the column, never a crash; parse_simple never fails; to_string() of any
// parsed query works.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "meridian/query/query_string_parser.h"

using namespace meridian;
using namespace meridian::query;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using C = Status::Code;

  QueryStringOptions one;
  auto q = parse_query_string(text, one);
  if (fuzz::check_result(q, {C::kInvalidArgument}, "column")) (void)to_string(*q);

  QueryStringOptions many;
  many.default_fields = {{"title", 2}, {"body", 1}};
  many.default_operator = Operator::kAnd;
  many.max_depth = 8;
  auto q2 = parse_query_string(text, many);
  if (fuzz::check_result(q2, {C::kInvalidArgument}, "column")) (void)to_string(*q2);

  (void)to_string(parse_simple(text, {{"name", 1}}));
  (void)to_string(parse_simple(text, many.default_fields, Operator::kOr));
  (void)simple_clean(text);
  return 0;
}

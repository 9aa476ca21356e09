// Fuzz target: the JSON query DSL (query/dsl_parser.h). Input: JSON text.
// Contract: parse_json gives a Json or InvalidArgument; parse_dsl gives a
// Query or InvalidArgument naming the JSON path ("query..."); never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "meridian/query/dsl_parser.h"

using namespace meridian;
using namespace meridian::query;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using C = Status::Code;
  auto json = parse_json(text);
  if (!fuzz::check_result(json, {C::kInvalidArgument})) return 0;
  auto q = parse_dsl(*json);
  if (fuzz::check_result(q, {C::kInvalidArgument}, "query")) (void)to_string(*q);
  // The same value one level down, as a bool clause would see it.
  if (json->is_object() && json->size() == 1) {
    auto inner = parse_dsl(json->as_object()[0].second, "query.x");
    if (fuzz::check_result(inner, {C::kInvalidArgument}, "query.x")) (void)to_string(*inner);
  }
  return 0;
}

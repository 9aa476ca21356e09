// Fuzz target: schema JSON (index/schema.h), as given to index creation and
// read back from a manifest. Input: JSON text. Contract: a Schema or
// InvalidArgument; a parsed schema's to_json() parses back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "fuzz_util.h"
#include "meridian/index/schema.h"

using namespace meridian;
using namespace meridian::index;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using C = Status::Code;
  auto json = parse_json(text);
  if (!fuzz::check_result(json, {C::kInvalidArgument})) return 0;
  auto s = Schema::from_json(*json);
  if (!fuzz::check_result(s, {C::kInvalidArgument, C::kAlreadyExists})) return 0;
  Json out = s->to_json();
  auto back = Schema::from_json(out);
  if (!back.is_ok() || back->to_json() != out) {
    std::fprintf(stderr, "schema: to_json() does not read back: %s\n%s\n", back.status().message().c_str(),
                 out.dump().c_str());
    std::abort();
  }
  for (const auto& [name, def] : s->fields()) {
    (void)validate_field_name(name);
    (void)Schema::infer_type(def.to_json());
  }
  if (json->is_object())
    for (const auto& [k, v] : json->as_object()) (void)Schema::infer_type(v);
  return 0;
}

// Fuzz target: the search request (query/search_request.h), from a JSON
// body and from GET parameters. Input: JSON text; when it is not JSON, it is
// read as a URL query string "k=v&k=v" (no percent-decoding: the server
// decodes before parsing). Contract: a SearchRequest or InvalidArgument,
// never a crash.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "meridian/query/search_request.h"

using namespace meridian;
using namespace meridian::query;

namespace {

std::map<std::string, std::string> split_params(std::string_view text) {
  std::map<std::string, std::string> params;
  while (!text.empty()) {
    size_t amp = text.find('&');
    std::string_view kv = text.substr(0, amp);
    size_t eq = kv.find('=');
    params[std::string(kv.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  using C = Status::Code;
  SearchRequestOptions opt;
  opt.default_q_fields = {{"name", 2}, {"alt", 1}};
  auto json = parse_json(text);
  if (fuzz::check_result(json, {C::kInvalidArgument})) {
    auto r = parse_search_request(*json, opt);
    if (fuzz::check_result(r, {C::kInvalidArgument})) {
      (void)to_string(r->query);
      for (const auto& f : r->filters) (void)to_string(f);
    }
    return 0;
  }
  auto r = parse_search_params(split_params(text), opt);
  if (fuzz::check_result(r, {C::kInvalidArgument})) {
    (void)to_string(r->query);
    for (const auto& f : r->filters) (void)to_string(f);
  }
  return 0;
}

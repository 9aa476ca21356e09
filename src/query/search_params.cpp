// GET parameters into a SearchRequest (search_request.h): each parameter
// becomes the request-body key it stands for, then parse_search_request
// reads the body, so both forms share every check and error message.
#include <algorithm>
#include <charconv>

#include "meridian/query/dsl_parser.h"
#include "meridian/query/field_check.h"
#include "meridian/query/search_request.h"
#include "plain_params.h"

namespace meridian::query {

using namespace dsl;  // NOLINT

namespace {

using Params = std::span<const ParamView>;

// The value of parameter `k`, or nullptr (params are few: a linear scan).
const std::string_view* find_param(Params params, std::string_view k) {
  for (const auto& p : params)
    if (p.first == k) return &p.second;
  return nullptr;
}

Result<Json> param_size(std::string_view name, std::string_view v, uint64_t max) {
  if (auto n = param_whole_number(v, max)) return Json(*n);
  return error(std::string(name), "expected an integer in [0, " + std::to_string(max) + "], got '" + std::string(v) + "'");
}

const std::vector<std::string> kParams = {
    "q", "q_fields", "filter", "near", "radius", "geo_field", "bbox", "sort", "size", "from", "fields", "facets",
    "highlight", "explain", "source", "track_total_hits", "decay", "scale", "offset", "decay_value",
    "matching_strategy"};

Result<Json> param_bool(std::string_view name, std::string_view v) {
  if (auto b = param_boolean(v)) return Json(*b);
  return error(std::string(name), "expected true or false, got '" + std::string(v) + "'");
}

// "price:desc,_score,name,_geo_distance:asc" → sort array.
Result<Json> param_sort(std::string_view v, Params params, const SearchRequestOptions& opt) {
  Json arr = Json::array();
  for (const std::string& item : split_commas(v)) {
    size_t colon = item.rfind(':');
    std::string field = colon == std::string::npos ? item : item.substr(0, colon);
    std::string order = colon == std::string::npos ? "" : item.substr(colon + 1);
    if (field == "_geo_distance") {
      const std::string_view* near = find_param(params, "near");
      if (!near) return error("sort", "expected 'near' with _geo_distance");
      const std::string_view* gf = find_param(params, "geo_field");
      Json spec = Json::object();
      spec.set(gf ? std::string(*gf) : opt.default_geo_field, Json(*near));
      if (!order.empty()) spec.set("order", order);
      Json o = Json::object();
      o.set(field, std::move(spec));
      arr.push(std::move(o));
    } else if (order.empty()) {
      arr.push(Json(field));
    } else {
      Json o = Json::object();
      o.set(field, order);
      arr.push(std::move(o));
    }
  }
  return arr;
}

// decay=gauss&scale=10km[&offset=..][&decay_value=..] around near → a geo_decay object.
Result<std::optional<Json>> param_decay(Params params) {
  const std::string_view* fn = find_param(params, "decay");
  if (!fn) {
    for (const char* k : {"scale", "offset", "decay_value"})
      if (find_param(params, k)) return error(k, "expected 'decay' (gauss, exp or linear) with '" + std::string(k) + "'");
    return std::optional<Json>();
  }
  const std::string_view* near = find_param(params, "near");
  const std::string_view* scale = find_param(params, "scale");
  if (!near) return error("decay", "expected 'near' (the origin) with 'decay'");
  if (!scale) return error("decay", "expected 'scale' with 'decay'");
  Json g = Json::object();
  if (const std::string_view* f = find_param(params, "geo_field")) g.set("field", Json(*f));
  g.set("origin", Json(*near));
  g.set("function", Json(*fn));
  g.set("scale", Json(*scale));
  if (const std::string_view* o = find_param(params, "offset")) g.set("offset", Json(*o));
  if (const std::string_view* d = find_param(params, "decay_value")) {
    double x = 0;
    auto res = std::from_chars(d->data(), d->data() + d->size(), x);
    if (d->empty() || res.ec != std::errc() || res.ptr != d->data() + d->size())
      return error("decay_value", "expected a number, got '" + std::string(*d) + "'");
    g.set("decay", x);
  }
  return std::optional<Json>(std::move(g));
}

}  // namespace

Result<SearchRequest> parse_search_params(std::span<const ParamView> params, const SearchRequestOptions& opt) {
  {
    SearchRequest r;
    if (parse_plain_params(params, opt, &r)) return r;
  }
  MERIDIAN_ASSIGN_OR_RETURN(std::optional<Json> decay, param_decay(params));
  // The body's keys are the parameters' (unique, in their order) after
  // geo_decay: appended, not looked up first.
  Json body = Json::object();
  Json::Object& obj = body.as_object();
  obj.reserve(params.size() + 1);
  if (decay) obj.emplace_back("geo_decay", std::move(*decay));
  const bool has_radius = find_param(params, "radius") != nullptr;
  for (const auto& [k, v] : params) {
    if (k == "decay" || k == "scale" || k == "offset" || k == "decay_value") continue;  // param_decay
    if (k == "near" && decay && !has_radius) continue;  // only the decay's origin
    if (k == "q" || k == "q_fields" || k == "matching_strategy" || k == "filter" || k == "near" || k == "radius" ||
        k == "geo_field" || k == "bbox" || k == "fields") {
      obj.emplace_back(std::string(k), Json(v));
    } else if (k == "size" || k == "from" || k == "track_total_hits") {
      if (k == "track_total_hits" && (v == "true" || v == "false")) {
        obj.emplace_back(std::string(k), Json(v == "true"));
        continue;
      }
      MERIDIAN_ASSIGN_OR_RETURN(Json n, param_size(k, v, k == "track_total_hits" ? INT64_MAX : opt.max_window));
      obj.emplace_back(std::string(k), std::move(n));
    } else if (k == "explain" || k == "source") {
      MERIDIAN_ASSIGN_OR_RETURN(Json b, param_bool(k, v));
      obj.emplace_back(std::string(k), std::move(b));
    } else if (k == "sort") {
      MERIDIAN_ASSIGN_OR_RETURN(Json s, param_sort(v, params, opt));
      obj.emplace_back(std::string(k), std::move(s));
    } else if (k == "facets") {
      Json facets = Json::object();
      for (const std::string& f : split_commas(v)) {
        Json terms = Json::object();
        terms.set("field", f);
        Json spec = Json::object();
        spec.set("terms", std::move(terms));
        facets.set(f, std::move(spec));
      }
      obj.emplace_back(std::string(k), std::move(facets));
    } else if (k == "highlight") {
      Json h = Json::object();
      h.set("fields", Json(v));
      obj.emplace_back(std::string(k), std::move(h));
    } else {
      const std::string name(k);
      return error(name, "unknown parameter '" + name + "'" + did_you_mean(name, kParams, search_key_aliases()));
    }
  }
  return parse_search_request(body, opt);
}

Result<SearchRequest> parse_search_params(const std::map<std::string, std::string>& params,
                                          const SearchRequestOptions& opt) {
  std::vector<ParamView> views(params.begin(), params.end());
  return parse_search_params(std::span<const ParamView>(views), opt);
}

}  // namespace meridian::query

#include "meridian/server/compat_error.h"

#include "meridian/server/http_error.h"

namespace meridian::server::compat {

Json error_object(const OsError& e) {
  Json cause = Json::object();
  cause.set("type", Json(e.type));
  cause.set("reason", Json(e.reason));
  if (!e.index.empty()) cause.set("index", Json(e.index));
  Json root = Json::array();
  root.push(cause);
  Json out = Json::object();
  out.set("root_cause", std::move(root));
  out.set("type", Json(e.type));
  out.set("reason", Json(e.reason));
  if (!e.index.empty()) out.set("index", Json(e.index));
  return out;
}

std::string error_body(const OsError& e) {
  Json out = Json::object();
  out.set("error", error_object(e));
  out.set("status", Json(static_cast<int64_t>(e.status)));
  return out.dump();
}

OsError from_status(const Status& st, std::string_view invalid_type) {
  OsError e;
  e.status = http_status(st.code());
  e.reason = st.message();
  switch (st.code()) {
    case Status::Code::kInvalidArgument: e.type = std::string(invalid_type); break;
    case Status::Code::kNotFound: e.type = "resource_not_found_exception"; break;
    case Status::Code::kAlreadyExists: e.type = "resource_already_exists_exception"; e.status = 400; break;
    case Status::Code::kTooLarge: e.type = "content_too_long_exception"; break;
    case Status::Code::kIOError:
    case Status::Code::kBusy: e.type = "unavailable_shards_exception"; break;
    case Status::Code::kUnsupported: e.type = "illegal_argument_exception"; e.status = 400; break;
    default: e.type = "exception"; break;
  }
  return e;
}

OsError index_not_found(std::string_view index) {
  OsError e;
  e.status = 404;
  e.type = "index_not_found_exception";
  e.reason = "no such index [" + std::string(index) + "]";
  e.index = std::string(index);
  return e;
}

OsError from_native_error(int status, std::string_view body, std::string_view invalid_type) {
  OsError e;
  e.status = status;
  switch (status) {
    case 400: e.type = std::string(invalid_type); break;
    case 404: e.type = "resource_not_found_exception"; break;
    case 409: e.type = "resource_already_exists_exception"; break;
    case 503: e.type = "unavailable_shards_exception"; break;
    default: e.type = "exception"; break;
  }
  auto j = parse_json(body);
  const Json* err = j && j->is_object() ? j->find("error") : nullptr;
  const Json* reason = err && err->is_object() ? err->find("reason") : nullptr;
  e.reason = reason && reason->is_string() ? reason->as_string() : "HTTP " + std::to_string(status) + " without a reason";
  if (const Json* ix = err && err->is_object() ? err->find("index") : nullptr; ix && ix->is_string()) e.index = ix->as_string();
  return e;
}

}  // namespace meridian::server::compat

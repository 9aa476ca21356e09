#include "meridian/base/status.h"

#include <cstring>

namespace meridian {

Status Status::from_errno(std::string_view what, int err) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  if (err == ENOENT) return Status::not_found(std::move(msg));
  return Status::io_error(std::move(msg));
}

std::string_view Status::code_name(Code c) {
  switch (c) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "Invalid argument";
    case Code::kNotFound: return "Not found";
    case Code::kAlreadyExists: return "Already exists";
    case Code::kCorruption: return "Corruption";
    case Code::kIOError: return "IO error";
    case Code::kBusy: return "Busy";
    case Code::kTooLarge: return "Too large";
    case Code::kUnsupported: return "Unsupported";
    case Code::kInternal: return "Internal error";
  }
  return "Unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string s(code_name(code_));
  s += ": ";
  s += msg_;
  return s;
}

Status Status::with_context(std::string_view ctx) const {
  if (is_ok()) return *this;
  std::string msg(ctx);
  msg += ": ";
  msg += msg_;
  return Status(code_, std::move(msg));
}

}  // namespace meridian

// Status and Result<T>: how fallible work reports failure in Meridian.
//
// The rule, for every module: a function that can fail because of input, the
// file system or the environment returns a Status (no value) or a Result<T>
// (a value or a Status). Exceptions thrown by third-party libraries (ICU,
// simdjson, CRoaring, httplib) are caught in the adapter that calls them and
// turned into a Status. `assert` is only for programmer mistakes.
//
// Status is a small value type; copying it copies its message. Thread-safe as
// any value type (no shared state).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace meridian {

class [[nodiscard]] Status {
 public:
  // The kinds map one to one onto HTTP statuses in the server layer.
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // bad input from a caller: 400
    kNotFound,         // unknown index, document, file: 404
    kAlreadyExists,    // conflict: 409
    kCorruption,       // a file failed its checks: names the file and offset
    kIOError,          // the OS said no (disk full, permissions)
    kBusy,             // a lock is held by someone else
    kTooLarge,         // a size limit was exceeded: 413
    kUnsupported,      // a valid request we do not handle
    kInternal,         // a bug; should never be seen
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status invalid(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status not_found(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status exists(std::string msg) { return Status(Code::kAlreadyExists, std::move(msg)); }
  static Status corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status io_error(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status too_large(std::string msg) { return Status(Code::kTooLarge, std::move(msg)); }
  static Status unsupported(std::string msg) { return Status(Code::kUnsupported, std::move(msg)); }
  static Status internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  // errno-based I/O error: "<what>: <strerror(err)>".
  static Status from_errno(std::string_view what, int err);

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  // "Corruption: segment 3.seg at offset 812: bad crc".
  std::string to_string() const;
  static std::string_view code_name(Code c);

  // Prefix the message with context: st.with_context("opening wal").
  Status with_context(std::string_view ctx) const;

 private:
  Status(Code c, std::string msg) : code_(c), msg_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string msg_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status st) : v_(std::move(st)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { assert(is_ok()); return std::get<T>(v_); }
  const T& value() const& { assert(is_ok()); return std::get<T>(v_); }
  T&& value() && { assert(is_ok()); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace meridian

// Propagate a failed Status from an expression returning Status.
#define MERIDIAN_RETURN_IF_ERROR(expr)            \
  do {                                            \
    ::meridian::Status _st = (expr);              \
    if (!_st.is_ok()) return _st;                 \
  } while (0)

#define MERIDIAN_CONCAT_INNER(a, b) a##b
#define MERIDIAN_CONCAT(a, b) MERIDIAN_CONCAT_INNER(a, b)
// auto x = ...; from a Result<T>, or return its Status.
#define MERIDIAN_ASSIGN_OR_RETURN(lhs, expr)                          \
  auto MERIDIAN_CONCAT(_res_, __LINE__) = (expr);                     \
  if (!MERIDIAN_CONCAT(_res_, __LINE__).is_ok())                      \
    return MERIDIAN_CONCAT(_res_, __LINE__).status();                 \
  lhs = std::move(MERIDIAN_CONCAT(_res_, __LINE__)).value()

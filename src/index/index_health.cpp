// Index: background errors. A failed commit, merge, refresh or WAL write
// makes the index refuse writes until a commit succeeds again (LevelDB's
// bg_error_, with PostgreSQL's rule that a failed fsync of a data file is
// never retried in place). One JSON line on stderr per transition.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "meridian/base/json.h"
#include "meridian/index/index.h"

namespace meridian::index {
namespace {

void log_transition(std::string_view level, std::string_view event, const std::string& index,
                    std::string_view during, const Status& st) {
  using namespace std::chrono;
  const int64_t ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[40];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  Json j = Json::object();
  j.set("ts", Json(std::string(ts)));
  j.set("level", Json(std::string(level)));
  j.set("event", Json(std::string(event)));
  j.set("index", Json(index));
  if (!during.empty()) j.set("during", Json(std::string(during)));
  if (!st.is_ok()) j.set("reason", Json(st.message()));
  std::string line = j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

Status Index::writable_locked() const {
  if (closed_) return Status::invalid("index '" + name_ + "' is closed");
  return bg_error_;
}

Status Index::health() const {
  std::lock_guard<std::mutex> hl(health_mu_);
  return health_;
}

void Index::set_bg_error_locked(const Status& st, std::string_view during, bool retryable) {
  if (!bg_error_.is_ok()) {  // already degraded: the first cause stands
    bg_retryable_ = bg_retryable_ && retryable;
    return;
  }
  // Whatever the failure, the index reports it as an I/O error: what it
  // refuses is the write, not the request.
  bg_error_ = st.code() == Status::Code::kIOError ? st : Status::io_error(st.message());
  ++bg_error_count_;
  bg_retryable_ = retryable;
  bg_backoff_ms_ = opt_.retry_min_ms;
  bg_retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(bg_backoff_ms_);
  {
    std::lock_guard<std::mutex> hl(health_mu_);
    health_ = bg_error_;
  }
  log_transition("error", "index_degraded", name_, during, bg_error_);
}

void Index::clear_bg_error_locked() {
  if (bg_error_.is_ok()) return;
  bg_error_ = Status::ok();
  bg_retryable_ = true;
  {
    std::lock_guard<std::mutex> hl(health_mu_);
    health_ = Status::ok();
  }
  log_transition("info", "index_recovered", name_, {}, Status::ok());
}

void Index::retry_bg_error() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || bg_error_.is_ok() || !bg_retryable_) return;
    if (std::chrono::steady_clock::now() < bg_retry_at_) return;
  }
  if (commit_now().is_ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  bg_backoff_ms_ = std::min<uint32_t>(std::max<uint32_t>(bg_backoff_ms_ * 2, 1), opt_.retry_max_ms);
  bg_retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(bg_backoff_ms_);
}

}  // namespace meridian::index

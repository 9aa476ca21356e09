#include "sse_stream.h"

#include <chrono>
#include <memory>

#include "meridian/base/json.h"

namespace meridian::server {

void serve_sse(httplib::Response& res, std::function<std::string()> preamble, int heartbeat_ms,
               const std::atomic<bool>& stopping, std::function<SsePoll(std::string* out)> poll,
               std::function<void()> on_end) {
  auto first = std::make_shared<bool>(true);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [first, preamble = std::move(preamble), heartbeat_ms, &stopping, poll = std::move(poll)](
          size_t, httplib::DataSink& sink) {
        std::string out;
        if (*first) {
          *first = false;
          out = preamble();
          return sink.write(out.data(), out.size());
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(heartbeat_ms);
        while (out.empty()) {
          if (stopping || !sink.is_writable()) {
            sink.done();
            return true;
          }
          switch (poll(&out)) {
            case SsePoll::kEnd:
              if (!out.empty()) sink.write(out.data(), out.size());
              sink.done();
              return true;
            case SsePoll::kIdle:
              if (std::chrono::steady_clock::now() >= deadline) out = ": heartbeat\n\n";
              break;
            case SsePoll::kData:
              break;
          }
        }
        return sink.write(out.data(), out.size());
      },
      [on_end = std::move(on_end)](bool) {
        if (on_end) on_end();
      });
}

std::string sse_dropped_event() {
  return "event: dropped\ndata: {\"reason\":\"client too slow; reconnect with Last-Event-ID\"}\n\n";
}

std::string sse_closed_event(std::string_view index) {
  std::string out = "event: closed\ndata: {\"reason\":";
  append_json_string(&out, "index '" + std::string(index) + "' was dropped");
  out += "}\n\n";
  return out;
}

}  // namespace meridian::server

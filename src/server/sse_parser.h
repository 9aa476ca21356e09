// SseParser: reads a Server-Sent Events stream (text/event-stream) as it
// arrives in arbitrary pieces, and hands each complete event to a callback.
// The cluster's watch router reads a replica node's internal shard stream
// with it (cluster_watch.h). Only what Meridian's streams use is kept:
// `id`, `event` and `data` fields (several data lines joined by "\n"),
// comment lines (": heartbeat") ignored, "\n" or "\r\n" line ends.
//
// Thread safety: one parser per stream, used by one thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace meridian::server {

struct SseEvent {
  std::string id;
  std::string event;  // "message" when the stream named none
  std::string data;
};

class SseParser {
 public:
  // Bytes of a line longer than this end the stream as malformed (feed() false).
  static constexpr size_t kMaxLine = 64u << 20;
  // Feeds the next bytes; calls `on_event` for each event they complete and
  // stops early (returning false) when it returns false or a line is too long.
  bool feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event);

 private:
  bool line(std::string_view l, const std::function<bool(const SseEvent&)>& on_event);
  std::string partial_;  // the current incomplete line
  SseEvent cur_;
  bool has_data_ = false;
  bool has_fields_ = false;
};

}  // namespace meridian::server

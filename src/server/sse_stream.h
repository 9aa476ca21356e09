// serve_sse: the text/event-stream response of the watch routes (an index on
// one node, a shard's internal stream, a clustered index's merged stream).
// One loop for all of them: the preamble first, then whatever the source
// has, a heartbeat comment after heartbeat_ms without an event, and the
// source's last event (dropped, closed) before the stream ends. The routes
// differ only in where events come from (the `poll` function).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include <httplib.h>

namespace meridian::server {

enum class SsePoll {
  kData,  // events appended to *out
  kIdle,  // nothing within the source's wait (about 200 ms)
  kEnd,   // the stream ends, after *out (a last event, or empty)
};

// `preamble` runs once, for the first bytes; `poll` appends events to its
// argument. The stream also ends when `stopping` turns true or the client
// goes away; `on_end` runs once when the response is done, either way.
void serve_sse(httplib::Response& res, std::function<std::string()> preamble, int heartbeat_ms,
               const std::atomic<bool>& stopping, std::function<SsePoll(std::string* out)> poll,
               std::function<void()> on_end);

// The last events of a stream: the client fell too far behind; the index is gone.
std::string sse_dropped_event();
std::string sse_closed_event(std::string_view index);

}  // namespace meridian::server

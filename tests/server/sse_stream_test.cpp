// serve_sse (src/server/sse_stream.h): the watch routes' event-stream loop, driven
// through the response's chunked provider with a fake sink, as httplib writes it.
#include "../../src/server/sse_stream.h"

#include <doctest/doctest.h>

#include <deque>
#include <string>
#include <vector>

using namespace meridian::server;

namespace {

// Drives a response's chunked provider as httplib's writer does.
struct FakeSink {
  httplib::DataSink sink;
  std::vector<std::string> writes;
  bool done = false, writable = true;
  FakeSink() {
    sink.write = [this](const char* d, size_t n) {
      writes.emplace_back(d, n);
      return true;
    };
    sink.done = [this] { done = true; };
    sink.is_writable = [this] { return writable; };
  }
};

}  // namespace

TEST_CASE("serve_sse: preamble, events, heartbeat on silence, the last event, then on_end once") {
  std::deque<SsePoll> script = {SsePoll::kData, SsePoll::kIdle, SsePoll::kEnd};
  int polls = 0, ended = 0;
  std::atomic<bool> stopping{false};
  {
    httplib::Response res;
    serve_sse(
        res, [] { return std::string("retry: 1000\n\n"); }, /*heartbeat_ms=*/0, stopping,
        [&](std::string* out) {
          ++polls;
          const SsePoll p = script.front();
          script.pop_front();
          if (p == SsePoll::kData) *out += "event: match\ndata: {}\n\n";
          if (p == SsePoll::kEnd) *out = sse_dropped_event();
          return p;
        },
        [&] { ++ended; });
    CHECK(res.get_header_value("Content-Type") == "text/event-stream");
    CHECK(res.get_header_value("Cache-Control") == "no-cache");
    FakeSink f;
    REQUIRE(res.content_provider_(0, 0, f.sink));
    CHECK(f.writes == std::vector<std::string>{"retry: 1000\n\n"});
    CHECK(polls == 0);  // the preamble goes out before the source is asked
    REQUIRE(res.content_provider_(0, 0, f.sink));
    CHECK(f.writes.back() == "event: match\ndata: {}\n\n");
    REQUIRE(res.content_provider_(0, 0, f.sink));  // idle past the (0 ms) heartbeat: a comment
    CHECK(f.writes.back() == ": heartbeat\n\n");
    CHECK_FALSE(f.done);
    REQUIRE(res.content_provider_(0, 0, f.sink));  // the end: the last event, then done
    CHECK(f.writes.back() == "event: dropped\ndata: {\"reason\":\"client too slow; reconnect with Last-Event-ID\"}\n\n");
    CHECK(f.done);
    CHECK(polls == 3);
    CHECK(ended == 0);
  }
  CHECK(ended == 1);  // when the response goes
}

TEST_CASE("serve_sse: silence shorter than the heartbeat writes nothing; the source is asked again") {
  std::deque<SsePoll> script = {SsePoll::kIdle, SsePoll::kIdle, SsePoll::kData};
  std::atomic<bool> stopping{false};
  httplib::Response res;
  serve_sse(
      res, [] { return std::string(": hi\n\n"); }, /*heartbeat_ms=*/60000, stopping,
      [&](std::string* out) {
        const SsePoll p = script.front();
        script.pop_front();
        if (p == SsePoll::kData) *out += "event: match\ndata: {}\n\n";
        return p;
      },
      nullptr);
  FakeSink f;
  REQUIRE(res.content_provider_(0, 0, f.sink));
  REQUIRE(res.content_provider_(0, 0, f.sink));
  CHECK(script.empty());
  CHECK(f.writes == std::vector<std::string>{": hi\n\n", "event: match\ndata: {}\n\n"});
}

TEST_CASE("serve_sse: a stopping server or a gone client ends the stream without asking the source") {
  for (int gone_client = 0; gone_client < 2; ++gone_client) {
    std::atomic<bool> stopping{gone_client == 0};
    int polls = 0;
    httplib::Response res;
    serve_sse(
        res, [] { return std::string(": hi\n\n"); }, 1000, stopping,
        [&](std::string*) {
          ++polls;
          return SsePoll::kIdle;
        },
        nullptr);
    FakeSink f;
    f.writable = gone_client == 0;
    REQUIRE(res.content_provider_(0, 0, f.sink));
    REQUIRE(res.content_provider_(0, 0, f.sink));
    CHECK(f.done);
    CHECK(polls == 0);
    CHECK(f.writes.size() == 1);
  }
}

TEST_CASE("serve_sse: an end without a last event writes nothing more; closed names the index") {
  std::atomic<bool> stopping{false};
  httplib::Response res;
  serve_sse(
      res, [] { return std::string(": hi\n\n"); }, 1000, stopping, [](std::string*) { return SsePoll::kEnd; },
      nullptr);
  FakeSink f;
  REQUIRE(res.content_provider_(0, 0, f.sink));
  REQUIRE(res.content_provider_(0, 0, f.sink));
  CHECK(f.done);
  CHECK(f.writes.size() == 1);
  CHECK(sse_closed_event("a\"b") == "event: closed\ndata: {\"reason\":\"index 'a\\\"b' was dropped\"}\n\n");
}

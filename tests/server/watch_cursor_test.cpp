// Event ids of clustered live queries (src/server/watch_cursor.h) and the
// SSE reader the watch router reads replica streams with (sse_parser.h).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../../src/server/sse_parser.h"
#include "../../src/server/watch_cursor.h"

using namespace meridian;
using namespace meridian::server;

TEST_CASE("watch_cursor: an id lists every shard's cursor and decodes to the same cursors") {
  std::vector<ShardCursor> c = {{"n1", 0x5f2a09c3, 42}, {}, {"node_2-b", 1, 0}, {"n1", 0xffffffffffffffffull, 7}};
  const std::string id = encode_watch_id(c);
  CHECK(id == "c2.n1.node_2-b~0.1VAWd3.g~~1.1.0~0.F__________.7");  // each node once
  auto d = decode_watch_id(id);
  REQUIRE(d.is_ok());
  CHECK(*d == c);
  auto one = decode_watch_id(encode_watch_id({ShardCursor{"a", 1, 9223372036854775807ull}}));
  REQUIRE(one.is_ok());
  CHECK((*one)[0].seq == 9223372036854775807ull);
  auto empty = decode_watch_id("c2~");  // one shard never streamed
  REQUIRE(empty.is_ok());
  REQUIRE(empty->size() == 1);
  CHECK_FALSE((*empty)[0].known());
  CHECK(encode_watch_id({ShardCursor{}}) == "c2~");
}

TEST_CASE("watch_cursor: the ids of the older c1 format are still read") {
  auto d = decode_watch_id("c1~n1.5f2a09c3.42~~node_2-b.1.0");
  REQUIRE(d.is_ok());
  CHECK(*d == std::vector<ShardCursor>{{"n1", 0x5f2a09c3, 42}, {}, {"node_2-b", 1, 0}});
  auto empty = decode_watch_id("c1~");
  REQUIRE(empty.is_ok());
  CHECK(empty->size() == 1);
}

TEST_CASE("watch_cursor: the id of 256 shards with 64-byte node ids fits an HTTP header line") {
  std::vector<std::string> nodes;
  for (int n = 0; n < 16; ++n) nodes.push_back(std::string(62, 'n') + std::to_string(10 + n));
  std::vector<ShardCursor> c;
  for (uint32_t s = 0; s < 256; ++s)  // the largest ring and seq there are
    c.push_back({nodes[s % nodes.size()], 0xffffffffffffffffull - s, 9223372036854775807ull - s});
  const std::string id = encode_watch_id(c);
  CHECK(id.size() < 8000);  // httplib refuses a header line (or URI) of 8192 bytes
  auto d = decode_watch_id(id);
  REQUIRE(d.is_ok());
  CHECK(*d == c);
}

TEST_CASE("watch_cursor: a single-node id or a damaged id is refused, naming Last-Event-ID") {
  for (const char* bad : {"42", "", "c1", "c2", "c3~", "c2~n1.1.1", "c1~n1.1", "c1~n1..1", "c1~n1.zz.1", "c1~n1.1.x",
                          "c1~n.1.1.1", "c1~n1.0.3", "c1~bad node.1.1", "c1~n1.1.-1",
                          // a seq above 2^63-1 (no JSON integer), in either format
                          "c1~n1.1.9223372036854775808", "c1~n1.1.18446744073709551615", "c2.n1~0.1.80000000000",
                          "c2.n1~0.1.F__________", "c2.n1~0.G__________.1", "c2.n1~0.1G__________.1",  // over 64 bits
                          "c2.n1~1.1.1", "c2.n1~0.0.1", "c2.n1~0.01.1", "c2.n1~0.1.1.1", "c2.n1~0.1.", "c2.n1.~0.1.1",
                          "c2..n1~0.1.1", "c2.n 1~0.1.1", "c2.n1~x.1.1", "c2.n1~0.1.+"}) {
    auto d = decode_watch_id(bad);
    CHECK_MESSAGE(!d.is_ok(), bad);
    if (!d.is_ok()) CHECK(d.status().message().find("Last-Event-ID") != std::string::npos);
  }
}

TEST_CASE("watch_cursor: events carry the cursors after them; a hello with a gap is a reset with an id") {
  WatchStreamIds ids(std::vector<ShardCursor>(2));
  ClusterWatchItem h0{ClusterWatchItem::Kind::kHello, 0, "n1", 0xa, 5};
  CHECK(ids.render(h0).empty());  // a fresh stream: nothing to say
  ClusterWatchItem h1{ClusterWatchItem::Kind::kHello, 1, "n2", 0xb, 9};
  CHECK(ids.render(h1).empty());
  ClusterWatchItem e;
  e.shard = 1;
  e.seq = 10;
  e.event = "match";
  e.data = R"({"id":"x","seq":10,"shard":1,"source":{}})";
  CHECK(ids.render(e) == "id: c2.n1.n2~0.A.5~1.B.A\nevent: match\ndata: {\"id\":\"x\",\"seq\":10,\"shard\":1,\"source\":{}}\n\n");
  e.shard = 0;
  e.seq = 6;
  e.event = "delete";
  e.data = R"({"id":"y","seq":6,"shard":0})";
  CHECK(ids.render(e).rfind("id: c2.n1.n2~0.A.6~1.B.A\nevent: delete\n", 0) == 0);
  // Shard 1 fails over to n3's replica: a reset naming the shard, with the new cursor in its id.
  ClusterWatchItem h2{ClusterWatchItem::Kind::kHello, 1, "n3", 0xc, 3, true, "moved"};
  CHECK(ids.render(h2) == "id: c2.n1.n3~0.A.6~1.C.3\nevent: reset\ndata: {\"reason\":\"moved\",\"shard\":1}\n\n");
  CHECK(ids.id() == "c2.n1.n3~0.A.6~1.C.3");
}

TEST_CASE("sse_parser: events split anywhere are read whole; comments and retry are skipped") {
  const std::string stream =
      "retry: 1000\n: watching b shard 0\n\nevent: replica\ndata: {\"node\":\"n1\"}\n\n: heartbeat\n\n"
      "id: 7\r\nevent: match\r\ndata: {\"id\":\"a\"}\r\n\r\nid: 8\nevent: delete\ndata: x\ndata: y\n\ndata: plain\n\n";
  for (size_t step : {1u, 2u, 7u, 1000u}) {
    SseParser p;
    std::vector<SseEvent> got;
    for (size_t i = 0; i < stream.size(); i += step)
      REQUIRE(p.feed(std::string_view(stream).substr(i, step), [&](const SseEvent& e) {
        got.push_back(e);
        return true;
      }));
    REQUIRE(got.size() == 4);
    CHECK(got[0].event == "replica");
    CHECK(got[0].data == "{\"node\":\"n1\"}");
    CHECK(got[1].id == "7");
    CHECK(got[1].event == "match");
    CHECK(got[1].data == "{\"id\":\"a\"}");
    CHECK(got[2].data == "x\ny");
    CHECK(got[3].event == "message");
    CHECK(got[3].data == "plain");
  }
}

TEST_CASE("sse_parser: a callback returning false stops the stream") {
  SseParser p;
  int n = 0;
  CHECK_FALSE(p.feed("data: 1\n\ndata: 2\n\n", [&](const SseEvent&) { return ++n < 1; }));
  CHECK(n == 1);
}

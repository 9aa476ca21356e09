// Event ids of a live query on a clustered index (docs/CLUSTER.md, "Live
// queries"): which replica stream serves each shard and how far the client
// got in it, and the rendering of the merged stream's events with those ids.
//
// A shard's position is a ShardCursor: the node whose replica streams the
// shard, the ring of that replica's watch hub (Watcher::ring, random per
// replica Index object) and the last local sequence the client was sent
// from it. An event id lists every shard's cursor, so a client that
// reconnects with Last-Event-ID resumes each shard exactly where that
// replica's ring still holds it:
//
//   c2.n1.n2~0.1Vq2Xz3.g~1.7Ux.A~
//
// "c2" and the node ids the cursors name, each once ("." before each);
// then one "~"-prefixed cursor per shard, in shard order,
// `node.ring.seq`: the node's place in that list (decimal), the ring and
// the seq in base 64 (digits 0-9A-Za-z-_, most significant first), empty
// for a shard that has not been streamed yet. Node ids hold only letters,
// digits, '_' and '-', so '.' and '~' never occur in them. Each node is
// written once and a cursor takes at most 27 bytes, so an id of 256 shards
// on a few nodes stays under the 8 KB an HTTP header line may have.
// The older "c1" format (`~node.ring(hex).seq(decimal)` per shard) is still
// read. A seq above 2^63-1 is refused (it is no position of any stream).
//
// Thread safety: WatchStreamIds is used by the one thread writing a stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "meridian/base/status.h"

namespace meridian::server {

struct ShardCursor {
  std::string node;   // empty: not streamed yet
  uint64_t ring = 0;
  uint64_t seq = 0;
  bool known() const { return !node.empty(); }
  bool operator==(const ShardCursor&) const = default;
};

std::string encode_watch_id(const std::vector<ShardCursor>& cursors);

// The SSE text of one event: "id: ID\nevent: EVENT\ndata: DATA\n\n".
std::string sse_event(std::string_view event, std::string_view id, std::string_view data);
// The whole of `s` as an unsigned number in `base` (digits only, at most 20).
bool parse_u64(std::string_view s, int base, uint64_t* out);
// `v` in hexadecimal, as ring tokens are spelled.
std::string hex_u64(uint64_t v);
// InvalidArgument naming what is wrong when `id` is not an id encode_watch_id
// writes (a single-node watch's sequence number, say).
Result<std::vector<ShardCursor>> decode_watch_id(std::string_view id);

// One thing a shard's feed reports to the merged stream.
struct ClusterWatchItem {
  enum class Kind { kHello, kEvent };
  Kind kind = Kind::kEvent;
  uint32_t shard = 0;
  // kHello: the replica stream now serving the shard, from position `seq`
  // of ring `ring` on `node`; with `gap`, events of the shard before that
  // may have been missed (or may come again), said as a reset event.
  std::string node;
  uint64_t ring = 0;
  uint64_t seq = 0;  // kEvent: the event's local sequence
  bool gap = false;
  std::string reason;  // kHello with gap: why
  // kEvent: "match", "delete" or "truncate" and its JSON data.
  std::string event;
  std::string data;
};

// The cursors of one stream, and its SSE text: each event goes out with the
// id of every cursor after it.
class WatchStreamIds {
 public:
  explicit WatchStreamIds(std::vector<ShardCursor> start) : cursors_(std::move(start)) {}
  // The SSE text of `item` (a hello without gap is none), after moving its
  // shard's cursor.
  std::string render(const ClusterWatchItem& item);
  std::string id() const { return encode_watch_id(cursors_); }
  const std::vector<ShardCursor>& cursors() const { return cursors_; }

 private:
  std::vector<ShardCursor> cursors_;
};

}  // namespace meridian::server

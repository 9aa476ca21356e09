#include "watch_cursor.h"

#include <algorithm>
#include <charconv>

#include "meridian/base/json.h"

namespace meridian::server {
namespace {

constexpr std::string_view kV1 = "c1", kV2 = "c2";
constexpr uint64_t kMaxSeq = 9223372036854775807ull;  // INT64_MAX: a seq is a JSON integer
// The digits of c2's numbers: base 64, most significant first, no leading zeros.
constexpr std::string_view kDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

void append_b64(std::string* out, uint64_t v) {
  char buf[11];
  size_t n = 0;
  do {
    buf[n++] = kDigits[v & 63];
    v >>= 6;
  } while (v);
  while (n) out->push_back(buf[--n]);
}

bool parse_b64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 11 || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    size_t d = kDigits.find(c);
    if (d == std::string_view::npos || v >> 58) return false;  // not a digit, or 64 bits overflow
    v = v << 6 | d;
  }
  *out = v;
  return true;
}

bool valid_node(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

// Splits "a.b.c" into exactly three parts.
bool split3(std::string_view part, std::string_view* a, std::string_view* b, std::string_view* c) {
  size_t d1 = part.find('.'), d2 = d1 == std::string_view::npos ? d1 : part.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return false;
  *a = part.substr(0, d1);
  *b = part.substr(d1 + 1, d2 - d1 - 1);
  *c = part.substr(d2 + 1);
  return true;
}

// One shard's cursor of a c1 id: node.ring(hex).seq(decimal).
bool parse_v1(std::string_view part, ShardCursor* c) {
  std::string_view node, ring, seq;
  if (!split3(part, &node, &ring, &seq) || !valid_node(node) || !parse_u64(ring, 16, &c->ring) ||
      !parse_u64(seq, 10, &c->seq))
    return false;
  c->node = std::string(node);
  return true;
}

// One shard's cursor of a c2 id: node index(decimal).ring.seq (base 64).
bool parse_v2(std::string_view part, const std::vector<std::string_view>& nodes, ShardCursor* c) {
  std::string_view node, ring, seq;
  uint64_t at = 0;
  if (!split3(part, &node, &ring, &seq) || node.size() > 3 || !parse_u64(node, 10, &at) || at >= nodes.size() ||
      !parse_b64(ring, &c->ring) || !parse_b64(seq, &c->seq))
    return false;
  c->node = std::string(nodes[at]);
  return true;
}

}  // namespace

std::string encode_watch_id(const std::vector<ShardCursor>& cursors) {
  std::vector<std::string_view> nodes;  // each once, in order of first use
  std::vector<size_t> at(cursors.size(), 0);
  for (size_t i = 0; i < cursors.size(); ++i) {
    if (!cursors[i].known()) continue;
    auto it = std::find(nodes.begin(), nodes.end(), cursors[i].node);
    at[i] = static_cast<size_t>(it - nodes.begin());
    if (it == nodes.end()) nodes.push_back(cursors[i].node);
  }
  std::string out(kV2);
  for (auto n : nodes) {
    out.push_back('.');
    out += n;
  }
  for (size_t i = 0; i < cursors.size(); ++i) {
    out.push_back('~');
    if (!cursors[i].known()) continue;
    out += std::to_string(at[i]);
    out.push_back('.');
    append_b64(&out, cursors[i].ring);
    out.push_back('.');
    append_b64(&out, cursors[i].seq);
  }
  return out;
}

Result<std::vector<ShardCursor>> decode_watch_id(std::string_view id) {
  const Status bad = Status::invalid(
      "Last-Event-ID: expected an event id of a clustered index's stream (c2.NODES~...), got '" +
      std::string(id.substr(0, 64)) + "'");
  const size_t first = id.find('~');
  if (first == std::string_view::npos) return bad;
  std::string_view head = id.substr(0, first);
  const bool v1 = head == kV1;
  std::vector<std::string_view> nodes;  // c2: the node ids the cursors refer to
  if (!v1) {
    if (head.substr(0, kV2.size()) != kV2) return bad;
    head.remove_prefix(kV2.size());
    while (!head.empty()) {
      if (head[0] != '.') return bad;
      head.remove_prefix(1);
      std::string_view n = head.substr(0, head.find('.'));
      if (!valid_node(n) || nodes.size() >= 256) return bad;
      nodes.push_back(n);
      head.remove_prefix(n.size());
    }
  }
  std::vector<ShardCursor> out;
  id.remove_prefix(first + 1);
  while (true) {
    size_t tilde = id.find('~');
    std::string_view part = id.substr(0, tilde);
    ShardCursor c;
    if (!part.empty()) {
      if (!(v1 ? parse_v1(part, &c) : parse_v2(part, nodes, &c))) return bad;
      // A ring is never 0; a seq is a JSON integer (a larger one is no
      // position of any stream, and could not be asked of a replica).
      if (c.ring == 0 || c.seq > kMaxSeq) return bad;
    }
    out.push_back(std::move(c));
    if (out.size() > 256) return bad;  // more shards than an index may have
    if (tilde == std::string_view::npos) break;
    id.remove_prefix(tilde + 1);
  }
  return out;
}

std::string WatchStreamIds::render(const ClusterWatchItem& item) {
  if (item.shard >= cursors_.size()) return {};
  ShardCursor& c = cursors_[item.shard];
  std::string out;
  if (item.kind == ClusterWatchItem::Kind::kHello) {
    c = ShardCursor{item.node, item.ring, item.seq};
    if (!item.gap) return {};
    std::string data = "{\"reason\":";
    append_json_string(&data, item.reason);
    data += ",\"shard\":" + std::to_string(item.shard) + "}";
    return sse_event("reset", id(), data);
  }
  c.seq = item.seq;
  return sse_event(item.event, id(), item.data);
}

bool parse_u64(std::string_view s, int base, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string hex_u64(uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  return std::string(buf, r.ptr);
}

std::string sse_event(std::string_view event, std::string_view id, std::string_view data) {
  std::string s;
  s.reserve(event.size() + id.size() + data.size() + 24);
  s.append("id: ").append(id).append("\nevent: ").append(event).append("\ndata: ").append(data).append("\n\n");
  return s;
}

}  // namespace meridian::server

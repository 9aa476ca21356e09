#include "watch_cursor.h"

#include <charconv>

#include "meridian/base/json.h"

namespace meridian::server {
namespace {

constexpr std::string_view kPrefix = "c1";

bool parse_u64(std::string_view s, int base, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

bool valid_node(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace

std::string encode_watch_id(const std::vector<ShardCursor>& cursors) {
  std::string out(kPrefix);
  char buf[24];
  for (const auto& c : cursors) {
    out.push_back('~');
    if (!c.known()) continue;
    out += c.node;
    out.push_back('.');
    auto r = std::to_chars(buf, buf + sizeof buf, c.ring, 16);
    out.append(buf, r.ptr);
    out.push_back('.');
    r = std::to_chars(buf, buf + sizeof buf, c.seq);
    out.append(buf, r.ptr);
  }
  return out;
}

Result<std::vector<ShardCursor>> decode_watch_id(std::string_view id) {
  const Status bad = Status::invalid(
      "Last-Event-ID: expected an event id of a clustered index's stream (c1~...), got '" +
      std::string(id.substr(0, 64)) + "'");
  if (id.substr(0, kPrefix.size()) != kPrefix || id.size() == kPrefix.size() || id[kPrefix.size()] != '~')
    return bad;
  std::vector<ShardCursor> out;
  id.remove_prefix(kPrefix.size() + 1);
  while (true) {
    size_t tilde = id.find('~');
    std::string_view part = id.substr(0, tilde);
    ShardCursor c;
    if (!part.empty()) {
      size_t d1 = part.find('.'), d2 = d1 == std::string_view::npos ? d1 : part.find('.', d1 + 1);
      if (d2 == std::string_view::npos) return bad;
      std::string_view node = part.substr(0, d1);
      if (!valid_node(node) || !parse_u64(part.substr(d1 + 1, d2 - d1 - 1), 16, &c.ring) ||
          !parse_u64(part.substr(d2 + 1), 10, &c.seq) || c.ring == 0)
        return bad;
      c.node = std::string(node);
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
    return "id: " + id() + "\nevent: reset\ndata: " + data + "\n\n";
  }
  c.seq = item.seq;
  return "id: " + id() + "\nevent: " + item.event + "\ndata: " + item.data + "\n\n";
}

}  // namespace meridian::server

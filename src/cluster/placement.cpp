#include "meridian/cluster/placement.h"

#include <algorithm>
#include <cassert>

namespace meridian::cluster {

namespace {
uint64_t fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}
}  // namespace

uint64_t stable_hash(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return fmix64(h);
}

uint32_t shard_of(std::string_view doc_id, uint32_t shards) {
  assert(shards >= 1);
  return static_cast<uint32_t>(stable_hash(doc_id) % shards);
}

uint64_t placement_weight(std::string_view index, uint32_t shard, std::string_view node) {
  // Length-prefixed parts, so ("ab","c") and ("a","bc") differ.
  std::string key;
  key.reserve(index.size() + node.size() + 24);
  key += std::to_string(index.size());
  key += ':';
  key += index;
  key += '/';
  key += std::to_string(shard);
  key += '/';
  key += node;
  return stable_hash(key);
}

std::vector<std::string> place_replicas(std::string_view index, uint32_t shard, uint32_t replicas,
                                        const std::vector<std::string>& nodes) {
  std::vector<std::pair<uint64_t, const std::string*>> w;
  w.reserve(nodes.size());
  for (const auto& n : nodes) w.emplace_back(placement_weight(index, shard, n), &n);
  std::sort(w.begin(), w.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  w.erase(std::unique(w.begin(), w.end(), [](const auto& a, const auto& b) { return *a.second == *b.second; }),
          w.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < w.size() && out.size() < replicas; ++i) out.push_back(*w[i].second);
  return out;
}

std::vector<std::vector<std::string>> place_index(std::string_view index, uint32_t shards, uint32_t replicas,
                                                  const std::vector<std::string>& nodes) {
  std::vector<std::vector<std::string>> out;
  out.reserve(shards);
  for (uint32_t s = 0; s < shards; ++s) out.push_back(place_replicas(index, s, replicas, nodes));
  return out;
}

std::string source_owner(std::string_view index, std::string_view source, const std::vector<std::string>& nodes) {
  // Length-prefixed parts, as placement_weight; "source:" keeps these
  // weights apart from the replica placement's.
  std::string key = "source:" + std::to_string(index.size()) + ":" + std::string(index) + "/" + std::string(source) + "/";
  const std::string* best = nullptr;
  uint64_t best_w = 0;
  for (const auto& n : nodes) {
    const uint64_t w = stable_hash(key + n);
    if (!best || w > best_w || (w == best_w && n < *best)) {
      best = &n;
      best_w = w;
    }
  }
  return best ? *best : std::string();
}

size_t moved_replicas(const std::vector<std::vector<std::string>>& before,
                      const std::vector<std::vector<std::string>>& after) {
  assert(before.size() == after.size());
  size_t moved = 0;
  for (size_t s = 0; s < after.size(); ++s)
    for (const auto& n : after[s])
      if (std::find(before[s].begin(), before[s].end(), n) == before[s].end()) ++moved;
  return moved;
}

}  // namespace meridian::cluster

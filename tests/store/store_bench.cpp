// store_bench: random stored-source fetches per second and file size for a
// store block size. Not a test; built on demand in a release directory:
//   ninja -C build-rel tests/store/store_bench
//   build-rel/tests/store/store_bench datasets/full/text.ndjson 16384 200000
// Prints one line per measurement: uniform random gets with the default
// shared block cache (first pass cold, second warm), and with the cache off
// (every get decompresses: the cost of a miss); and over a hot set of 2000
// random docs.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "meridian/store/store_reader.h"
#include "meridian/store/store_writer.h"

using namespace meridian::store;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Uniform over all docs, or over `hot` docs picked at random (a query mix
// that keeps returning some of the same hits).
double random_gets(const StoreReader& r, uint32_t n, uint64_t seed, uint64_t* checksum, uint32_t hot = 0) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> hot_docs;
  for (uint32_t i = 0; i < hot; ++i) hot_docs.push_back(static_cast<uint32_t>(rng() % r.num_docs()));
  std::string out;
  auto t0 = std::chrono::steady_clock::now();
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t d = hot ? hot_docs[rng() % hot] : static_cast<uint32_t>(rng() % r.num_docs());
    if (!r.get_to(d, &out).is_ok()) std::abort();
    *checksum += out.size();
  }
  return n / seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: store_bench FILE.ndjson BLOCK_BYTES [GETS]\n");
    return 2;
  }
  size_t block = std::strtoul(argv[2], nullptr, 10);
  uint32_t gets = argc > 3 ? static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)) : 100000;
  std::ifstream in(argv[1]);
  std::vector<std::string> docs;
  size_t raw = 0;
  for (std::string line; std::getline(in, line);) {
    raw += line.size();
    docs.push_back(std::move(line));
  }
#ifdef STORE_BENCH_OLD
  StoreWriter w(3);
  block = kStoreBlockTarget;
#else
  StoreWriter w(3, block);
#endif
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& d : docs) w.add(d);
  std::string file = w.finish();
  double write_s = seconds_since(t0);
  auto r = StoreReader::open(file, "bench.sto");
  if (!r.is_ok()) return 1;
  uint64_t sum = 0;
  std::printf("%s block=%zu docs=%zu raw=%zu file=%zu ratio=%.3f blocks=%u write=%.2fs\n", argv[1], block,
              docs.size(), raw, file.size(), double(raw) / file.size(), r->num_blocks(), write_s);
  double cold = random_gets(*r, gets, 1, &sum);
  double warm = random_gets(*r, gets, 2, &sum);
  double hot = random_gets(*r, gets, 4, &sum, 2000);
  std::printf("  random gets/s, default cache: first pass %.0f, second pass %.0f, hot set of 2000 docs %.0f\n",
              cold, warm, hot);
#ifndef STORE_BENCH_OLD
  BlockCache::set_capacity(0);
  double off = random_gets(*r, gets, 3, &sum);
  std::printf("  random gets/s, cache off: %.0f\n", off);
  BlockCache::set_capacity(BlockCache::kDefaultCapacity);
#endif
  std::printf("  (checksum %llu)\n", static_cast<unsigned long long>(sum));
  return 0;
}

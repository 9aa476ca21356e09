// write_stall_bench: how long single durable puts wait while the index
// refreshes, commits and merges (issue 17 item 7, "no heavy work under the
// index lock"). Builds an index of --docs documents in --segments segments,
// then measures, from one writer thread, the latency of durable one-document
// puts while a second thread bulk-loads --bulk documents at a time and
// forces a refresh and a commit after each load (segment writes and fsyncs)
// and a third runs force_merge() over the whole index (a large merge, its
// segment fsynced by the commit that follows). Prints one JSON object:
// {"puts","p50_ms","p99_ms","max_ms","window_s","merge_s","refreshes",...}.
//
//   write_stall_bench --dir DIR [--docs N] [--segments S] [--bulk B] [--seconds T]
//
// Uses only put, put_many, refresh, commit and force_merge, so the same
// source builds against older versions of the index (before/after runs).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "meridian/base/file.h"
#include "meridian/index/index.h"

using namespace meridian;
using clk = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "write_stall_bench: %s\n", msg.c_str());
  std::exit(1);
}

// A document of ~30 words from a 5,000-word vocabulary (Zipf-ish), a number
// and a keyword: enough postings for the merge and the refreshes to be work.
class DocGen {
 public:
  explicit DocGen(uint32_t seed) : rng_(seed) {
    for (int i = 0; i < 5000; ++i) words_.push_back("w" + std::to_string(i * 7919 % 100003));
  }
  Json next(const std::string& id) {
    std::string body;
    for (int i = 0; i < 30; ++i) {
      double u = std::uniform_real_distribution<double>(0, 1)(rng_);
      size_t k = static_cast<size_t>(std::pow(u, 3.0) * static_cast<double>(words_.size()));
      if (!body.empty()) body.push_back(' ');
      body += words_[std::min(k, words_.size() - 1)];
    }
    Json d = Json::object();
    d.set("id", Json(id));
    d.set("body", Json(body));
    d.set("n", Json(static_cast<int64_t>(rng_() % 100000)));
    d.set("tag", Json("t" + std::to_string(rng_() % 50)));
    return d;
  }

 private:
  std::mt19937 rng_;
  std::vector<std::string> words_;
};

void check(const Status& st, const char* what) {
  if (!st.is_ok()) die(std::string(what) + ": " + st.message());
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  size_t docs = 200000, segments = 8, bulk = 20000;
  double seconds = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") dir = v;
    else if (k == "--docs") docs = std::stoul(v);
    else if (k == "--segments") segments = std::stoul(v);
    else if (k == "--bulk") bulk = std::stoul(v);
    else if (k == "--seconds") seconds = std::stod(v);
    else die("unknown option " + k);
  }
  if (dir.empty()) die("usage: write_stall_bench --dir DIR [--docs N] [--segments S] [--bulk B] [--seconds T]");
  check(fs::remove_all(dir), "clearing --dir");

  index::IndexOptions opt;
  opt.background = false;  // the threads below drive refresh, commit and merge
  opt.writer_slots = 2;
  opt.max_builder_bytes = 1u << 30;
  index::Schema schema;
  auto opened = index::Index::open(dir, "stall", opt, &schema);
  if (!opened) die(opened.status().message());
  index::Index& ix = **opened;

  // Load: `segments` segments of docs/segments documents each.
  DocGen gen(1);
  index::WriteOptions lazy;
  lazy.durable = false;
  const size_t per = docs / segments;
  for (size_t s = 0; s < segments; ++s) {
    for (size_t i = 0; i < per; i += 5000) {
      std::vector<Json> batch;
      for (size_t j = i; j < std::min(per, i + 5000); ++j) batch.push_back(gen.next("d" + std::to_string(s * per + j)));
      for (auto& r : ix.put_many(batch, lazy))
        if (!r) die(r.status().message());
    }
    check(ix.refresh(), "refresh");
  }
  check(ix.commit(), "commit");

  std::atomic<bool> stop{false};
  std::atomic<int> refreshes{0};
  double merge_s = 0;
  std::vector<double> lat;  // ms
  lat.reserve(1 << 20);
  const auto start = clk::now();

  std::thread writer([&] {
    DocGen g(2);
    uint64_t n = 0;
    while (!stop.load()) {
      Json d = g.next("p" + std::to_string(n++));
      auto t0 = clk::now();
      auto r = ix.put(d);  // durable: returns after its WAL fsync
      lat.push_back(std::chrono::duration<double, std::milli>(clk::now() - t0).count());
      if (!r) die(r.status().message());
    }
  });
  std::thread bulker([&] {
    DocGen g(3);
    uint64_t n = 0;
    while (!stop.load()) {
      std::vector<Json> batch;
      for (size_t j = 0; j < bulk; ++j) batch.push_back(g.next("b" + std::to_string(n++)));
      for (auto& r : ix.put_many(batch, lazy))
        if (!r) die(r.status().message());
      check(ix.refresh(), "refresh");  // writes a segment of `bulk` documents
      check(ix.commit(), "commit");    // fsyncs it and writes a manifest
      ++refreshes;
    }
  });
  std::thread merger([&] {
    auto t0 = clk::now();
    check(ix.force_merge(), "force_merge");  // merges everything, then commits (fsyncs the merged segment)
    merge_s = std::chrono::duration<double>(clk::now() - t0).count();
  });
  merger.join();
  while (std::chrono::duration<double>(clk::now() - start).count() < seconds)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  writer.join();
  bulker.join();
  const double window = std::chrono::duration<double>(clk::now() - start).count();
  check(ix.close(), "close");
  const size_t puts = lat.size();
  double mx = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  double p50 = pct(lat, 0.50), p99 = pct(lat, 0.99), p999 = pct(lat, 0.999);
  std::printf(
      "{\"puts\":%zu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"window_s\":%.2f,"
      "\"merge_s\":%.2f,\"refreshes\":%d,\"docs\":%zu,\"segments\":%zu,\"bulk\":%zu}\n",
      puts, p50, p99, p999, mx, window, merge_s, refreshes.load(), docs, segments, bulk);
  (void)fs::remove_all(dir);
  return 0;
}

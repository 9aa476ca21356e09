// Crash test: a child process writes documents and reports each acknowledged
// write to the parent through a pipe; the parent kills it with SIGKILL at a
// random moment, reopens the index and checks that every acknowledged write
// is there with its latest content and that nothing is corrupt.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>

#include "../test_util.h"
#include "meridian/index/index.h"

using namespace meridian;
using namespace meridian::index;

namespace {

struct Op {
  bool del;
  int id;
  uint64_t version;
};

// The child's workload, reproducible by the parent from the same seed.
class Workload {
 public:
  Workload(unsigned seed, uint64_t first_version) : rng_(seed), version_(first_version) {}
  Op next() {
    int id = static_cast<int>(rng_() % 60);
    bool del = rng_() % 7 == 0;
    return Op{del, id, version_++};
  }

 private:
  std::mt19937 rng_;
  uint64_t version_;
};

std::string body_of(int id, uint64_t version) {
  return "version " + std::to_string(version) + " of document " + std::to_string(id);
}

[[noreturn]] void child_main(const std::string& dir, int fd, unsigned seed, uint64_t first_version) {
  IndexOptions o;
  o.refresh_interval_ms = 20;
  o.commit_interval_ms = 60;
  o.merge_factor = 3;
  Schema s;
  auto ix = Index::open(dir, "crash", o, &s);
  if (!ix) _exit(3);
  Workload w(seed, first_version);
  for (;;) {
    Op op = w.next();
    char line[64];
    if (op.del) {
      if (!(*ix)->remove(std::to_string(op.id)).is_ok()) _exit(4);
    } else {
      Json d;
      d.set("id", op.id);
      d.set("v", static_cast<int64_t>(op.version));
      d.set("body", body_of(op.id, op.version));
      if (!(*ix)->put(d).is_ok()) _exit(5);
    }
    std::snprintf(line, sizeof line, "%c %d %llu\n", op.del ? 'D' : 'P', op.id,
                  static_cast<unsigned long long>(op.version));
    if (::write(fd, line, std::strlen(line)) < 0) _exit(6);
  }
}

}  // namespace

TEST_CASE("crash: every acknowledged write survives SIGKILL at 30 random moments") {
  TempDir dir;
  std::mt19937 rng(12345);
  // id -> version of the live document (absent: no live document). Exact
  // state of the index after the previous round.
  std::map<int, uint64_t> state;
  for (int round = 0; round < 30; ++round) {
    const uint64_t first_version = static_cast<uint64_t>(round + 1) * 1000000000ull;
    const unsigned seed = static_cast<unsigned>(round * 7919 + 1);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_main(dir.path(), fds[1], seed, first_version);
    }
    ::close(fds[1]);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(30 + rng() % 170);
    std::string buf;
    char tmp[4096];
    // Reads what the child has acknowledged, up to the deadline (a child that
    // writes faster than this reads would otherwise keep it here for ever).
    auto drain = [&](int timeout_ms) {
      pollfd p{fds[0], POLLIN, 0};
      while (::poll(&p, 1, timeout_ms) > 0 && (timeout_ms == 0 || std::chrono::steady_clock::now() < deadline)) {
        ssize_t n = ::read(fds[0], tmp, sizeof tmp);
        if (n <= 0) break;
        buf.append(tmp, static_cast<size_t>(n));
      }
    };
    while (std::chrono::steady_clock::now() < deadline) drain(5);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    drain(0);
    ::close(fds[0]);
    REQUIRE_MESSAGE(WIFSIGNALED(status), "child exited early with status " << WEXITSTATUS(status));
    // Replay the acknowledged operations (complete lines) on the expected state.
    size_t acked = 0;
    for (char c : buf) acked += c == '\n';
    Workload w(seed, first_version);
    for (size_t i = 0; i < acked; ++i) {
      Op op = w.next();
      if (op.del) state.erase(op.id); else state[op.id] = op.version;
    }
    // The one operation after the last acknowledged one may or may not have landed.
    Op maybe = w.next();

    IndexOptions o;
    o.background = false;
    Schema s;
    auto ix = Index::open(dir.path(), "crash", o, &s);
    REQUIRE_MESSAGE(ix.is_ok(), ix.status().to_string());
    uint64_t live = 0;
    for (int id = 0; id < 60; ++id) {
      auto g = (*ix)->get(std::to_string(id));
      REQUIRE(g.is_ok());
      std::optional<uint64_t> found;
      if (g->has_value()) {
        ++live;
        auto j = parse_json(g->value());
        REQUIRE(j.is_ok());
        found = static_cast<uint64_t>(j->find("v")->as_int());
        CHECK(j->find("body")->as_string() == body_of(id, *found));
      }
      std::optional<uint64_t> expected;
      if (state.count(id)) expected = state[id];
      bool ok = found == expected;
      if (!ok && maybe.id == id) ok = maybe.del ? !found.has_value() : found == maybe.version;
      CHECK_MESSAGE(ok, "round " << round << " document " << id << ": index has "
                                 << (found ? std::to_string(*found) : "nothing") << ", acknowledged "
                                 << (expected ? std::to_string(*expected) : "nothing"));
      if (found) state[id] = *found; else state.erase(id);
    }
    CHECK((*ix)->snapshot()->live_docs() == live);  // no duplicates, no ghosts
  }
}

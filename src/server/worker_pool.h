// Internal: WorkerPool, the threads that run HTTP requests.
//
// It keeps `core` threads and starts another one whenever a task arrives and
// no thread is idle, up to `max` (a request or a live-query stream holds its
// thread while it runs; idle keep-alive connections and clients still
// sending their request hold none, see HttpServer). Threads above `core`
// stay until shutdown. Tasks beyond `max` busy threads wait in FIFO order.
//
// Thread safety: submit() and idle() from any thread; shutdown() once, from
// the thread that owns the pool (it joins every worker after the queue ran
// dry).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace meridian::server {

class WorkerPool {
 public:
  WorkerPool(size_t core, size_t max);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs fn on a worker; never blocks. After shutdown() fn is dropped.
  void submit(std::function<void()> fn);
  // Threads waiting for a task now (a hint: it may change at once).
  size_t idle() const;
  size_t threads() const;
  // Tasks waiting for a thread now (a hint).
  size_t queued() const;
  // Runs what is queued, then joins every thread.
  void shutdown();

 private:
  void run();
  void start_thread_locked();

  const size_t core_;
  const size_t max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;          // GUARDED_BY(mu_)
  size_t idle_ = 0;                           // GUARDED_BY(mu_)
  bool stop_ = false;                         // GUARDED_BY(mu_)
};

}  // namespace meridian::server

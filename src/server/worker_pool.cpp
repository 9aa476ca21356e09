#include "worker_pool.h"

#include <algorithm>

namespace meridian::server {

WorkerPool::WorkerPool(size_t core, size_t max) : core_(std::max<size_t>(1, core)), max_(std::max(core_, max)) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < core_; ++i) start_thread_locked();
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::start_thread_locked() { threads_.emplace_back([this] { run(); }); }

void WorkerPool::submit(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    queue_.push_back(std::move(fn));
    // Every idle thread may already be claimed by a queued task.
    if (idle_ < queue_.size() && threads_.size() < max_) start_thread_locked();
  }
  cv_.notify_one();
}

size_t WorkerPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_ > queue_.size() ? idle_ - queue_.size() : 0;
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock lock(mu_);
      ++idle_;
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;  // stop_ and drained
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }
}

void WorkerPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    if (stop_ && threads_.empty()) return;
    stop_ = true;
  }
  cv_.notify_all();
  // Tasks still running may not submit any more (stop_), so the set is final.
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

}  // namespace meridian::server

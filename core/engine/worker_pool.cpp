#include "core/engine/worker_pool.h"

namespace stepd::engine {

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::post(std::function<void()> job) {
  {
    std::lock_guard lk(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void WorkerPool::drain() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [this] { return jobs_.empty() && running_ == 0; });
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    try {
      job();
    } catch (...) {
      // Jobs report their own failures; one that escapes must not take the thread down.
    }
    {
      std::lock_guard lk(mu_);
      --running_;
      if (jobs_.empty() && running_ == 0) idle_cv_.notify_all();
    }
  }
}

}  // namespace stepd::engine

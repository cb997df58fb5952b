#pragma once
// A fixed set of threads running queued jobs. Used where work blocks on the store (firing
// timers) so that many jobs wait on one group commit together.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace stepd::engine {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // runs what is queued, then joins
  void post(std::function<void()> job);
  // Blocks until the queue is empty and no job is running.
  void drain();

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> jobs_;
  int running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace stepd::engine

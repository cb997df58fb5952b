#pragma once
// Hands the result of one job done on the store's writer thread to the caller waiting for it.
//
// Not std::promise: libstdc++'s set_exception copies the exception_ptr, so the writer thread
// would keep a reference until its callback returned; when the caller had already handled the
// exception, that reference was the last one and the exception was freed on the writer thread.
// The reference count lives in uninstrumented libstdc++ code, so ThreadSanitizer reports that
// free against the caller's reads of what(). Here the value and the error are moved in under the
// mutex and moved out by the caller: the writer keeps nothing.
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>

namespace stepd::store {

template <typename T>
class Handoff {
 public:
  // Lives on the caller's stack: wait() returns only after fill() has released the mutex.
  T wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return ready_; });
    if (error_) {
      std::rethrow_exception(std::exchange(error_, nullptr));
    }
    return std::move(*value_);
  }

  void fill(std::optional<T> value, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
    error_ = std::move(error);
    ready_ = true;
    cv_.notify_one();  // under the lock: the caller may destroy us as soon as it is released
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::optional<T> value_;
  std::exception_ptr error_;
};

}  // namespace stepd::store

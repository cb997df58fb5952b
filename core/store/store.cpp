#include "core/store/store.h"

#include <condition_variable>
#include <mutex>
#include <optional>

namespace stepd::store {

namespace {

// Waits for one callback of an asynchronous write. Not std::promise: libstdc++'s set_exception
// copies the exception_ptr, so the writer thread keeps a reference until its callback returns;
// when the caller has already handled the exception, that reference is the last one and the
// exception is freed on the writer thread. The reference count lives in uninstrumented libstdc++
// code, so ThreadSanitizer reports the free against the caller's reads of what(). Here the error
// is moved in under the mutex and moved out by the caller: the writer keeps nothing.
template <typename T>
class Rendezvous {
 public:
  void deliver(std::optional<T> value, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
    error_ = std::move(error);
    done_ = true;
    ready_.notify_one();
  }

  T wait() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return done_; });
    if (error_) {
      std::rethrow_exception(std::exchange(error_, nullptr));
    }
    return std::move(*value_);
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  bool done_ = false;
  std::optional<T> value_;
  std::exception_ptr error_;
};

struct Nothing {};

}  // namespace

WriteOutcome Store::commit(ExecutionWrite write) {
  Rendezvous<WriteOutcome> rendezvous;
  commit_async(std::move(write),
               [&rendezvous](const WriteOutcome& outcome, std::exception_ptr err) {
                 rendezvous.deliver(err ? std::nullopt : std::optional(outcome), std::move(err));
               });
  return rendezvous.wait();
}

void Store::put_sql_statement(SqlStatementRecord record) {
  Rendezvous<Nothing> rendezvous;
  put_sql_statement_async(std::move(record), [&rendezvous](std::exception_ptr err) {
    rendezvous.deliver(Nothing{}, std::move(err));
  });
  rendezvous.wait();
}

}  // namespace stepd::store

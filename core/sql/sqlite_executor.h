#pragma once
// The embedded SQL target (`kind: "sqlite"` in sql_targets): statements run in-process on one
// SQLite file, so SQL steps and the Data API can be tried without a warehouse.
//
// One worker thread owns the only connection and runs requests one at a time, in the order they
// were submitted; the wait queue is bounded. Timeouts and cancel() work through SQLite's progress
// handler, which the worker's own statement calls every few hundred VM steps: it ends the
// statement with SQLITE_INTERRUPT when the deadline passed or the running request was cancelled,
// so no other thread ever touches the connection. A second, small thread answers requests that
// never run (refused because the queue is full, or cancelled while queued), so that they get
// their answer at once even while a long statement occupies the worker.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "core/sql/sql_executor.h"

struct sqlite3;

namespace stepd::sql {

struct SqlTargetConfig;

class SqliteExecutor final : public SqlExecutor {
 public:
  struct Options {
    std::string path;                    // the database file; created if missing
    size_t max_queue = 100;              // requests waiting (not counting the running one)
    long long statement_timeout_ms = 0;  // when a request gives none; 0 = no limit
    int busy_timeout_ms = 5000;          // waiting for a lock held by another process
  };

  // Opens the file (WAL mode) and starts the worker. Throws std::runtime_error when the
  // database cannot be opened.
  explicit SqliteExecutor(Options options);
  // For a `kind: "sqlite"` target: its path and statement_timeout_ms.
  explicit SqliteExecutor(const SqlTargetConfig& target);
  ~SqliteExecutor() override;
  SqliteExecutor(const SqliteExecutor&) = delete;
  SqliteExecutor& operator=(const SqliteExecutor&) = delete;

  // `$1`, `$2` ... in the SQL are bound by name to values[0], values[1] ... as text (SQLite
  // applies column affinity, so '42' compared with an INTEGER column compares as a number).
  // A statement text holding several statements runs them all; the last one's result counts.
  // After shutdown(), done runs inside submit() (kAborted): no thread is left to run it.
  uint64_t submit(SqlRequest request, Done done) override;
  void cancel(uint64_t handle) override;
  Stats stats() const override;
  void shutdown() override;

 private:
  struct Item {
    uint64_t handle = 0;
    SqlRequest request;
    Done done;
  };
  struct Notice {
    Done done;
    SqlOutcome outcome;
  };

  void worker_loop();
  SqlOutcome run(const SqlRequest& request);
  void finish(Done& done, SqlOutcome outcome);
  void notifier_loop();
  // Hands a request that will not run to the notifier thread. Called with mutex_ held.
  void notify_locked(Done done, SqlOutcome outcome);
  static int on_progress(void* self);

  const Options options_;
  sqlite3* db_ = nullptr;  // used only by the worker after construction

  std::mutex join_mutex_;  // shutdown() from two threads joins once
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  std::deque<Notice> notices_;
  std::condition_variable notice_cv_;
  bool stopping_ = false;
  bool stopped_ = false;          // the worker has returned
  bool notifier_exited_ = false;  // the notifier has returned
  uint64_t next_handle_ = 1;
  uint64_t running_handle_ = 0;  // 0 when idle

  // Read by the progress handler on the worker thread; set by cancel() from any thread.
  std::atomic<bool> cancel_running_{false};
  std::atomic<bool> deadline_armed_{false};
  std::atomic<int64_t> deadline_ns_{0};  // steady clock
  std::atomic<bool> timed_out_{false};

  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> aborted_{0};

  // Last: they start once everything above exists.
  std::thread notifier_;
  std::thread worker_;
};

// Standard base64 (RFC 4648 section 4, with padding), as the Data API's blobValue is encoded.
std::string base64_encode(std::string_view bytes);

}  // namespace stepd::sql

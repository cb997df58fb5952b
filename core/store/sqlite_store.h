#pragma once
// The embedded Store: one SQLite file in WAL mode.
//
// Writes: one writer thread owns the only read-write connection. commit_async() and the
// control-plane calls (state machines, activities, meta) queue work for it; it takes everything
// queued (up to max_batch), runs each item inside its own SAVEPOINT of one transaction, commits
// once and then releases every caller of the batch (group commit). A failing item is rolled back
// alone; the rest of its batch still commits.
// Reads: a small pool of read-only connections, which WAL lets run beside the writer.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/common/metrics.h"
#include "core/store/store.h"

namespace stepd::store {

namespace sqlite {
class Connection;
}

struct SqliteOptions {
  int max_batch = 512;           // most queued writes committed in one transaction
  bool synchronous_full = true;  // false: synchronous=NORMAL (survives a process crash, not a
                                 // power cut); only for tests and benchmarks
  int busy_timeout_ms = 5000;    // how long a connection waits on a lock held by another
  int max_idle_readers = 8;      // read connections kept open between reads
  // Group-commit batch sizes and commit latencies are recorded here (must outlive the store).
  metrics::Registry* metrics = nullptr;
};

class SqliteStore final : public Store {
 public:
  using Options = SqliteOptions;

  // Counters for tests and monitoring.
  struct Stats {
    uint64_t writes = 0;         // ExecutionWrites handled (any outcome)
    uint64_t jobs = 0;           // everything the writer ran: writes and control-plane calls
    uint64_t transactions = 0;   // COMMITs attempted
    uint64_t largest_batch = 0;  // most jobs in one transaction
    uint64_t queued = 0;         // jobs waiting for the writer right now
  };

  // Opens (creating if needed) the database and starts the writer thread. The schema is not
  // touched until migrate(). Throws std::runtime_error if the file cannot be opened.
  explicit SqliteStore(std::string path, Options options = {});
  // Drains the queue (every queued write is committed and its done called), then closes.
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Stats stats() const;
  const std::string& path() const { return path_; }

  // Store. Errors from SQLite are thrown as std::runtime_error (StoreUnavailable when the disk is
  // full, the file read-only or I/O failing: the write was rolled back whole); a malformed
  // Page::after cursor as std::invalid_argument. done() callbacks run on the writer thread: keep
  // them short and never wait there for another commit (it could only run after done returns).
  void migrate(const std::string& migrations_dir) override;
  std::optional<std::string> get_meta(const std::string& key) override;
  std::string put_meta_if_absent(const std::string& key, const std::string& value) override;

  CreateOutcome create_state_machine(const StateMachineRecord& sm) override;
  std::optional<StateMachineRecord> get_state_machine(const std::string& arn) override;
  bool update_state_machine(const StateMachineRecord& sm) override;
  bool delete_state_machine(const std::string& arn) override;
  std::vector<StateMachineRecord> list_state_machines(const Page& page, std::string* next) override;
  std::optional<DefinitionRevision> get_revision(const std::string& revision_id) override;

  CreateOutcome create_activity(const ActivityRecord& a) override;
  std::optional<ActivityRecord> get_activity(const std::string& arn) override;
  bool delete_activity(const std::string& arn) override;
  std::vector<ActivityRecord> list_activities(const Page& page, std::string* next) override;
  std::optional<ActivityTaskRecord> next_activity_task(const std::string& activity_arn,
                                                       int64_t after_id) override;
  int64_t count_activity_tasks(const std::string& activity_arn) override;
  std::vector<std::pair<std::string, int64_t>> count_activity_tasks_by_activity() override;

  int64_t allocate_execution_id() override;
  std::optional<ExecutionRecord> get_execution(const std::string& arn) override;
  std::optional<ExecutionRecord> get_execution_by_id(int64_t id) override;
  std::vector<ExecutionRecord> list_executions(const ExecutionFilter& filter, const Page& page,
                                               std::string* next) override;
  std::vector<HistoryEventRecord> get_history(int64_t execution_id, const Page& page, bool reverse,
                                              std::string* next) override;
  // Keys compare as bytes; a prefix read is a range scan of the primary key.
  std::optional<std::string> get_data(int64_t execution_id, const std::string& key) override;
  std::vector<std::pair<std::string, std::string>> scan_data(int64_t execution_id,
                                                             const std::string& prefix) override;
  std::vector<int64_t> running_execution_ids(int64_t after_id, int limit) override;
  int64_t count_running_executions() override;
  int64_t count_callback_tasks() override;

  // Outcomes: kNameConflict (insert; `existing` is the stored row), kVersionConflict (update;
  // `existing` is the stored row if there is one). Other failures of this write alone (e.g. a
  // duplicate history event id) arrive as the exception_ptr; the rest of the batch commits.
  void commit_async(ExecutionWrite write, Done done) override;

  void put_sql_statement_async(SqlStatementRecord record, SqlStatementDone done) override;
  std::optional<SqlStatementRecord> get_sql_statement(const std::string& id) override;
  std::optional<std::string> get_sql_statement_result(const std::string& id) override;
  std::vector<SqlStatementRecord> list_sql_statements(const SqlStatementFilter& filter,
                                                      const Page& page, std::string* next) override;
  std::vector<SqlStatementRecord> unfinished_sql_statements() override;
  void wait_for_writes() override;
  std::optional<SqlStatementRecord> find_sql_statement_by_owner(int64_t execution_id,
                                                                int64_t task_seq) override;

  bool create_access_key(const AccessKeyRecord& key) override;
  std::optional<AccessKeyRecord> get_access_key(const std::string& access_key_id) override;
  std::vector<AccessKeyRecord> list_access_keys() override;
  bool revoke_access_key(const std::string& access_key_id, int64_t revoked_ms) override;
  int64_t count_access_keys() override;

  // Strictly before due_ms, soonest first.
  std::vector<TimerRecord> timers_due_before(int64_t due_ms, int limit) override;
  // Oldest first.
  std::vector<OutboxRecord> pending_outbox(int limit) override;

 private:
  class Job;
  class ExecutionJob;
  class SqlStatementJob;
  template <typename R>
  class CallJob;
  class ReadLease;

  // Runs fn(write connection) on the writer thread and waits for its batch to commit.
  // `exclusive` jobs run alone and outside any transaction (they manage their own).
  template <typename R, typename Fn>
  R run_on_writer(Fn fn, bool exclusive = false);
  void enqueue(std::unique_ptr<Job> job);
  void writer_loop();
  void run_batch(std::vector<std::unique_ptr<Job>>& batch);
  void run_exclusive(Job& job);
  void seed_execution_ids(sqlite::Connection& db);

  ReadLease reader();

  const std::string path_;
  const Options options_;

  std::unique_ptr<sqlite::Connection> writer_db_;  // used only on the writer thread

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<std::unique_ptr<Job>> queue_;
  bool stopping_ = false;

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<sqlite::Connection>> idle_readers_;

  std::atomic<int64_t> last_execution_id_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> jobs_{0};
  std::atomic<uint64_t> transactions_{0};
  std::atomic<uint64_t> largest_batch_{0};
  metrics::Histogram* batch_size_metric_ = nullptr;      // null without a registry
  metrics::Histogram* commit_seconds_metric_ = nullptr;  // null without a registry

  std::thread writer_;  // last: starts after every member above exists
};

}  // namespace stepd::store

#pragma once
// The durable store. One interface, several backends (SQLite embedded, PostgreSQL later); the
// same test suite runs against each. Writes that change executions go through commit(): the
// backend batches concurrent commits into one transaction (group commit), and a caller is
// released when its batch is durable.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/store/records.h"

namespace stepd::store {

// Everything one engine step changes for one execution, committed atomically.
struct ExecutionWrite {
  bool insert = false;        // true: a new execution (name must be unique per state machine)
  ExecutionRecord execution;  // the full row after the step; for updates `version` is the
                              // version read, and the write fails if the row moved on
  std::vector<HistoryEventRecord> events;
  std::vector<TimerRecord> timers_set;    // upsert by (execution_id, tag)
  std::vector<std::string> timers_clear;  // tags to delete
  bool clear_all_timers = false;
  std::vector<ActivityTaskRecord> activity_tasks_add;
  std::vector<int64_t> activity_task_seqs_remove;  // by (execution_id, task_seq)
  bool clear_activity_tasks = false;
  std::vector<OutboxRecord> outbox_add;
  std::vector<std::string> outbox_remove;  // keys
  bool clear_outbox = false;
  // Execution data: keyed values the engine keeps beside the runtime state so that a big Map
  // does not rewrite them on every step (pending items, finished iteration results). Applied
  // in this order: clear_data, data_erase_prefix, data_put.
  bool clear_data = false;
  std::vector<std::string> data_erase_prefix;  // rows whose key starts with one of these
  std::vector<std::pair<std::string, std::string>> data_put;  // insert or replace (key, value)
};

struct WriteOutcome {
  enum class Status {
    kOk,
    kNameConflict,     // insert: an execution of this name exists (`existing` holds it)
    kVersionConflict,  // update: the row was changed by someone else
  };
  Status status = Status::kOk;
  std::optional<ExecutionRecord> existing;
};

enum class CreateOutcome { kCreated, kAlreadyExists };

struct Page {
  std::string after;  // opaque cursor from the previous page; "" for the first
  int limit = 100;
};

// ListStatements. Empty members match everything.
struct SqlStatementFilter {
  std::string status;  // "" or "ALL" for every status
  std::string statement_name_prefix;
  std::string target;
  std::string cluster_identifier;
  std::string workgroup_name;
  std::string database;
};

struct ExecutionFilter {
  std::string state_machine_arn;
  std::string status;   // "" for all
  std::string redrive;  // "" for all, "REDRIVEN" (redrive_count > 0) or "NOT_REDRIVEN"
};

class Store {
 public:
  virtual ~Store() = default;

  // --- lifecycle and metadata
  virtual void migrate(const std::string& migrations_dir) = 0;  // applies new NNNN_*.sql files
  virtual std::optional<std::string> get_meta(const std::string& key) = 0;
  // Stores value under key unless the key exists; returns the value now stored.
  virtual std::string put_meta_if_absent(const std::string& key, const std::string& value) = 0;

  // --- state machines
  // Creates the machine and its first revision. kAlreadyExists leaves everything as it was.
  virtual CreateOutcome create_state_machine(const StateMachineRecord& sm) = 0;
  virtual std::optional<StateMachineRecord> get_state_machine(const std::string& arn) = 0;
  // Replaces the row (a new revision when revision_id changed). false if it does not exist.
  virtual bool update_state_machine(const StateMachineRecord& sm) = 0;
  virtual bool delete_state_machine(const std::string& arn) = 0;
  // Ordered by arn; `next` is set when more remain.
  virtual std::vector<StateMachineRecord> list_state_machines(const Page& page,
                                                              std::string* next) = 0;
  virtual std::optional<DefinitionRevision> get_revision(const std::string& revision_id) = 0;

  // --- activities
  virtual CreateOutcome create_activity(const ActivityRecord& a) = 0;
  virtual std::optional<ActivityRecord> get_activity(const std::string& arn) = 0;
  virtual bool delete_activity(const std::string& arn) = 0;  // also drops its queued tasks
  virtual std::vector<ActivityRecord> list_activities(const Page& page, std::string* next) = 0;
  // The oldest queued task of the activity whose id is above `after_id` (0: the oldest of all),
  // if any. Ids grow in queue order, so passing the highest id being handed out right now skips
  // exactly the tasks already on their way to a worker.
  virtual std::optional<ActivityTaskRecord> next_activity_task(const std::string& activity_arn,
                                                               int64_t after_id) = 0;
  virtual int64_t count_activity_tasks(const std::string& activity_arn) = 0;
  // Queued activity tasks of every activity that has any, by activity ARN (GET /metrics).
  virtual std::vector<std::pair<std::string, int64_t>> count_activity_tasks_by_activity() = 0;

  // --- executions
  virtual int64_t allocate_execution_id() = 0;
  virtual std::optional<ExecutionRecord> get_execution(const std::string& arn) = 0;
  virtual std::optional<ExecutionRecord> get_execution_by_id(int64_t id) = 0;
  // Newest first.
  virtual std::vector<ExecutionRecord> list_executions(const ExecutionFilter& filter,
                                                       const Page& page, std::string* next) = 0;
  virtual std::vector<HistoryEventRecord> get_history(int64_t execution_id, const Page& page,
                                                      bool reverse, std::string* next) = 0;
  // Execution data (see ExecutionWrite): one value, or every row whose key starts with
  // `prefix`, ordered by key.
  virtual std::optional<std::string> get_data(int64_t execution_id, const std::string& key) = 0;
  virtual std::vector<std::pair<std::string, std::string>> scan_data(int64_t execution_id,
                                                                     const std::string& prefix) = 0;
  // Ids of executions that are RUNNING (for recovery), in id order, after `after_id`.
  virtual std::vector<int64_t> running_execution_ids(int64_t after_id, int limit) = 0;
  // Executions with status RUNNING (GET /metrics reads it at every scrape: keep it indexed).
  virtual int64_t count_running_executions() = 0;
  // Open tasks waiting for a worker's callback, over all executions (ExecutionRecord::
  // callback_tasks summed).
  virtual int64_t count_callback_tasks() = 0;

  // Group commit. done() runs on the store's writer thread after the batch holding this write
  // is durable (or failed with an exception, passed as exception_ptr).
  using Done = std::function<void(const WriteOutcome&, std::exception_ptr)>;
  virtual void commit_async(ExecutionWrite write, Done done) = 0;
  // Blocking form of commit_async; rethrows store failures.
  WriteOutcome commit(ExecutionWrite write);
  // Returns once every write queued before the call is durable and its done() callback has
  // returned (shutdown: nothing may still call back into parts about to be destroyed).
  virtual void wait_for_writes() = 0;

  // --- statements of the Redshift Data API emulation
  // Inserts or replaces the row with this id, through the same group commit as commit_async.
  // done() runs on the writer thread once it is durable (or failed); keep it short.
  using SqlStatementDone = std::function<void(std::exception_ptr)>;
  virtual void put_sql_statement_async(SqlStatementRecord record, SqlStatementDone done) = 0;
  // Blocking form; rethrows store failures. Never call it from the writer thread.
  void put_sql_statement(SqlStatementRecord record);
  // The row without its `result` (which can be large).
  virtual std::optional<SqlStatementRecord> get_sql_statement(const std::string& id) = 0;
  // The `result` JSON text of the row; nullopt when there is no such row.
  virtual std::optional<std::string> get_sql_statement_result(const std::string& id) = 0;
  // Newest first (in the order rows were first put), without `result`.
  virtual std::vector<SqlStatementRecord> list_sql_statements(const SqlStatementFilter& filter,
                                                              const Page& page,
                                                              std::string* next) = 0;
  // Rows in SUBMITTED, PICKED or STARTED, oldest first, without `result`.
  virtual std::vector<SqlStatementRecord> unfinished_sql_statements() = 0;
  // The newest statement a Step Functions task attempt started (execution_id != 0), without its
  // result.
  virtual std::optional<SqlStatementRecord> find_sql_statement_by_owner(int64_t execution_id,
                                                                        int64_t task_seq) = 0;

  // --- access keys (core/auth/). Reads go to the database every time, so a key created or
  // revoked by another process (`stepd keys ...`) is seen by the next request.
  // false when a key with this id exists already (nothing is written).
  virtual bool create_access_key(const AccessKeyRecord& key) = 0;
  virtual std::optional<AccessKeyRecord> get_access_key(const std::string& access_key_id) = 0;
  // Every key, revoked ones too, ordered by creation time.
  virtual std::vector<AccessKeyRecord> list_access_keys() = 0;
  // Marks the key revoked at `revoked_ms`; false when there is no such key. Revoking a revoked
  // key keeps its first revocation time and answers true.
  virtual bool revoke_access_key(const std::string& access_key_id, int64_t revoked_ms) = 0;
  // How many keys exist, revoked ones included.
  virtual int64_t count_access_keys() = 0;

  // --- timers and outbox (for the engine's scheduler and for recovery)
  virtual std::vector<TimerRecord> timers_due_before(int64_t due_ms, int limit) = 0;
  virtual std::vector<OutboxRecord> pending_outbox(int limit) = 0;
};

}  // namespace stepd::store

#pragma once
// The Redshift Data API, emulated over the configured SQL targets: ExecuteStatement,
// BatchExecuteStatement, DescribeStatement, GetStatementResult, CancelStatement and
// ListStatements, with the request and response members of the AWS model (PascalCase), plus the
// synchronous form a SQL step uses (run_sync). Statements are rows in the store
// (SqlStatementRecord), written at every status change, so they can be described and their
// results read after a restart; a statement that was running when stepd stopped is marked
// FAILED by recover().
//
// stepd extensions to ExecuteStatement: `SqlFile` (instead of `Sql`) names a script under the
// scripts directory, split into statements that run in order, by default in one transaction
// (`Transaction`: false runs each on its own). Not supported, and refused with a
// ValidationException saying so: ResultFormat CSV, SessionId, SessionKeepAliveSeconds, WithEvent
// true. ClientToken is recorded but a repeated token starts a new statement.
//
// Threads: call(), run_sync(), cancel_owned() may be called from any thread and never block on
// a statement. Replies run on the store's writer thread (after a write became durable), or on
// the calling thread for validation errors and reads. Executors' callbacks only hand work to
// the store and never wait.
//
// Lifetime: store and executor callbacks hold on to the service until they ran. Shut down in
// this order: the executors (shutdown()), then the store (its destructor drains the writer),
// then the service.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/common/api_error.h"
#include "core/common/clock.h"
#include "core/common/json.h"
#include "core/sql/sql_executor.h"
#include "core/sql/sql_target.h"
#include "core/store/store.h"

namespace stepd::sql {

// The Step Functions task a statement belongs to (run_sync); {0, 0} for API calls.
struct StatementOwner {
  int64_t execution_id = 0;
  int64_t task_seq = 0;
  bool operator==(const StatementOwner&) const = default;
};

class RedshiftDataService {
 public:
  struct Options {
    std::string scripts_dir;  // where SqlFile names are resolved
    // A statement whose records would take more than this (as JSON) fails, as Redshift's Data
    // API refuses results over 100 MB.
    size_t max_stored_result_bytes = 100u * 1024 * 1024;
    // GetStatementResult pages: at most this many records and about this many bytes each.
    size_t page_max_records = 1000;
    size_t page_max_bytes = 1024 * 1024;
  };

  RedshiftDataService(store::Store& store, const SqlTargets& targets,
                      std::map<std::string, SqlExecutor*> executors, const Clock& clock,
                      IdSource& ids, Options options);
  RedshiftDataService(const RedshiftDataService&) = delete;
  RedshiftDataService& operator=(const RedshiftDataService&) = delete;

  // Exactly once: the response, or an error (ApiError with the AWS error name as type()).
  using Reply = std::function<void(Json response, std::optional<ApiError> error)>;

  // `action` is the Data API operation name. ExecuteStatement / BatchExecuteStatement reply
  // once the statement row is durable with status SUBMITTED; the statement runs on.
  // `owner`: the Step Functions task calling (aws-sdk:redshiftdata:*), so that a task dispatched
  // again after a restart gets the statement it already submitted instead of a second one. Its
  // statement is not cancelled with the task: on AWS it runs on after the call returns.
  void call(const std::string& action, const Json& request, Reply reply,
            const StatementOwner& owner = {});

  // A SQL step (.sync): submits like ExecuteStatement / BatchExecuteStatement, owned by `owner`,
  // with statement_timeout `timeout_ms` (0 = the target's), and replies when the statement ends:
  // FINISHED → the DescribeStatement shape, plus "ColumnMetadata", "Records" and "TotalNumRows"
  // of the last statement when include_result; a response over max_output_bytes as JSON →
  // ApiError("DataLimitExceeded"). FAILED → ApiError(error code, the cause); ABORTED →
  // ApiError("StatementAborted").
  void run_sync(const std::string& action, const Json& request, const StatementOwner& owner,
                long long timeout_ms, bool include_result, size_t max_output_bytes, Reply reply);

  // Cancels every queued or running statement `owner` started.
  void cancel_owned(const StatementOwner& owner);

  // At startup, before any call: statements still SUBMITTED / PICKED / STARTED in the store
  // were running when stepd stopped; they become FAILED.
  void recover();

  // Statements queued or running now (for tests and monitoring).
  size_t running_count() const;

  // The DescribeStatement shape of a record.
  static Json describe_record(const store::SqlStatementRecord& r);

 private:
  struct Prepared;
  struct Running {
    SqlExecutor* executor = nullptr;
    uint64_t handle = 0;  // 0 until submitted
    StatementOwner owner;
    bool cancel_requested = false;
  };
  using Completion =
      std::function<void(const store::SqlStatementRecord& record, const SqlOutcome& outcome)>;

  Prepared prepare(const std::string& action, const Json& request, long long timeout_ms) const;
  void start(Prepared prepared, const StatementOwner& owner,
             std::function<void(const store::SqlStatementRecord&, std::exception_ptr)> submitted,
             Completion completion);
  void launch(const std::shared_ptr<Prepared>& prepared, Completion completion);
  void finish(const std::shared_ptr<Prepared>& prepared, SqlOutcome outcome, Completion completion);
  void request_cancel(const std::string& id);

  // A step dispatched again after a restart whose statement already ended: replies from the
  // stored record and returns true.
  bool replay_owned(const std::string& action, const StatementOwner& owner, bool include_result,
                    size_t max_output_bytes, const Reply& reply);
  Json describe(const std::string& id) const;
  Json get_result(const Json& request) const;
  Json cancel(const Json& request);
  Json list(const Json& request) const;

  store::Store& store_;
  const SqlTargets& targets_;
  const std::map<std::string, SqlExecutor*> executors_;
  const Clock& clock_;
  IdSource& ids_;
  const Options options_;

  mutable std::mutex mutex_;
  std::map<std::string, Running> running_;  // by statement id
};

}  // namespace stepd::sql

#pragma once
// The seam between "run this SQL on that database" and how it is done. One SqlExecutor per
// configured target: the libpq pool for PostgreSQL and Redshift (pg_pool.h), an in-process
// runner for the embedded SQLite target (sqlite_executor.h). The Redshift Data API emulation
// (redshift_data.h) and the tests talk only to this interface.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/common/json.h"

namespace stepd::sql {

// One statement, with its `$n` parameter values (see named_parameters.h): values[i] is `$(i+1)`.
struct SqlStatement {
  std::string sql;
  std::vector<std::string> values;
};

// Options a request may set for its connection (Database / DbUser of the Data API).
struct SqlSessionOptions {
  std::string database;  // "" = the target's
  std::string db_user;   // "" = the target's
};

struct SqlRequest {
  std::vector<SqlStatement> statements;  // run in order, one at a time, on one connection
  bool transaction = false;  // BEGIN before the first, COMMIT after the last, ROLLBACK on error
  long long timeout_ms = 0;  // statement_timeout for each statement; 0 = the target's default
  SqlSessionOptions session;
  // Records beyond this many bytes (counted as the JSON of the Records) are not kept: the
  // statement still runs to the end, and its result says result_too_large.
  size_t max_result_bytes = 100u * 1024 * 1024;
};

// The result of one statement, in the Redshift Data API's shapes.
struct SqlStatementResult {
  bool has_result_set = false;
  // Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE/COPY); -1 when the server gives
  // no count (DDL), as Redshift reports it.
  int64_t result_rows = -1;
  Json column_metadata = Json::array();  // [{"name", "label", "typeName", "nullable", ...}]
  // One array per row of Field objects: {"longValue": n}, {"doubleValue": x},
  // {"booleanValue": b}, {"stringValue": s}, {"blobValue": base64} or {"isNull": true}.
  Json records = Json::array();
  size_t result_size_bytes = 0;  // size of `records` as JSON text (ResultSize)
  bool result_too_large = false;
  int64_t started_ms = 0;
  int64_t duration_ns = 0;
  int64_t redshift_pid = 0;  // backend process id (PQbackendPID); 0 when unknown
};

struct SqlOutcome {
  enum class Status {
    kFinished,  // every statement ran (and the transaction committed)
    kFailed,    // a statement failed, or the connection did
    kAborted,   // cancel() was called: the statement was cancelled on the server, or never ran
  };
  Status status = Status::kFinished;
  // Results of the statements that ran, in order; when one failed it is the last entry.
  std::vector<SqlStatementResult> results;
  int failed_index = -1;  // index into SqlRequest::statements of the failing one
  std::string sqlstate;   // e.g. "42P01"; "08006" for a lost connection; "" when none
  std::string message;    // the server's primary message, or what went wrong locally
  // The Data API error name this failure maps to: "ExecuteStatementException" for errors from
  // the database, "DatabaseConnectionException" when it could not be reached or the connection
  // broke, "ActiveStatementsExceededException" when the wait queue is full,
  // "QueryTimeoutException" when statement_timeout ended it (SQLSTATE 57014 not caused by
  // cancel()).
  std::string error_code;
};

class SqlExecutor {
 public:
  virtual ~SqlExecutor() = default;
  using Done = std::function<void(SqlOutcome)>;

  // Queues the request. `done` runs exactly once, on the executor's own thread (never inside
  // submit()), and must not block: hand slow work (store writes) to another thread. When the
  // wait queue is full, done gets kFailed with ActiveStatementsExceededException.
  // Returns a handle for cancel().
  virtual uint64_t submit(SqlRequest request, Done done) = 0;

  // Cancels a queued or running request: a queued one is dropped, a running statement is
  // cancelled on the server (never by blocking the event loop); done then reports kAborted.
  // Unknown or finished handles are ignored.
  virtual void cancel(uint64_t handle) = 0;

  struct Stats {
    int idle = 0;
    int busy = 0;
    int connecting = 0;
    int queued = 0;
    int64_t finished = 0;
    int64_t failed = 0;
    int64_t aborted = 0;
  };
  virtual Stats stats() const = 0;

  // Stops taking work; queued and running requests finish as kAborted. Joins threads.
  virtual void shutdown() = 0;
};

}  // namespace stepd::sql

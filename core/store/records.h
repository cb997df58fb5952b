#pragma once
// Rows of the store, as plain values. JSON payloads travel as text: the store never parses them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stepd::store {

struct StateMachineRecord {
  std::string arn;
  std::string name;
  std::string type = "STANDARD";
  std::string status = "ACTIVE";
  std::string revision_id;  // the current definition revision (see DefinitionRevision)
  std::string definition;   // text of the current revision
  std::string role_arn;
  std::string description;
  std::string logging_configuration;  // JSON text, empty if not set
  std::string tracing_configuration;  // JSON text, empty if not set
  int64_t creation_ms = 0;
  int64_t update_ms = 0;  // 0 until the first UpdateStateMachine
};

// A definition as it was when executions started from it: executions keep the revision
// they started with even after UpdateStateMachine.
struct DefinitionRevision {
  std::string revision_id;
  std::string state_machine_arn;
  std::string definition;
  std::string role_arn;
  int64_t created_ms = 0;
};

struct ActivityRecord {
  std::string arn;
  std::string name;
  int64_t creation_ms = 0;
};

struct ExecutionRecord {
  int64_t id = 0;  // allocated by Store::allocate_execution_id() before the first write
  std::string arn;
  std::string state_machine_arn;
  std::string name;
  std::string revision_id;
  std::string status = "RUNNING";  // RUNNING SUCCEEDED FAILED TIMED_OUT ABORTED
  std::string input;               // JSON text
  std::optional<std::string> output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  int64_t start_ms = 0;
  int64_t stop_ms = 0;      // 0 while running
  std::string state;        // the engine's runtime state, JSON text
  int64_t version = 0;      // bumped by every write; guards against lost updates
  int64_t event_count = 0;  // id of the last history event
  // RedriveExecution: how many redrives started, when the last one did (0 = never), and the
  // clientToken it carried (a repeat within 15 minutes gets the same answer).
  int64_t redrive_count = 0;
  int64_t redrive_ms = 0;
  std::string redrive_token;
  // Open tasks waiting for a worker's SendTaskSuccess/Failure (activity and .waitForTaskToken
  // tasks); computed by every step, 0 once closed. Summed for GET /metrics.
  int64_t callback_tasks = 0;
};

struct HistoryEventRecord {
  int64_t id = 0;  // 1, 2, 3 ... within the execution
  int64_t previous_id = 0;
  int64_t timestamp_ms = 0;
  std::string type;     // AWS HistoryEventType, e.g. "TaskStateEntered"
  std::string details;  // JSON text of the *EventDetails member ("" when the type has none)
};

// A timer belongs to an execution and is named by a tag unique within it ("wait", "timeout:7",
// "heartbeat:7", "retry", "execution-timeout"); setting a tag again moves it.
struct TimerRecord {
  int64_t execution_id = 0;
  std::string tag;
  int64_t due_ms = 0;
};

// A task waiting in an activity's queue until a worker polls GetActivityTask.
struct ActivityTaskRecord {
  int64_t id = 0;  // queue order; assigned by the store
  std::string activity_arn;
  int64_t execution_id = 0;
  int64_t task_seq = 0;  // the task attempt inside the execution
  std::string token;
  std::string input;  // JSON text
  int64_t created_ms = 0;
};

// An effect to run after commit (an HTTP call ...). Deleted by the write that records its outcome,
// so after a crash whatever is still here is dispatched again.
struct OutboxRecord {
  int64_t execution_id = 0;
  std::string key;      // unique within the execution, e.g. "http:7"
  std::string kind;     // "http"
  std::string payload;  // JSON text
  int64_t created_ms = 0;
};

// A statement of the Redshift Data API emulation (core/sql/redshift_data.h): one
// ExecuteStatement or BatchExecuteStatement, or the SQL of a SQL step. Written again at each
// status change, so that DescribeStatement and GetStatementResult survive a restart.
struct SqlStatementRecord {
  std::string id;                    // uuid; a batch's sub-statements are "<id>:1", "<id>:2" ...
  std::string status = "SUBMITTED";  // SUBMITTED PICKED STARTED FINISHED FAILED ABORTED
  std::string target;                // name of the sql_targets entry it runs on
  // As the request gave them ("" when not given).
  std::string cluster_identifier;
  std::string workgroup_name;
  std::string secret_arn;
  std::string database;
  std::string db_user;
  std::string statement_name;
  // The SQL text; for a batch (is_batch) a JSON array of the statements' texts.
  std::string query_string;
  bool is_batch = false;
  std::string query_parameters;  // JSON text of the request's Parameters; "" when none
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t duration_ns = -1;  // -1 until it ends
  std::string error;         // "" unless FAILED or ABORTED
  bool has_result_set = false;
  int64_t result_rows = -1;
  int64_t result_size = 0;
  int64_t redshift_pid = 0;
  // Batches: JSON array of SubStatementData objects (Id "<id>:<n>", Status, QueryString,
  // Duration, Error, HasResultSet, ResultRows, ResultSize, RedshiftQueryId, CreatedAt,
  // UpdatedAt); "" for a single statement.
  std::string sub_statements;
  // JSON array with one {"ColumnMetadata": [...], "Records": [...]} per statement that ran
  // (a single statement has one). "" until it ends. Large: get_sql_statement() leaves it out;
  // read it with get_sql_statement_result().
  std::string result;
  // The Step Functions task that owns it; 0 when it came through the API or aws-sdk.
  int64_t execution_id = 0;
  int64_t task_seq = 0;
  std::string client_token;
};

// A key clients authenticate with (core/auth/). The secret is stored only sealed under the master
// key, which the store never sees.
struct AccessKeyRecord {
  std::string access_key_id;      // 20 upper-case letters and digits, "STPD..."
  std::string role;               // admin, operator or worker
  std::string secret_ciphertext;  // sealed secret (core/auth/secret_box.h), hex text
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0 while the key works
};

}  // namespace stepd::store

#pragma once
// The functional core: advance(execution, event) → the execution after the event, the history
// events it wrote, and the waits it starts (timers, activity tasks, HTTP calls), all as one
// store write. No I/O, no threads, no clock reads: time and randomness come in the context, so
// the same inputs always give the same output.
//
// Instant states (Pass, Choice, Succeed, Fail, and the entry of every state) run inside one
// call until the execution reaches something that waits (a task, a Wait state, a retry
// back-off) or ends.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/asl/model.h"
#include "core/common/clock.h"
#include "core/common/token_codec.h"
#include "core/engine/engine_event.h"
#include "core/store/records.h"
#include "core/store/store.h"

namespace stepd::engine {

// Reads the execution's data rows (store::Store::get_data / scan_data). Rows written by the
// step being computed are not there yet; advance() keeps those itself.
class DataReader {
 public:
  virtual ~DataReader() = default;
  virtual std::optional<std::string> get(const std::string& key) = 0;
  virtual std::vector<std::pair<std::string, std::string>> scan(const std::string& prefix) = 0;
};

// TestState: one state run with stand-ins for what it would call, and a record of how it went.
struct TestHooks {
  // For Task, Map and Parallel states: the state's result instead of running it, or the error
  // it raises instead.
  std::optional<Json> mock_result;
  std::optional<StatesError> mock_error;
  int64_t retrier_retry_count = 0;          // retries the matching retrier has already made
  int64_t map_iteration_failure_count = 0;  // Map with a mock result: iterations that failed
  std::optional<Json> context;              // merged over the generated context object ($$)
  // Filled by advance(): the AWS InspectionData fields the state produced (input,
  // afterInputPath, afterParameters, afterItemsPath, afterItemSelector, result,
  // afterResultSelector, afterResultPath, variables, toleratedFailureCount,
  // toleratedFailurePercentage, maxConcurrency) and errorDetails {catchIndex} or
  // {retryIndex, retryBackoffIntervalSeconds} when an error was caught or will be retried.
  Json inspection = Json::object();
  std::optional<StatesError> raised;  // the error the state raised, if any
};

struct TransitionContext {
  const asl::StateMachine& machine;
  int64_t now_ms = 0;
  IdSource& ids;
  const TokenCodec& tokens;
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::string state_machine_name;
  std::string role_arn;
  int64_t history_limit = 25000;
  DataReader* data = nullptr;  // null: the execution has no stored data rows (a new one)
  TestHooks* test = nullptr;   // TestState only
};

struct Transition {
  // false: the event no longer applies (a task that was already answered or timed out, a
  // timer that was moved, an execution that ended); nothing needs writing.
  bool applied = false;
  store::ExecutionWrite write;  // write.execution is the execution after the event
};

// Timer tags.
inline constexpr const char* kTimerWait = "wait";
inline constexpr const char* kTimerRetry = "retry";
inline constexpr const char* kTimerTaskTimeout = "task-timeout";
inline constexpr const char* kTimerHeartbeat = "heartbeat";
inline constexpr const char* kTimerExecutionTimeout = "execution-timeout";

// Runtime state of a new execution (to be passed to advance with a kStart event).
store::ExecutionRecord new_execution_record(int64_t id, std::string arn, std::string sm_arn,
                                            std::string name, std::string revision_id,
                                            std::string input_json, int64_t now_ms);

Transition advance(const store::ExecutionRecord& execution, const EngineEvent& event,
                   const TransitionContext& ctx);

// Retry arithmetic, exposed for tests: the delay before retry number `attempt` (0-based)
// of `retrier`, before jitter; `random01` in [0,1) applies FULL jitter.
int64_t retry_delay_ms(const asl::Retrier& retrier, int64_t attempt, double random01);

// Whether an error name is matched by an ErrorEquals entry, with the States.ALL /
// States.TaskFailed / States.HeartbeatTimeout rules.
bool error_matches(const std::string& pattern, const std::string& error, bool heartbeat_timeout);

}  // namespace stepd::engine

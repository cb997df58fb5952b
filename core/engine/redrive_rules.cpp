#include "core/engine/redrive_rules.h"

namespace stepd::engine {

std::optional<std::string> not_redrivable_reason(const store::ExecutionRecord& execution,
                                                 int64_t now_ms, int64_t history_limit) {
  const std::string& status = execution.status;
  if (status != "FAILED" && status != "TIMED_OUT" && status != "ABORTED") {
    return "Execution is " + status + " and cannot be redriven";
  }
  if (now_ms - execution.stop_ms >= kRedrivePeriodMs) {
    return "Execution redrivable period exceeded";
  }
  if (now_ms - execution.start_ms >= kMaxExecutionMs) {
    return "Execution has exceeded the max execution time";
  }
  if (execution.event_count >= history_limit - 1) {
    return "Execution history event limit exceeded";
  }
  return std::nullopt;
}

}  // namespace stepd::engine

// StartExecution, DescribeExecution, ListExecutions, StopExecution, RedriveExecution,
// GetExecutionHistory.
#include "core/common/api_error.h"
#include "core/engine/history_event.h"
#include "core/engine/redrive_rules.h"
#include "core/ops/arn.h"
#include "core/ops/service.h"
#include "core/ops/validation.h"

namespace stepd::ops {
namespace {

const std::vector<std::string_view> kStatuses = {"RUNNING",   "SUCCEEDED", "FAILED",
                                                 "TIMED_OUT", "ABORTED",   "PENDING_REDRIVE"};

[[noreturn]] void invalid_cursor() {
  throw ApiError("InvalidToken", "Invalid Token: 'nextToken is not a token this server issued'");
}

Json render_event(const store::HistoryEventRecord& ev, bool include_data) {
  Json out = {{"timestamp", timestamp(ev.timestamp_ms)},
              {"type", ev.type},
              {"id", ev.id},
              {"previousEventId", ev.previous_id}};
  std::string member = engine::details_member(ev.type);
  if (member.empty() || ev.details.empty()) return out;
  Json details = Json::parse(ev.details, nullptr, false);
  if (!details.is_object()) return out;  // written by us; a bad row is not worth failing on
  if (!include_data) {
    // AWS drops the payloads and keeps their *Details (truncation flags).
    details.erase("input");
    details.erase("output");
  }
  out[member] = std::move(details);
  return out;
}

}  // namespace

Json describe_execution_json(const store::ExecutionRecord& e, bool include_data, int64_t now_ms,
                             int64_t history_limit) {
  Json out = {{"executionArn", e.arn},
              {"stateMachineArn", e.state_machine_arn},
              {"name", e.name},
              {"status", e.status},
              {"startDate", timestamp(e.start_ms)}};
  if (e.stop_ms != 0) out["stopDate"] = timestamp(e.stop_ms);
  if (include_data) out["input"] = e.input;
  out["inputDetails"] = {{"included", include_data}};
  if (e.output) {
    if (include_data) out["output"] = *e.output;
    out["outputDetails"] = {{"included", include_data}};
  }
  if (e.error) out["error"] = *e.error;
  if (e.cause) out["cause"] = *e.cause;
  out["redriveCount"] = e.redrive_count;
  if (e.redrive_ms != 0) out["redriveDate"] = timestamp(e.redrive_ms);
  // Asked of the same rule RedriveExecution obeys, so "REDRIVABLE" is a promise.
  if (auto reason = engine::not_redrivable_reason(e, now_ms, history_limit)) {
    out["redriveStatus"] = "NOT_REDRIVABLE";
    out["redriveStatusReason"] = *reason;
  } else {
    out["redriveStatus"] = "REDRIVABLE";
  }
  return out;
}

void Service::start_execution(const Json& req, Reply reply) {
  RequestReader r(req);
  auto sm_arn = r.string("stateMachineArn", arn_rule(true));
  auto name = r.string("name", name_rule(false));
  auto input = r.string("input", payload_rule(false));
  r.string("traceHeader", {.max = 256});
  r.done();

  require_states_arn(*sm_arn, "stateMachine", 1, 2);
  if (name) check_name(*name);
  std::string input_text = input.value_or("{}");
  check_json_text(input_text, "InvalidExecutionInput", "Invalid State Machine Execution Input");
  auto sm = require_state_machine(*sm_arn);
  if (sm.status != "ACTIVE") {
    throw ApiError("StateMachineDeleting", "State Machine is being deleted: '" + sm.arn + "'");
  }
  // Answered once the start is durable, without holding this thread across the commit.
  engine_.start_execution_async(
      sm, name ? *name : ids_.uuid(), input_text,
      [reply = std::move(reply)](const store::ExecutionRecord* execution, bool /*created*/,
                                 std::exception_ptr error) {
        if (error) return reply(Json(), std::move(error));
        reply({{"executionArn", execution->arn}, {"startDate", timestamp(execution->start_ms)}},
              nullptr);
      });
}

Json Service::describe_execution(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("executionArn", arn_rule(true));
  auto included = r.string("includedData", {.one_of = {"ALL_DATA", "METADATA_ONLY"}});
  r.done();
  require_states_arn(*arn, "execution", 2, 2);
  return describe_execution_json(require_execution(*arn),
                                 included.value_or("ALL_DATA") == "ALL_DATA", now_ms(),
                                 history_limit());
}

Json Service::list_executions(const Json& req) {
  RequestReader r(req);
  auto sm_arn = r.string("stateMachineArn", arn_rule(false));
  auto status = r.string("statusFilter", {.one_of = kStatuses});
  auto max_results = r.integer("maxResults", 0, kMaxPageSize);
  auto next_token = r.string("nextToken", token_rule(3096));
  auto map_run_arn = r.string("mapRunArn", {.min = 1, .max = 2000});
  auto redrive = r.string("redriveFilter", {.one_of = {"REDRIVEN", "NOT_REDRIVEN"}});
  r.done();

  if (sm_arn && map_run_arn) {
    throw ApiError("ValidationException",
                   "Only one of stateMachineArn or mapRunArn may be specified");
  }
  if (map_run_arn) {
    require_states_arn(*map_run_arn, "mapRun", 2, 2);
    // Distributed Map runs do not exist in stepd, so no map run can be found.
    throw ApiError("ResourceNotFound", "Map Run Does Not Exist: '" + *map_run_arn + "'");
  }
  if (!sm_arn) {
    throw ApiError("ValidationException", "Must provide a StateMachine ARN or MapRun ARN");
  }
  require_states_arn(*sm_arn, "stateMachine", 1, 2);
  require_state_machine(*sm_arn);

  Json scope = {{"op", "ListExecutions"},
                {"arn", *sm_arn},
                {"status", status.value_or("")},
                {"redrive", redrive.value_or("")}};
  store::Page page{tokens_.open(next_token, scope), page_size(max_results)};
  std::vector<store::ExecutionRecord> rows;
  std::string next;
  try {
    rows =
        store_.list_executions({*sm_arn, status.value_or(""), redrive.value_or("")}, page, &next);
  } catch (const std::invalid_argument&) {
    invalid_cursor();
  }
  Json items = Json::array();
  for (const auto& e : rows) {
    Json item = {{"executionArn", e.arn},
                 {"stateMachineArn", e.state_machine_arn},
                 {"name", e.name},
                 {"status", e.status},
                 {"startDate", timestamp(e.start_ms)}};
    if (e.stop_ms != 0) item["stopDate"] = timestamp(e.stop_ms);
    item["redriveCount"] = e.redrive_count;
    if (e.redrive_ms != 0) item["redriveDate"] = timestamp(e.redrive_ms);
    items.push_back(std::move(item));
  }
  Json out = {{"executions", std::move(items)}};
  if (auto t = tokens_.issue(scope, next); !t.empty()) out["nextToken"] = t;
  return out;
}

Json Service::stop_execution(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("executionArn", arn_rule(true));
  auto error = r.string("error", error_rule());
  auto cause = r.string("cause", cause_rule());
  r.done();
  require_states_arn(*arn, "execution", 2, 2);
  auto execution = engine_.stop_execution(*arn, error.value_or(""), cause.value_or(""));
  return {{"stopDate", timestamp(execution.stop_ms != 0 ? execution.stop_ms : now_ms())}};
}

Json Service::redrive_execution(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("executionArn", arn_rule(true));
  auto client_token = r.string("clientToken", client_token_rule());
  r.done();
  require_states_arn(*arn, "execution", 2, 2);
  // The engine answers ExecutionDoesNotExist and ExecutionNotRedrivable itself: whether a
  // redrive may start is decided under the execution's lock, where the row cannot move.
  auto execution = engine_.redrive_execution(*arn, client_token.value_or(""));
  return {{"redriveDate", timestamp(execution.redrive_ms)}};
}

Json Service::get_execution_history(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("executionArn", arn_rule(true));
  auto max_results = r.integer("maxResults", 0, kMaxPageSize);
  auto reverse = r.boolean("reverseOrder");
  auto next_token = r.string("nextToken", token_rule(1024));
  auto include_data = r.boolean("includeExecutionData");
  r.done();
  require_states_arn(*arn, "execution", 2, 2);
  auto execution = require_execution(*arn);

  Json scope = {{"op", "GetExecutionHistory"}, {"arn", *arn}, {"reverse", reverse.value_or(false)}};
  store::Page page{tokens_.open(next_token, scope), page_size(max_results)};
  std::string next;
  std::vector<store::HistoryEventRecord> rows;
  try {
    rows = store_.get_history(execution.id, page, reverse.value_or(false), &next);
  } catch (const std::invalid_argument&) {
    invalid_cursor();
  }
  Json events = Json::array();
  for (const auto& ev : rows) events.push_back(render_event(ev, include_data.value_or(true)));
  Json out = {{"events", std::move(events)}};
  if (auto t = tokens_.issue(scope, next); !t.empty()) out["nextToken"] = t;
  return out;
}

}  // namespace stepd::ops

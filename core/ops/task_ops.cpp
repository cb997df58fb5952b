// SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat: validated here, decided by the
// callback service (InvalidToken, TaskTimedOut).
#include "core/common/api_error.h"
#include "core/ops/service.h"
#include "core/ops/validation.h"

namespace stepd::ops {

Json Service::send_task_success(const Json& req) {
  RequestReader r(req);
  auto token = r.string("taskToken", task_token_rule());
  auto output = r.string("output", payload_rule(true));
  r.done();
  check_json_text(*output, "InvalidOutput", "Invalid Output");
  callbacks_.send_success(*token, *output);
  return Json::object();
}

Json Service::send_task_failure(const Json& req) {
  RequestReader r(req);
  auto token = r.string("taskToken", task_token_rule());
  auto error = r.string("error", error_rule());
  auto cause = r.string("cause", cause_rule());
  r.done();
  callbacks_.send_failure(*token, error.value_or(""), cause.value_or(""));
  return Json::object();
}

Json Service::send_task_heartbeat(const Json& req) {
  RequestReader r(req);
  auto token = r.string("taskToken", task_token_rule());
  r.done();
  callbacks_.send_heartbeat(*token);
  return Json::object();
}

}  // namespace stepd::ops

// SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat: validated here, decided by the
// callback service (InvalidToken, TaskTimedOut).
#include "core/common/api_error.h"
#include "core/ops/service.h"
#include "core/ops/validation.h"

namespace stepd::ops {

namespace {

// The callback service's answer as the action's: `{}` once applied.
tasks::CallbackService::Done reply_empty(Operations::Reply reply) {
  return [reply = std::move(reply)](std::exception_ptr error) {
    reply(error ? Json() : Json::object(), std::move(error));
  };
}

}  // namespace

void Service::send_task_success(const Json& req, Reply reply) {
  RequestReader r(req);
  auto token = r.string("taskToken", task_token_rule());
  auto output = r.string("output", payload_rule(true));
  r.done();
  check_json_text(*output, "InvalidOutput", "Invalid Output");
  callbacks_.send_success(*token, *output, reply_empty(std::move(reply)));
}

void Service::send_task_failure(const Json& req, Reply reply) {
  RequestReader r(req);
  auto token = r.string("taskToken", task_token_rule());
  auto error = r.string("error", error_rule());
  auto cause = r.string("cause", cause_rule());
  r.done();
  callbacks_.send_failure(*token, error.value_or(""), cause.value_or(""),
                          reply_empty(std::move(reply)));
}

void Service::send_task_heartbeat(const Json& req, Reply reply) {
  RequestReader r(req);
  auto token = r.string("taskToken", task_token_rule());
  r.done();
  callbacks_.send_heartbeat(*token, reply_empty(std::move(reply)));
}

}  // namespace stepd::ops

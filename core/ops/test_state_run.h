#pragma once
// TestState's run of one state. The pure transition function runs a throwaway execution of a
// small machine (the state under test, plus a Succeed stand-in for every state it can move to)
// that lives in memory only, and the history events it writes are read back as AWS's
// TestState answer: what the state output, where it would go next, or the error it raised.
// Nothing is stored. Only the call of an http:invoke task leaves the process; a Wait state's
// timer is fired at once.
#include <cstdint>
#include <memory>
#include <string>

#include "core/asl/model.h"
#include "core/common/clock.h"
#include "core/common/json.h"
#include "core/common/token_codec.h"
#include "core/engine/transition.h"
#include "core/ops/operations.h"
#include "core/tasks/http_invoker.h"

namespace stepd::ops {

struct TestStateSetup {
  std::shared_ptr<const asl::StateMachine> machine;  // StartAt is the state under test
  std::string input = "{}";                          // JSON text
  Json variables = Json::object();                   // the variables the state starts with
  engine::TestHooks hooks;                           // mock, state configuration, context
  std::string inspection_level = "INFO";             // INFO, DEBUG or TRACE
  std::string role_arn;
  std::string region = "us-east-1";
  std::string account = "123456789012";
  int64_t time_limit_ms = 5 * 60 * 1000;  // AWS stops a test after five minutes
};

struct TestStateServices {
  const Clock& clock;
  IdSource& ids;
  std::shared_ptr<const TokenCodec> tokens;  // seals task tokens nobody can redeem
  tasks::HttpInvoker& http;
};

// Runs the state and replies with the TestStateOutput: at once, or from the HTTP client's
// thread after an HTTP call. What the state did, errors included, is the answer (status
// FAILED ...); `reply` gets an exception only when stepd itself fails.
void run_test_state(TestStateSetup setup, TestStateServices services, Operations::Reply reply);

}  // namespace stepd::ops

// StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory and
// wait_for_execution.
#include "ops_fixture.h"

namespace stepd::ops::testing {
namespace {

using ExecutionOpsTest = OpsTest;

const std::string kExecArn = "arn:aws:states:us-east-1:123456789012:execution:";

TEST_F(ExecutionOpsTest, StartValidation) {
  std::string sm = create_machine("m");
  EXPECT_EQ(error_type("StartExecution", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("StartExecution", {{"stateMachineArn", sm}, {"input", Json::object()}}),
            "ValidationException");
  EXPECT_EQ(error_type("StartExecution", {{"stateMachineArn", sm}, {"name", ""}}),
            "ValidationException");
  EXPECT_EQ(error_type("StartExecution", {{"stateMachineArn", sm}, {"name", std::string(81, 'e')}}),
            "ValidationException");
  EXPECT_EQ(error_type("StartExecution", {{"stateMachineArn", sm}, {"name", "a b"}}),
            "InvalidName");
  EXPECT_EQ(error_type("StartExecution", {{"stateMachineArn", "nope"}}), "InvalidArn");
  EXPECT_EQ(
      error_type("StartExecution",
                 {{"stateMachineArn", "arn:aws:states:us-east-1:123456789012:stateMachine:x"}}),
      "StateMachineDoesNotExist");
  auto e = fail("StartExecution", {{"stateMachineArn", sm}, {"input", "{not json"}});
  EXPECT_EQ(e.type(), "InvalidExecutionInput");
  EXPECT_TRUE(e.message().starts_with("Invalid State Machine Execution Input: '")) << e.message();

  // Nesting deep enough to exhaust the stack of whatever walks it recursively is refused.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(error_type("StartExecution", {{"stateMachineArn", sm}, {"input", deep}}),
            "InvalidExecutionInput");

  std::string big = "\"" + std::string(262143, 'x') + "\"";  // 262145 bytes
  e = fail("StartExecution", {{"stateMachineArn", sm}, {"input", big}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_NE(e.message().find("'input'"), std::string::npos);
  std::string fits = "\"" + std::string(262142, 'x') + "\"";  // exactly 262144 bytes
  call("StartExecution", {{"stateMachineArn", sm}, {"input", fits}});

  // Refused starts wrote nothing.
  Json list = call("ListExecutions", {{"stateMachineArn", sm}});
  EXPECT_EQ(list["executions"].size(), 1u);
}

TEST_F(ExecutionOpsTest, StartWithoutNameOrInput) {
  std::string sm = create_machine("m");
  clock_.set_ms(1700000000500);
  Json r = call("StartExecution", {{"stateMachineArn", sm}});
  std::string arn = r["executionArn"];
  EXPECT_TRUE(arn.starts_with(kExecArn + "m:")) << arn;
  EXPECT_EQ(arn.size(), (kExecArn + "m:").size() + 36);  // a UUID
  EXPECT_EQ(r["startDate"].dump(), "1700000000.5");
  Json d = call("DescribeExecution", {{"executionArn", arn}});
  EXPECT_EQ(d["input"], "{}");
}

TEST_F(ExecutionOpsTest, StartIsIdempotentWhileRunningWithTheSameInput) {
  std::string sm = create_machine("w", kWaitMachine);
  Json first =
      call("StartExecution", {{"stateMachineArn", sm}, {"name", "e1"}, {"input", R"({"a":1})"}});
  clock_.advance_ms(2000);
  Json again =
      call("StartExecution", {{"stateMachineArn", sm}, {"name", "e1"}, {"input", R"({"a":1})"}});
  EXPECT_EQ(again, first);
  EXPECT_EQ(error_type("StartExecution",
                       {{"stateMachineArn", sm}, {"name", "e1"}, {"input", R"({"a":2})"}}),
            "ExecutionAlreadyExists");

  // A closed execution's name cannot be reused.
  std::string pass = create_machine("p");
  start(pass, "done");
  EXPECT_EQ(error_type("StartExecution", {{"stateMachineArn", pass}, {"name", "done"}}),
            "ExecutionAlreadyExists");
}

TEST_F(ExecutionOpsTest, DescribeSucceededExecution) {
  std::string sm = create_machine("m");
  clock_.set_ms(1700000001000);
  std::string arn = start(sm, "e", R"({"x":1})");
  Outcome w = wait_for(arn, 10);
  ASSERT_FALSE(w.error);
  EXPECT_EQ(w.response["status"], "SUCCEEDED");
  EXPECT_EQ(w.response["input"], R"({"x":1})");
  // A wait asked for metadata only leaves the data out, as DescribeExecution does.
  Outcome waited_meta = wait_for(arn, 10, false);
  ASSERT_FALSE(waited_meta.error);
  EXPECT_FALSE(waited_meta.response.contains("input"));
  EXPECT_FALSE(waited_meta.response.contains("output"));
  EXPECT_EQ(waited_meta.response["inputDetails"]["included"], false);

  Json d = call("DescribeExecution", {{"executionArn", arn}});
  EXPECT_EQ(d["executionArn"], arn);
  EXPECT_EQ(d["stateMachineArn"], sm);
  EXPECT_EQ(d["name"], "e");
  EXPECT_EQ(d["status"], "SUCCEEDED");
  EXPECT_EQ(d["startDate"].dump(), "1700000001.0");
  EXPECT_TRUE(d.contains("stopDate"));
  EXPECT_EQ(d["input"], R"({"x":1})");
  EXPECT_EQ(Json::parse(d["output"].get<std::string>()), Json({{"done", true}}));
  EXPECT_EQ(d["inputDetails"], Json({{"included", true}}));
  EXPECT_EQ(d["outputDetails"], Json({{"included", true}}));
  EXPECT_EQ(d["redriveCount"], 0);
  EXPECT_EQ(d["redriveStatus"], "NOT_REDRIVABLE");
  EXPECT_EQ(d["redriveStatusReason"], "Execution is SUCCEEDED and cannot be redriven");
  EXPECT_FALSE(d.contains("error"));

  Json meta = call("DescribeExecution", {{"executionArn", arn}, {"includedData", "METADATA_ONLY"}});
  EXPECT_FALSE(meta.contains("input"));
  EXPECT_FALSE(meta.contains("output"));

  EXPECT_EQ(error_type("DescribeExecution", {{"executionArn", kExecArn + "m:nope"}}),
            "ExecutionDoesNotExist");
  EXPECT_EQ(error_type("DescribeExecution", {{"executionArn", sm}}), "InvalidArn");
  EXPECT_EQ(error_type("DescribeExecution", {{"executionArn", 12}}), "ValidationException");
}

TEST_F(ExecutionOpsTest, StopRunningExecution) {
  std::string sm = create_machine("w", kWaitMachine);
  std::string arn = start(sm, "e");
  EXPECT_EQ(call("DescribeExecution", {{"executionArn", arn}})["status"], "RUNNING");
  EXPECT_EQ(error_type("StopExecution", {{"executionArn", arn}, {"error", std::string(257, 'e')}}),
            "ValidationException");
  EXPECT_EQ(
      error_type("StopExecution", {{"executionArn", arn}, {"cause", std::string(32769, 'c')}}),
      "ValidationException");
  EXPECT_EQ(call("DescribeExecution", {{"executionArn", arn}})["status"], "RUNNING");

  clock_.advance_ms(3000);
  Json r = call("StopExecution", {{"executionArn", arn}, {"error", "Oops"}, {"cause", "because"}});
  ASSERT_TRUE(r["stopDate"].is_number());
  Json d = call("DescribeExecution", {{"executionArn", arn}});
  EXPECT_EQ(d["status"], "ABORTED");
  EXPECT_EQ(d["stopDate"], r["stopDate"]);
  EXPECT_EQ(error_type("StopExecution", {{"executionArn", kExecArn + "w:nope"}}),
            "ExecutionDoesNotExist");
}

TEST_F(ExecutionOpsTest, ListExecutionsPagesOver250NewestFirst) {
  std::string sm = create_machine("m");
  std::string other = create_machine("w", kWaitMachine);
  for (int i = 0; i < 250; ++i) {
    clock_.advance_ms(1);
    start(sm, "e" + std::to_string(1000 + i));
  }
  start(other, "running");

  std::vector<std::string> names;
  std::optional<std::string> token;
  std::vector<size_t> page_sizes;
  do {
    Json req = {{"stateMachineArn", sm}, {"maxResults", 100}};
    if (token) req["nextToken"] = *token;
    Json r = call("ListExecutions", req);
    page_sizes.push_back(r["executions"].size());
    for (const auto& e : r["executions"]) {
      EXPECT_EQ(e["stateMachineArn"], sm);
      EXPECT_TRUE(e.contains("startDate"));
      names.push_back(e["name"]);
    }
    token =
        r.contains("nextToken") ? std::optional(r["nextToken"].get<std::string>()) : std::nullopt;
  } while (token && page_sizes.size() < 10);
  EXPECT_EQ(page_sizes, (std::vector<size_t>{100, 100, 50}));
  ASSERT_EQ(names.size(), 250u);
  EXPECT_EQ(names.front(), "e1249");
  EXPECT_EQ(names.back(), "e1000");
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 250u);

  // The default page is 100; a filter that matches none gives none.
  EXPECT_EQ(call("ListExecutions", {{"stateMachineArn", sm}})["executions"].size(), 100u);
  EXPECT_EQ(
      call("ListExecutions", {{"stateMachineArn", sm}, {"statusFilter", "RUNNING"}})["executions"]
          .size(),
      0u);
  Json running = call("ListExecutions", {{"stateMachineArn", other}, {"statusFilter", "RUNNING"}});
  ASSERT_EQ(running["executions"].size(), 1u);
  EXPECT_FALSE(running["executions"][0].contains("stopDate"));

  // A token belongs to its request.
  Json first = call("ListExecutions", {{"stateMachineArn", sm}, {"maxResults", 10}});
  std::string t = first["nextToken"];
  EXPECT_EQ(error_type("ListExecutions", {{"stateMachineArn", other}, {"nextToken", t}}),
            "InvalidToken");
  EXPECT_EQ(error_type("ListExecutions",
                       {{"stateMachineArn", sm}, {"statusFilter", "FAILED"}, {"nextToken", t}}),
            "InvalidToken");
  EXPECT_EQ(error_type("ListExecutions", {{"stateMachineArn", sm}, {"nextToken", "xyz"}}),
            "InvalidToken");
  // Changing the page size between pages is allowed.
  EXPECT_EQ(call("ListExecutions",
                 {{"stateMachineArn", sm}, {"nextToken", t}, {"maxResults", 5}})["executions"]
                .size(),
            5u);
}

TEST_F(ExecutionOpsTest, ListExecutionsValidation) {
  std::string sm = create_machine("m");
  EXPECT_EQ(error_type("ListExecutions", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("ListExecutions", {{"stateMachineArn", sm}, {"maxResults", 1001}}),
            "ValidationException");
  EXPECT_EQ(error_type("ListExecutions", {{"stateMachineArn", sm}, {"statusFilter", "DONE"}}),
            "ValidationException");
  EXPECT_EQ(error_type("ListExecutions", {{"stateMachineArn", "bad"}}), "InvalidArn");
  EXPECT_EQ(
      error_type("ListExecutions",
                 {{"stateMachineArn", "arn:aws:states:us-east-1:123456789012:stateMachine:x"}}),
      "StateMachineDoesNotExist");
}

TEST_F(ExecutionOpsTest, HistoryRendering) {
  std::string sm = create_machine("m");
  std::string arn = start(sm, "e", R"({"in":1})");
  wait_for(arn, 10);

  Json h = call("GetExecutionHistory", {{"executionArn", arn}});
  const Json& events = h["events"];
  ASSERT_GE(events.size(), 4u);
  EXPECT_FALSE(h.contains("nextToken"));
  EXPECT_EQ(events[0]["type"], "ExecutionStarted");
  EXPECT_EQ(events[0]["id"], 1);
  EXPECT_EQ(events[0]["previousEventId"], 0);
  EXPECT_TRUE(events[0]["timestamp"].is_number());
  ASSERT_TRUE(events[0].contains("executionStartedEventDetails"));
  EXPECT_EQ(events[0]["executionStartedEventDetails"]["input"], R"({"in":1})");
  EXPECT_EQ(events.back()["type"], "ExecutionSucceeded");
  ASSERT_TRUE(events.back().contains("executionSucceededEventDetails"));
  EXPECT_TRUE(events.back()["executionSucceededEventDetails"].contains("output"));
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i]["id"], static_cast<int>(i + 1));

  Json lean = call("GetExecutionHistory", {{"executionArn", arn}, {"includeExecutionData", false}});
  ASSERT_EQ(lean["events"].size(), events.size());
  EXPECT_FALSE(lean["events"][0]["executionStartedEventDetails"].contains("input"));
  EXPECT_FALSE(lean["events"].back()["executionSucceededEventDetails"].contains("output"));

  Json reversed = call("GetExecutionHistory", {{"executionArn", arn}, {"reverseOrder", true}});
  EXPECT_EQ(reversed["events"][0], events.back());

  // Pages of two, forwards, give the same events.
  Json all = Json::array();
  std::optional<std::string> token;
  for (int guard = 0; guard < 50; ++guard) {
    Json req = {{"executionArn", arn}, {"maxResults", 2}};
    if (token) req["nextToken"] = *token;
    Json page = call("GetExecutionHistory", req);
    EXPECT_LE(page["events"].size(), 2u);
    for (auto& e : page["events"]) all.push_back(e);
    if (!page.contains("nextToken")) break;
    token = page["nextToken"].get<std::string>();
  }
  EXPECT_EQ(all, events);
  ASSERT_TRUE(token);
  EXPECT_EQ(error_type("GetExecutionHistory",
                       {{"executionArn", arn}, {"nextToken", *token}, {"reverseOrder", true}}),
            "InvalidToken");

  EXPECT_EQ(error_type("GetExecutionHistory", {{"executionArn", kExecArn + "m:nope"}}),
            "ExecutionDoesNotExist");
  EXPECT_EQ(error_type("GetExecutionHistory", {{"executionArn", arn}, {"reverseOrder", "yes"}}),
            "ValidationException");
}

// A failing JSONata expression's EvaluationFailed event, as GetExecutionHistory renders it
// (AWS's shape: evaluationFailedEventDetails {error, cause, location, state}).
TEST_F(ExecutionOpsTest, HistoryRendersEvaluationFailed) {
  std::string sm = create_machine("j", R"({"QueryLanguage":"JSONata","StartAt":"S","States":{
      "S":{"Type":"Pass","Output":{"result":"{% $doesNotExist %}"},"End":true}}})");
  std::string arn = start(sm, "e");
  wait_for(arn, 10);
  Json events = call("GetExecutionHistory", {{"executionArn", arn}})["events"];
  ASSERT_EQ(events.size(), 4u) << events.dump();
  const Json& ev = events[2];
  EXPECT_EQ(ev["type"], "EvaluationFailed");
  EXPECT_EQ(ev["previousEventId"], 0);
  const std::string cause =
      "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata "
      "expression '$doesNotExist' specified for the field 'Output/result' returned nothing "
      "(undefined).";
  EXPECT_EQ(ev["evaluationFailedEventDetails"], (Json{{"error", "States.QueryEvaluationError"},
                                                      {"cause", cause},
                                                      {"location", "Output/result"},
                                                      {"state", "S"}}));
  EXPECT_EQ(events[3]["type"], "ExecutionFailed");
  EXPECT_EQ(events[3]["previousEventId"], 3);
}

TEST_F(ExecutionOpsTest, WaitForExecution) {
  std::string sm = create_machine("w", kWaitMachine);
  std::string arn = start(sm, "e");
  auto t0 = std::chrono::steady_clock::now();
  Outcome timed_out = wait_for(arn, 1);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  ASSERT_FALSE(timed_out.error);
  EXPECT_EQ(timed_out.response["status"], "RUNNING");

  // A waiter hears about the close.
  auto p = std::make_shared<std::promise<Outcome>>();
  auto f = p->get_future();
  service_->wait_for_execution(arn, 30, true, to_promise(p));
  call("StopExecution", {{"executionArn", arn}});
  Outcome closed = await(std::move(f));
  ASSERT_FALSE(closed.error);
  EXPECT_EQ(closed.response["status"], "ABORTED");

  // Already closed: at once.
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_for(arn, 30).response["status"], "ABORTED");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));

  Outcome missing = wait_for(kExecArn + "w:nope", 5);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(missing.error->type(), "ExecutionDoesNotExist");
}

TEST_F(ExecutionOpsTest, ShutdownAnswersWaiters) {
  std::string sm = create_machine("w", kWaitMachine);
  std::string arn = start(sm, "e");
  auto p = std::make_shared<std::promise<Outcome>>();
  auto f = p->get_future();
  service_->wait_for_execution(arn, 600, true, to_promise(p));
  service_->shutdown();
  Outcome o = await(std::move(f));
  EXPECT_EQ(o.response["status"], "RUNNING");
}

}  // namespace
}  // namespace stepd::ops::testing

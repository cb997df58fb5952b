// CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
// ListStateMachines, ValidateStateMachineDefinition, DescribeStateMachineForExecution.
#include "ops_fixture.h"

namespace stepd::ops::testing {
namespace {

using StateMachineOpsTest = OpsTest;

const std::string kSmArn = "arn:aws:states:us-east-1:123456789012:stateMachine:";

TEST_F(StateMachineOpsTest, ActionsListEveryOperation) {
  auto actions = service_->actions();
  for (const char* a : {"CreateStateMachine",
                        "DescribeStateMachine",
                        "UpdateStateMachine",
                        "DeleteStateMachine",
                        "ListStateMachines",
                        "ValidateStateMachineDefinition",
                        "DescribeStateMachineForExecution",
                        "StartExecution",
                        "DescribeExecution",
                        "ListExecutions",
                        "StopExecution",
                        "RedriveExecution",
                        "GetExecutionHistory",
                        "SendTaskSuccess",
                        "SendTaskFailure",
                        "SendTaskHeartbeat",
                        "CreateActivity",
                        "DescribeActivity",
                        "ListActivities",
                        "DeleteActivity",
                        "GetActivityTask"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), a), actions.end()) << a;
  }
  EXPECT_TRUE(service_->ready());
}

TEST_F(StateMachineOpsTest, UnknownActionIsUnknownOperation) {
  auto e = fail("MakeCoffee", Json::object());
  EXPECT_EQ(e.type(), "UnknownOperationException");
  EXPECT_EQ(e.http_status(), 400);
}

TEST_F(StateMachineOpsTest, CreateThenDescribe) {
  clock_.set_ms(1700000000123);
  Json r = call("CreateStateMachine",
                {{"name", "m1"}, {"definition", kPassMachine}, {"roleArn", kRole}});
  EXPECT_EQ(r["stateMachineArn"], kSmArn + "m1");
  EXPECT_EQ(r["creationDate"].dump(), "1700000000.123");

  Json d = call("DescribeStateMachine", {{"stateMachineArn", kSmArn + "m1"}});
  EXPECT_EQ(d["stateMachineArn"], kSmArn + "m1");
  EXPECT_EQ(d["name"], "m1");
  EXPECT_EQ(d["status"], "ACTIVE");
  EXPECT_EQ(d["definition"], kPassMachine);
  EXPECT_EQ(d["roleArn"], kRole);
  EXPECT_EQ(d["type"], "STANDARD");
  EXPECT_EQ(d["creationDate"].dump(), "1700000000.123");
  EXPECT_EQ(d["loggingConfiguration"], Json({{"level", "OFF"}, {"includeExecutionData", false}}));
  EXPECT_EQ(d["tracingConfiguration"], Json({{"enabled", false}}));
  EXPECT_FALSE(d.contains("revisionId"));
}

TEST_F(StateMachineOpsTest, CreateValidation) {
  auto e = fail("CreateStateMachine", Json::object());
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_TRUE(e.message().starts_with("3 validation errors detected")) << e.message();

  e = fail("CreateStateMachine", {{"definition", kPassMachine}, {"roleArn", kRole}});
  EXPECT_EQ(e.message(),
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
            "Member must not be null");

  EXPECT_EQ(error_type("CreateStateMachine",
                       {{"name", 7}, {"definition", kPassMachine}, {"roleArn", kRole}}),
            "ValidationException");
  EXPECT_EQ(
      error_type("CreateStateMachine",
                 {{"name", "m"}, {"definition", Json::parse(kPassMachine)}, {"roleArn", kRole}}),
      "ValidationException");
  EXPECT_EQ(error_type(
                "CreateStateMachine",
                {{"name", std::string(81, 'm')}, {"definition", kPassMachine}, {"roleArn", kRole}}),
            "ValidationException");
  EXPECT_EQ(
      error_type(
          "CreateStateMachine",
          {{"name", "m"}, {"definition", kPassMachine}, {"roleArn", kRole}, {"type", "FAST"}}),
      "ValidationException");
  EXPECT_EQ(error_type("CreateStateMachine", {{"name", "m"},
                                              {"definition", kPassMachine},
                                              {"roleArn", kRole},
                                              {"loggingConfiguration", "ALL"}}),
            "ValidationException");
  for (const char* bad : {"a b", "a/b", "a:b", "<m>", "a\x01"}) {
    EXPECT_EQ(error_type("CreateStateMachine",
                         {{"name", bad}, {"definition", kPassMachine}, {"roleArn", kRole}}),
              "InvalidName")
        << bad;
  }
  EXPECT_EQ(error_type("CreateStateMachine",
                       {{"name", "m"}, {"definition", kPassMachine}, {"roleArn", "role"}}),
            "InvalidArn");
  EXPECT_EQ(
      error_type(
          "CreateStateMachine",
          {{"name", "m"}, {"definition", kPassMachine}, {"roleArn", kRole}, {"type", "EXPRESS"}}),
      "StateMachineTypeNotSupported");
  e = fail("CreateStateMachine", {{"name", "m"}, {"definition", "{}"}, {"roleArn", kRole}});
  EXPECT_EQ(e.type(), "InvalidDefinition");
  EXPECT_TRUE(e.message().starts_with("Invalid State Machine Definition")) << e.message();
  EXPECT_EQ(error_type("CreateStateMachine",
                       {{"name", "m"}, {"definition", "not json"}, {"roleArn", kRole}}),
            "InvalidDefinition");
  EXPECT_EQ(error_type("CreateStateMachine", {{"name", "m"},
                                              {"definition", kPassMachine},
                                              {"roleArn", kRole},
                                              {"loggingConfiguration", {{"level", "ALL"}}}}),
            "InvalidLoggingConfiguration");

  // Nothing was written by any refused request.
  EXPECT_EQ(call("ListStateMachines", Json::object())["stateMachines"].size(), 0u);
}

TEST_F(StateMachineOpsTest, CreateIsIdempotentLikeAws) {
  clock_.set_ms(1700000000000);
  Json first =
      call("CreateStateMachine", {{"name", "m"}, {"definition", kPassMachine}, {"roleArn", kRole}});
  clock_.advance_ms(5000);
  Json again =
      call("CreateStateMachine", {{"name", "m"}, {"definition", kPassMachine}, {"roleArn", kRole}});
  EXPECT_EQ(again, first);
  // Sending the default configurations explicitly is the same request.
  Json explicit_defaults =
      call("CreateStateMachine", {{"name", "m"},
                                  {"definition", kPassMachine},
                                  {"roleArn", kRole},
                                  {"type", "STANDARD"},
                                  {"loggingConfiguration", {{"level", "OFF"}}},
                                  {"tracingConfiguration", {{"enabled", false}}}});
  EXPECT_EQ(explicit_defaults, first);
  // Another role does not count.
  EXPECT_EQ(call("CreateStateMachine", {{"name", "m"},
                                        {"definition", kPassMachine},
                                        {"roleArn", "arn:aws:iam::123456789012:role/other"}}),
            first);
  EXPECT_EQ(error_type("CreateStateMachine",
                       {{"name", "m"}, {"definition", kWaitMachine}, {"roleArn", kRole}}),
            "StateMachineAlreadyExists");
  EXPECT_EQ(error_type("CreateStateMachine", {{"name", "m"},
                                              {"definition", kPassMachine},
                                              {"roleArn", kRole},
                                              {"tracingConfiguration", {{"enabled", true}}}}),
            "StateMachineAlreadyExists");
}

TEST_F(StateMachineOpsTest, DescribeErrors) {
  EXPECT_EQ(error_type("DescribeStateMachine", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("DescribeStateMachine", {{"stateMachineArn", "garbage"}}), "InvalidArn");
  EXPECT_EQ(error_type("DescribeStateMachine",
                       {{"stateMachineArn", "arn:aws:states:us-east-1:123456789012:activity:a"}}),
            "InvalidArn");
  auto e = fail("DescribeStateMachine", {{"stateMachineArn", kSmArn + "nope"}});
  EXPECT_EQ(e.type(), "StateMachineDoesNotExist");
  EXPECT_NE(e.message().find(kSmArn + "nope"), std::string::npos);
}

TEST_F(StateMachineOpsTest, UpdateMakesANewRevisionAndOldExecutionsKeepTheirs) {
  std::string arn = create_machine("m", kWaitMachine);
  std::string exec = start(arn, "before");

  EXPECT_EQ(error_type("UpdateStateMachine", {{"stateMachineArn", arn}}),
            "MissingRequiredParameter");
  EXPECT_EQ(error_type("UpdateStateMachine", {{"stateMachineArn", arn}, {"definition", "{}"}}),
            "InvalidDefinition");
  EXPECT_EQ(error_type("UpdateStateMachine",
                       {{"stateMachineArn", kSmArn + "nope"}, {"definition", kPassMachine}}),
            "StateMachineDoesNotExist");
  EXPECT_EQ(error_type("UpdateStateMachine", {{"stateMachineArn", arn}, {"definition", 5}}),
            "ValidationException");

  clock_.advance_ms(1000);
  Json u = call("UpdateStateMachine", {{"stateMachineArn", arn}, {"definition", kPassMachine}});
  ASSERT_TRUE(u.contains("updateDate"));
  ASSERT_TRUE(u["revisionId"].is_string());

  Json d = call("DescribeStateMachine", {{"stateMachineArn", arn}});
  EXPECT_EQ(d["definition"], kPassMachine);
  EXPECT_EQ(d["revisionId"], u["revisionId"]);

  Json old = call("DescribeStateMachineForExecution", {{"executionArn", exec}});
  EXPECT_EQ(old["definition"], kWaitMachine);
  EXPECT_EQ(old["stateMachineArn"], arn);
  EXPECT_EQ(old["name"], "m");
  EXPECT_EQ(old["roleArn"], kRole);
  EXPECT_TRUE(old.contains("updateDate"));
  EXPECT_NE(old["revisionId"], u["revisionId"]);

  std::string after = start(arn, "after");
  Json now = call("DescribeStateMachineForExecution", {{"executionArn", after}});
  EXPECT_EQ(now["definition"], kPassMachine);
  EXPECT_EQ(now["revisionId"], u["revisionId"]);
}

TEST_F(StateMachineOpsTest, DeleteIsQuietForMissingMachines) {
  std::string arn = create_machine("gone");
  EXPECT_EQ(call("DeleteStateMachine", {{"stateMachineArn", arn}}), Json::object());
  EXPECT_EQ(error_type("DescribeStateMachine", {{"stateMachineArn", arn}}),
            "StateMachineDoesNotExist");
  EXPECT_EQ(call("DeleteStateMachine", {{"stateMachineArn", arn}}), Json::object());
  EXPECT_EQ(error_type("DeleteStateMachine", {{"stateMachineArn", "x"}}), "InvalidArn");
}

TEST_F(StateMachineOpsTest, ListStateMachinesPages) {
  for (int i = 0; i < 25; ++i) create_machine("m" + std::to_string(100 + i));
  std::set<std::string> seen;
  std::optional<std::string> token;
  int pages = 0;
  do {
    Json req = {{"maxResults", 10}};
    if (token) req["nextToken"] = *token;
    Json r = call("ListStateMachines", req);
    for (const auto& sm : r["stateMachines"]) {
      EXPECT_TRUE(sm.contains("creationDate"));
      EXPECT_EQ(sm["type"], "STANDARD");
      seen.insert(sm["stateMachineArn"].get<std::string>());
    }
    token =
        r.contains("nextToken") ? std::optional(r["nextToken"].get<std::string>()) : std::nullopt;
    ++pages;
  } while (token && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(error_type("ListStateMachines", {{"nextToken", "bogus"}}), "InvalidToken");
  EXPECT_EQ(error_type("ListStateMachines", {{"maxResults", 1001}}), "ValidationException");
  EXPECT_EQ(error_type("ListStateMachines", {{"maxResults", -1}}), "ValidationException");
}

TEST_F(StateMachineOpsTest, ValidateDefinition) {
  Json ok = call("ValidateStateMachineDefinition", {{"definition", kPassMachine}});
  EXPECT_EQ(ok["result"], "OK");
  EXPECT_EQ(ok["diagnostics"], Json::array());
  EXPECT_EQ(ok["truncated"], false);

  Json bad = call("ValidateStateMachineDefinition",
                  {{"definition", R"({"StartAt":"X","States":{"A":{"Type":"Pass","End":true}}})"}});
  EXPECT_EQ(bad["result"], "FAIL");
  ASSERT_FALSE(bad["diagnostics"].empty());
  EXPECT_EQ(bad["diagnostics"][0]["severity"], "ERROR");
  EXPECT_TRUE(bad["diagnostics"][0]["code"].is_string());

  EXPECT_EQ(error_type("ValidateStateMachineDefinition", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("ValidateStateMachineDefinition",
                       {{"definition", kPassMachine}, {"maxResults", 101}}),
            "ValidationException");
  EXPECT_EQ(error_type("ValidateStateMachineDefinition",
                       {{"definition", kPassMachine}, {"severity", "INFO"}}),
            "ValidationException");
}

}  // namespace
}  // namespace stepd::ops::testing

// RedriveExecution's request checks and refusals, and the redrive fields of DescribeExecution
// and ListExecutions (redriveCount, redriveDate, redriveStatus, redriveStatusReason,
// redriveFilter). The redrive itself is the engine's and is tested with it.
#include "ops_fixture.h"

namespace stepd::ops::testing {
namespace {

const std::string kExecArn = "arn:aws:states:us-east-1:123456789012:execution:";
constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;

const char* kFailMachine = R"({
  "StartAt": "F",
  "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}
})";

class RedriveOpsTest : public OpsTest {
 protected:
  // An execution that has ended FAILED.
  std::string failed_execution(const std::string& name) {
    if (fail_machine_.empty()) fail_machine_ = create_machine("f", kFailMachine);
    std::string arn = start(fail_machine_, name);
    EXPECT_EQ(wait_for(arn, 10).response["status"], "FAILED");
    return arn;
  }

  // Changes the stored row the way a redrive (or a long history) would, without the engine.
  void rewrite(const std::string& arn, const std::function<void(store::ExecutionRecord&)>& change) {
    std::optional<store::ExecutionRecord> e = store_->get_execution(arn);
    ASSERT_TRUE(e);
    store::ExecutionWrite w;
    w.execution = *e;
    change(w.execution);
    ASSERT_EQ(store_->commit(w).status, store::WriteOutcome::Status::kOk);
  }

  Json describe(const std::string& arn) {
    return call("DescribeExecution", {{"executionArn", arn}});
  }

  std::string fail_machine_;
};

TEST_F(RedriveOpsTest, RequestIsCheckedBeforeAnyLookup) {
  std::string missing = kExecArn + "f:nope";
  EXPECT_EQ(error_type("RedriveExecution", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", 42}}), "ValidationException");
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", ""}}), "ValidationException");
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", std::string(257, 'a')}}),
            "ValidationException");
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", "nope"}}), "InvalidArn");
  EXPECT_EQ(error_type("RedriveExecution",
                       {{"executionArn", "arn:aws:states:us-east-1:123456789012:stateMachine:f"}}),
            "InvalidArn");
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", kExecArn + "f"}}), "InvalidArn");

  // clientToken: 1 to 64 characters from '!' to '~'.
  ApiError e = fail("RedriveExecution", {{"executionArn", missing}, {"clientToken", "a b"}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(),
            "1 validation error detected: Value 'a b' at 'clientToken' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [!-~]+");
  e = fail("RedriveExecution", {{"executionArn", missing}, {"clientToken", ""}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_TRUE(e.message().starts_with("2 validation errors detected: ")) << e.message();
  EXPECT_NE(e.message().find("Member must have length greater than or equal to 1"),
            std::string::npos);
  e = fail("RedriveExecution", {{"executionArn", missing}, {"clientToken", std::string(65, 't')}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_NE(e.message().find("Member must have length less than or equal to 64"),
            std::string::npos);
  for (const std::string& bad : {std::string("caf\xc3\xa9"), std::string("tab\there"),
                                 std::string("del\x7f"), std::string(" lead")}) {
    EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", missing}, {"clientToken", bad}}),
              "ValidationException")
        << bad;
  }
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", missing}, {"clientToken", 7}}),
            "ValidationException");
  // Both members wrong: every violation in one answer.
  e = fail("RedriveExecution", {{"executionArn", std::string(300, 'a')}, {"clientToken", "a b"}});
  EXPECT_TRUE(e.message().starts_with("2 validation errors detected: ")) << e.message();

  // A well-formed request for an execution that does not exist.
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", missing}}), "ExecutionDoesNotExist");
  const std::string widest = "!~" + std::string(60, 'x') + "09";  // 64 characters, both ends
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", missing}, {"clientToken", widest}}),
            "ExecutionDoesNotExist");
}

TEST_F(RedriveOpsTest, RunningAndSucceededExecutionsAreNotRedrivable) {
  std::string waiting = start(create_machine("w", kWaitMachine), "e");
  std::string passed = start(create_machine("p"), "e");
  ASSERT_EQ(wait_for(passed, 10).response["status"], "SUCCEEDED");

  for (const auto& [arn, status] :
       {std::pair{waiting, std::string("RUNNING")}, std::pair{passed, std::string("SUCCEEDED")}}) {
    SCOPED_TRACE(status);
    Json d = describe(arn);
    EXPECT_EQ(d["redriveCount"], 0);
    EXPECT_FALSE(d.contains("redriveDate"));
    EXPECT_EQ(d["redriveStatus"], "NOT_REDRIVABLE");
    EXPECT_EQ(d["redriveStatusReason"], "Execution is " + status + " and cannot be redriven");
    ApiError e = fail("RedriveExecution", {{"executionArn", arn}});
    EXPECT_EQ(e.type(), "ExecutionNotRedrivable");
    EXPECT_EQ(e.http_status(), 400);
    EXPECT_EQ(describe(arn)["status"], status);  // the refusal changed nothing
  }
}

TEST_F(RedriveOpsTest, FailedAndAbortedExecutionsAreRedrivableForFourteenDays) {
  std::string failed = failed_execution("e");
  std::string aborted = start(create_machine("w", kWaitMachine), "e");
  call("StopExecution", {{"executionArn", aborted}});

  for (const std::string& arn : {failed, aborted}) {
    Json d = describe(arn);
    EXPECT_EQ(d["redriveStatus"], "REDRIVABLE") << arn;
    EXPECT_FALSE(d.contains("redriveStatusReason")) << arn;
    EXPECT_EQ(d["redriveCount"], 0) << arn;
  }

  // The service's clock decides; the window closes 14 days after the stop.
  clock_.advance_ms(14 * kDayMs - 1);
  EXPECT_EQ(describe(failed)["redriveStatus"], "REDRIVABLE");
  clock_.advance_ms(1);
  Json d = describe(failed);
  EXPECT_EQ(d["redriveStatus"], "NOT_REDRIVABLE");
  EXPECT_EQ(d["redriveStatusReason"], "Execution redrivable period exceeded");
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", failed}}), "ExecutionNotRedrivable");

  // A waiter's answer carries the same status as DescribeExecution.
  Outcome waited = wait_for(aborted, 5);
  ASSERT_FALSE(waited.error);
  EXPECT_EQ(waited.response["redriveStatus"], "NOT_REDRIVABLE");
  EXPECT_EQ(waited.response["redriveStatusReason"], "Execution redrivable period exceeded");
}

TEST_F(RedriveOpsTest, AFullHistoryCannotBeRedriven) {
  std::string arn = failed_execution("e");
  rewrite(arn, [](store::ExecutionRecord& e) { e.event_count = 24998; });
  EXPECT_EQ(describe(arn)["redriveStatus"], "REDRIVABLE");
  rewrite(arn, [](store::ExecutionRecord& e) { e.event_count = 24999; });
  Json d = describe(arn);
  EXPECT_EQ(d["redriveStatus"], "NOT_REDRIVABLE");
  EXPECT_EQ(d["redriveStatusReason"], "Execution history event limit exceeded");
  EXPECT_EQ(error_type("RedriveExecution", {{"executionArn", arn}}), "ExecutionNotRedrivable");
}

TEST_F(RedriveOpsTest, DescribeAndListShowRedriveCountAndDate) {
  std::string redriven = failed_execution("redriven");
  std::string plain = failed_execution("plain");
  rewrite(redriven, [](store::ExecutionRecord& e) {
    e.redrive_count = 2;
    e.redrive_ms = 1700000123456;
  });

  Json d = describe(redriven);
  EXPECT_EQ(d["redriveCount"], 2);
  EXPECT_EQ(d["redriveDate"].dump(), "1700000123.456");
  EXPECT_EQ(describe(plain)["redriveCount"], 0);
  EXPECT_FALSE(describe(plain).contains("redriveDate"));

  Json all = call("ListExecutions", {{"stateMachineArn", fail_machine_}});
  ASSERT_EQ(all["executions"].size(), 2u);
  EXPECT_EQ(all["executions"][0]["name"], "plain");
  EXPECT_EQ(all["executions"][0]["redriveCount"], 0);
  EXPECT_FALSE(all["executions"][0].contains("redriveDate"));
  EXPECT_EQ(all["executions"][1]["name"], "redriven");
  EXPECT_EQ(all["executions"][1]["redriveCount"], 2);
  EXPECT_EQ(all["executions"][1]["redriveDate"].dump(), "1700000123.456");
}

TEST_F(RedriveOpsTest, ListExecutionsRedriveFilter) {
  std::vector<std::string> arns;
  for (int i = 0; i < 5; ++i) arns.push_back(failed_execution("e" + std::to_string(i)));
  for (int i : {1, 3, 4}) {
    rewrite(arns[i], [](store::ExecutionRecord& e) {
      e.redrive_count = 1;
      e.redrive_ms = 1700000200000;
    });
  }
  auto names = [&](Json request) {
    std::vector<std::string> out;
    Json listed = call("ListExecutions", std::move(request));
    for (const auto& e : listed["executions"]) out.push_back(e["name"]);
    return out;
  };
  EXPECT_EQ(names({{"stateMachineArn", fail_machine_}, {"redriveFilter", "REDRIVEN"}}),
            (std::vector<std::string>{"e4", "e3", "e1"}));
  EXPECT_EQ(names({{"stateMachineArn", fail_machine_}, {"redriveFilter", "NOT_REDRIVEN"}}),
            (std::vector<std::string>{"e2", "e0"}));
  EXPECT_EQ(names({{"stateMachineArn", fail_machine_},
                   {"redriveFilter", "REDRIVEN"},
                   {"statusFilter", "SUCCEEDED"}}),
            std::vector<std::string>{});
  EXPECT_EQ(names({{"stateMachineArn", fail_machine_}}).size(), 5u);

  // Paging a filtered list, and a token is bound to its filter.
  Json first =
      call("ListExecutions",
           {{"stateMachineArn", fail_machine_}, {"redriveFilter", "REDRIVEN"}, {"maxResults", 2}});
  ASSERT_EQ(first["executions"].size(), 2u);
  ASSERT_TRUE(first.contains("nextToken"));
  std::string token = first["nextToken"];
  EXPECT_EQ(names({{"stateMachineArn", fail_machine_},
                   {"redriveFilter", "REDRIVEN"},
                   {"nextToken", token}}),
            std::vector<std::string>{"e1"});
  EXPECT_EQ(error_type("ListExecutions", {{"stateMachineArn", fail_machine_},
                                          {"redriveFilter", "NOT_REDRIVEN"},
                                          {"nextToken", token}}),
            "InvalidToken");
  EXPECT_EQ(error_type("ListExecutions",
                       {{"stateMachineArn", fail_machine_}, {"redriveFilter", "SOMETIMES"}}),
            "ValidationException");
}

}  // namespace
}  // namespace stepd::ops::testing

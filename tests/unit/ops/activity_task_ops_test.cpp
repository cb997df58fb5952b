// Activities (Create/Describe/List/Delete, GetActivityTask) and SendTask*.
#include "ops_fixture.h"

namespace stepd::ops::testing {
namespace {

using ActivityTaskOpsTest = OpsTest;

const std::string kActivityArn = "arn:aws:states:us-east-1:123456789012:activity:";

TEST_F(ActivityTaskOpsTest, CreateIsIdempotentOnName) {
  clock_.set_ms(1700000000000);
  Json a = call("CreateActivity", {{"name", "work"}});
  EXPECT_EQ(a["activityArn"], kActivityArn + "work");
  EXPECT_EQ(a["creationDate"].dump(), "1700000000.0");
  clock_.advance_ms(1000);
  EXPECT_EQ(call("CreateActivity", {{"name", "work"}}), a);

  Json d = call("DescribeActivity", {{"activityArn", kActivityArn + "work"}});
  EXPECT_EQ(d["activityArn"], kActivityArn + "work");
  EXPECT_EQ(d["name"], "work");
  EXPECT_EQ(d["creationDate"], a["creationDate"]);
}

TEST_F(ActivityTaskOpsTest, Validation) {
  EXPECT_EQ(error_type("CreateActivity", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("CreateActivity", {{"name", 1}}), "ValidationException");
  EXPECT_EQ(error_type("CreateActivity", {{"name", "a b"}}), "InvalidName");
  EXPECT_EQ(error_type("CreateActivity", {{"name", "a"}, {"tags", "x"}}), "ValidationException");
  Json many = Json::array();
  for (int i = 0; i < 51; ++i) many.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  EXPECT_EQ(error_type("CreateActivity", {{"name", "a"}, {"tags", many}}), "TooManyTags");
  EXPECT_EQ(call("ListActivities", Json::object())["activities"].size(), 0u);

  EXPECT_EQ(error_type("DescribeActivity", {{"activityArn", kActivityArn + "nope"}}),
            "ActivityDoesNotExist");
  EXPECT_EQ(error_type("DescribeActivity", {{"activityArn", "nope"}}), "InvalidArn");
  EXPECT_EQ(error_type("DeleteActivity", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("GetActivityTask", {{"activityArn", kActivityArn + "nope"}}),
            "ActivityDoesNotExist");
  EXPECT_EQ(error_type("GetActivityTask", Json::object()), "ValidationException");
}

TEST_F(ActivityTaskOpsTest, ListAndDelete) {
  for (int i = 0; i < 5; ++i) call("CreateActivity", {{"name", "a" + std::to_string(i)}});
  Json page = call("ListActivities", {{"maxResults", 3}});
  EXPECT_EQ(page["activities"].size(), 3u);
  ASSERT_TRUE(page.contains("nextToken"));
  Json rest = call("ListActivities", {{"nextToken", page["nextToken"]}});
  EXPECT_EQ(rest["activities"].size(), 2u);
  EXPECT_FALSE(rest.contains("nextToken"));
  EXPECT_TRUE(rest["activities"][0].contains("creationDate"));

  EXPECT_EQ(call("DeleteActivity", {{"activityArn", kActivityArn + "a0"}}), Json::object());
  EXPECT_EQ(call("DeleteActivity", {{"activityArn", kActivityArn + "a0"}}), Json::object());
  EXPECT_EQ(call("ListActivities", Json::object())["activities"].size(), 4u);
}

TEST_F(ActivityTaskOpsTest, EmptyPollAnswersEmptyObject) {
  call("CreateActivity", {{"name", "idle"}});
  Json r = call("GetActivityTask", {{"activityArn", kActivityArn + "idle"}, {"workerName", "w"}});
  EXPECT_EQ(r, Json::object());
}

TEST_F(ActivityTaskOpsTest, ActivityRoundTrip) {
  call("CreateActivity", {{"name", "job"}});
  std::string def = R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" + kActivityArn +
                    R"(job","End":true}}})";
  std::string sm = create_machine("act", def.c_str());
  std::string exec = start(sm, "e", R"({"n":1})");

  Json task;
  for (int i = 0; i < 20 && !task.contains("taskToken"); ++i) {
    task = call("GetActivityTask", {{"activityArn", kActivityArn + "job"}, {"workerName", "w1"}});
  }
  ASSERT_TRUE(task.contains("taskToken"));
  EXPECT_EQ(Json::parse(task["input"].get<std::string>()), Json({{"n", 1}}));
  std::string token = task["taskToken"];

  EXPECT_EQ(error_type("SendTaskSuccess", {{"taskToken", token}, {"output", "{bad"}}),
            "InvalidOutput");
  EXPECT_EQ(error_type("SendTaskSuccess", {{"taskToken", token}}), "ValidationException");
  EXPECT_EQ(call("SendTaskHeartbeat", {{"taskToken", token}}), Json::object());
  EXPECT_EQ(call("SendTaskSuccess", {{"taskToken", token}, {"output", R"({"ok":true})"}}),
            Json::object());
  Outcome w = wait_for(exec, 10);
  EXPECT_EQ(w.response["status"], "SUCCEEDED");
  EXPECT_EQ(Json::parse(w.response["output"].get<std::string>()), Json({{"ok", true}}));
  // The task is closed now.
  EXPECT_EQ(error_type("SendTaskSuccess", {{"taskToken", token}, {"output", "{}"}}),
            "TaskTimedOut");
}

TEST_F(ActivityTaskOpsTest, SendTaskValidation) {
  EXPECT_EQ(error_type("SendTaskSuccess", {{"taskToken", "forged"}, {"output", "{}"}}),
            "InvalidToken");
  EXPECT_EQ(error_type("SendTaskFailure", {{"taskToken", "forged"}}), "InvalidToken");
  EXPECT_EQ(error_type("SendTaskHeartbeat", {{"taskToken", "forged"}}), "InvalidToken");
  EXPECT_EQ(error_type("SendTaskHeartbeat", Json::object()), "ValidationException");
  EXPECT_EQ(error_type("SendTaskHeartbeat", {{"taskToken", ""}}), "ValidationException");
  EXPECT_EQ(error_type("SendTaskHeartbeat", {{"taskToken", std::string(2049, 't')}}),
            "ValidationException");
  EXPECT_EQ(error_type("SendTaskFailure", {{"taskToken", "t"}, {"error", std::string(257, 'e')}}),
            "ValidationException");
  EXPECT_EQ(error_type("SendTaskSuccess",
                       {{"taskToken", "t"}, {"output", "\"" + std::string(262143, 'x') + "\""}}),
            "ValidationException");
}

}  // namespace
}  // namespace stepd::ops::testing

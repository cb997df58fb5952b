// The REST door: each route's mapping onto its AWS action and request, query handling, inline
// JSON values, ?wait, and the same error shapes as the AWS door.
#include <gtest/gtest.h>

#include <set>

#include "api/cpprest_threads.h"
#include "api/http_server.h"
#include "api/rest_adapter.h"
#include "core/common/api_error.h"
#include "tests/unit/api/api_test_support.h"

namespace stepd::api {
namespace {

using testing::FakeOperations;
using testing::send;

constexpr const char* kSm = "arn:aws:states:eu-west-1:111122223333:stateMachine:orders";
constexpr const char* kAct = "arn:aws:states:eu-west-1:111122223333:activity:pickers";
constexpr const char* kExec = "arn:aws:states:eu-west-1:111122223333:execution:orders:run-1";

class RestRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    initialize_cpprest_threads(4);
    HttpServer::Options options;
    options.port = testing::free_port();
    options.region = "eu-west-1";
    options.account = "111122223333";
    server_ = std::make_unique<HttpServer>(ops_, options);
    server_->start();
    client_ = std::make_unique<web::http::client::http_client>(server_->url());
  }
  void TearDown() override { server_->stop(); }

  FakeOperations ops_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<web::http::client::http_client> client_;
};

struct Case {
  std::string method;
  std::string path;
  std::string body;
  std::string action;
  std::string request;  // the AWS request the operation must receive
};

std::vector<Case> cases() {
  return {
      {"POST", "/v1/state-machines",
       R"({"name":"orders","definition":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},"roleArn":"arn:aws:iam::1:role/r"})",
       "CreateStateMachine",
       R"({"name":"orders","definition":"{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Succeed\"}}}","roleArn":"arn:aws:iam::1:role/r"})"},
      {"POST", "/v1/state-machines", R"({"name":"orders","definition":"{}","roleArn":"r"})",
       "CreateStateMachine", R"({"name":"orders","definition":"{}","roleArn":"r"})"},
      {"GET", "/v1/state-machines?maxResults=5&nextToken=abc%2B%3D", "", "ListStateMachines",
       R"({"maxResults":5,"nextToken":"abc+="})"},
      {"GET", "/v1/state-machines", "", "ListStateMachines", "{}"},
      {"GET", "/v1/state-machines/orders", "", "DescribeStateMachine",
       std::string(R"({"stateMachineArn":")") + kSm + "\"}"},
      {"GET", std::string("/v1/state-machines/") + kSm + "?includedData=METADATA_ONLY", "",
       "DescribeStateMachine",
       std::string(R"({"stateMachineArn":")") + kSm + R"(","includedData":"METADATA_ONLY"})"},
      {"GET", "/v1/state-machines/orders:3", "", "DescribeStateMachine",
       std::string(R"({"stateMachineArn":")") + kSm + ":3\"}"},
      {"PUT", "/v1/state-machines/orders", R"({"definition":{"StartAt":"B"}})",
       "UpdateStateMachine",
       std::string(R"({"definition":"{\"StartAt\":\"B\"}","stateMachineArn":")") + kSm + "\"}"},
      {"PATCH", "/v1/state-machines/orders", R"({"roleArn":"r2"})", "UpdateStateMachine",
       std::string(R"({"roleArn":"r2","stateMachineArn":")") + kSm + "\"}"},
      {"DELETE", "/v1/state-machines/orders", "", "DeleteStateMachine",
       std::string(R"({"stateMachineArn":")") + kSm + "\"}"},
      {"POST", "/v1/state-machines/orders/executions", R"({"name":"run-1","input":{"n":1}})",
       "StartExecution",
       std::string(R"({"name":"run-1","input":"{\"n\":1}","stateMachineArn":")") + kSm + "\"}"},
      {"POST", "/v1/state-machines/orders/executions", R"({"input":"{\"n\":1}"})", "StartExecution",
       std::string(R"({"input":"{\"n\":1}","stateMachineArn":")") + kSm + "\"}"},
      {"POST", "/v1/state-machines/orders/executions", "", "StartExecution",
       std::string(R"({"stateMachineArn":")") + kSm + "\"}"},
      {"GET", "/v1/state-machines/orders/executions?statusFilter=RUNNING&maxResults=10", "",
       "ListExecutions",
       std::string(R"({"stateMachineArn":")") + kSm +
           R"(","statusFilter":"RUNNING","maxResults":10})"},
      {"GET", std::string("/v1/executions/") + kExec, "", "DescribeExecution",
       std::string(R"({"executionArn":")") + kExec + "\"}"},
      {"GET",
       "/v1/executions/arn%3Aaws%3Astates%3Aeu-west-1%3A111122223333%3Aexecution%3Aorders%3Arun-1",
       "", "DescribeExecution", std::string(R"({"executionArn":")") + kExec + "\"}"},
      {"GET", "/v1/executions/orders:run-1", "", "DescribeExecution",
       std::string(R"({"executionArn":")") + kExec + "\"}"},
      {"POST", std::string("/v1/executions/") + kExec + "/stop",
       R"({"error":"Cancelled","cause":"by hand"})", "StopExecution",
       std::string(R"({"error":"Cancelled","cause":"by hand","executionArn":")") + kExec + "\"}"},
      {"POST", std::string("/v1/executions/") + kExec + "/redrive", R"({"clientToken":"try-2"})",
       "RedriveExecution",
       std::string(R"({"clientToken":"try-2","executionArn":")") + kExec + "\"}"},
      {"POST", "/v1/executions/orders:run-1/redrive", "", "RedriveExecution",
       std::string(R"({"executionArn":")") + kExec + "\"}"},
      {"GET",
       std::string("/v1/executions/") + kExec +
           "/history?maxResults=2&nextToken=t&reverseOrder=true&includeExecutionData=FALSE",
       "", "GetExecutionHistory",
       std::string(R"({"executionArn":")") + kExec +
           R"(","maxResults":2,"nextToken":"t","reverseOrder":true,"includeExecutionData":false})"},
      {"GET", std::string("/v1/executions/") + kExec + "/state-machine", "",
       "DescribeStateMachineForExecution", std::string(R"({"executionArn":")") + kExec + "\"}"},
      {"POST", "/v1/tasks/success", R"({"taskToken":"tok","output":{"done":true}})",
       "SendTaskSuccess", R"({"taskToken":"tok","output":"{\"done\":true}"})"},
      {"POST", "/v1/tasks/success", R"({"taskToken":"tok","output":"[1]"})", "SendTaskSuccess",
       R"({"taskToken":"tok","output":"[1]"})"},
      {"POST", "/v1/tasks/failure", R"({"taskToken":"tok","error":"E","cause":"C"})",
       "SendTaskFailure", R"({"taskToken":"tok","error":"E","cause":"C"})"},
      {"POST", "/v1/tasks/heartbeat", R"({"taskToken":"tok"})", "SendTaskHeartbeat",
       R"({"taskToken":"tok"})"},
      {"POST", "/v1/activities", R"({"name":"pickers"})", "CreateActivity",
       R"({"name":"pickers"})"},
      {"GET", "/v1/activities?maxResults=3", "", "ListActivities", R"({"maxResults":3})"},
      {"GET", "/v1/activities/pickers", "", "DescribeActivity",
       std::string(R"({"activityArn":")") + kAct + "\"}"},
      {"DELETE", std::string("/v1/activities/") + kAct, "", "DeleteActivity",
       std::string(R"({"activityArn":")") + kAct + "\"}"},
      {"POST", "/v1/activities/pickers/tasks", R"({"workerName":"w1"})", "GetActivityTask",
       std::string(R"({"workerName":"w1","activityArn":")") + kAct + "\"}"},
      {"POST", "/v1/validate", R"({"definition":{"StartAt":"A"},"severity":"WARNING"})",
       "ValidateStateMachineDefinition",
       R"({"definition":"{\"StartAt\":\"A\"}","severity":"WARNING"})"},
      // TestState: the JSON-text members may be JSON values; mock stays as it is.
      {"POST", "/v1/test-state",
       R"({"definition":{"Type":"Pass","End":true},"input":{"a":1},"variables":{"v":2},"mock":{"result":"[]"}})",
       "TestState",
       R"({"definition":"{\"Type\":\"Pass\",\"End\":true}","input":"{\"a\":1}","variables":"{\"v\":2}","mock":{"result":"[]"}})"},
      // A trailing slash is the same route.
      {"GET", "/v1/activities/", "", "ListActivities", "{}"},
  };
}

TEST_F(RestRoutesTest, EveryRouteBuildsItsAwsRequest) {
  std::set<std::string> covered;
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.method + " " + c.path);
    ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply reply) {
      reply(Json{{"answer", 1}}, nullptr);
    });
    auto r = send(*client_, c.method, c.path, c.body);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_FALSE(r.header("x-amzn-RequestId").empty());
    EXPECT_EQ(r.json(), Json::parse(R"({"answer":1})"));
    EXPECT_EQ(ops_.last_call().action, c.action);
    EXPECT_EQ(ops_.last_call().request, Json::parse(c.request));
    auto match = match_route(c.method, web::uri(c.path).path());
    ASSERT_TRUE(match && match->route);
    covered.insert(std::string(match->route->method) + " " + std::string(match->route->path));
  }
  // Every REST row of the table has a case above.
  for (const auto& route : route_table()) {
    if (route.kind != RouteKind::kRest) continue;
    EXPECT_TRUE(covered.contains(std::string(route.method) + " " + std::string(route.path)))
        << "no test case for " << route.method << " " << route.path;
  }
}

TEST_F(RestRoutesTest, ErrorsHaveTheAwsShapeAndStatus) {
  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply reply) {
    reply(Json(), std::make_exception_ptr(ApiError("StateMachineDoesNotExist", "gone", 400)));
  });
  auto r = send(*client_, "GET", "/v1/state-machines/ghost");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.json(), Json::parse(R"({"__type":"StateMachineDoesNotExist","message":"gone"})"));
}

TEST_F(RestRoutesTest, RedriveRefusalsKeepTheirAwsNames) {
  const std::string path = std::string("/v1/executions/") + kExec + "/redrive";
  for (const char* type :
       {"ExecutionNotRedrivable", "ExecutionDoesNotExist", "InvalidArn", "ValidationException"}) {
    SCOPED_TRACE(type);
    ops_.set_behaviour([type](const std::string&, const Json&, FakeOperations::Reply reply) {
      reply(Json(), std::make_exception_ptr(ApiError(type, "why", 400)));
    });
    auto r = send(*client_, "POST", path);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json(), Json({{"__type", type}, {"message", "why"}}));
  }
  // The path names the execution: a body naming another is refused before the operation.
  const size_t calls = ops_.calls().size();
  auto r = send(*client_, "POST", path,
                R"({"executionArn":"arn:aws:states:eu-west-1:111122223333:execution:orders:x"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().value("__type", ""), "ValidationException");
  EXPECT_EQ(ops_.calls().size(), calls);
  // Only POST is served there.
  r = send(*client_, "GET", path);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
}

TEST_F(RestRoutesTest, BadQueryAndBodyAreRejectedBeforeTheOperation) {
  auto expect_400 = [&](const std::string& method, const std::string& path, const std::string& body,
                        const std::string& type) {
    SCOPED_TRACE(method + " " + path);
    auto r = send(*client_, method, path, body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json().value("__type", ""), type) << r.body;
  };
  expect_400("GET", "/v1/state-machines?maxResults=ten", "", "ValidationException");
  expect_400("GET", "/v1/state-machines?max_results=10", "", "ValidationException");
  expect_400("GET", "/v1/state-machines?maxResults=1&maxResults=2", "", "ValidationException");
  expect_400("GET", "/v1/state-machines?nextToken=%zz", "", "ValidationException");
  expect_400("GET", "/v1/executions/m:e/history?reverseOrder=maybe", "", "ValidationException");
  expect_400("GET", "/v1/executions/just-a-name", "", "ValidationException");
  expect_400("POST", "/v1/state-machines/orders/executions?wait=301", "", "ValidationException");
  expect_400("POST", "/v1/state-machines/orders/executions?wait=-1", "", "ValidationException");
  expect_400("POST", "/v1/state-machines/orders/executions",
             R"({"stateMachineArn":"arn:aws:states:eu-west-1:111122223333:stateMachine:other"})",
             "ValidationException");
  expect_400("POST", "/v1/tasks/success", "{nope", "SerializationException");
  expect_400("POST", "/v1/tasks/success", "[]", "SerializationException");
  EXPECT_TRUE(ops_.calls().empty());
}

TEST_F(RestRoutesTest, BodyFieldAgreeingWithThePathIsFine) {
  auto r = send(*client_, "POST", "/v1/state-machines/orders/executions",
                std::string(R"({"stateMachineArn":")") + kSm + "\"}");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(RestRoutesTest, UnsupportedActionIsUnknownOperation) {
  class Narrow : public FakeOperations {
    std::vector<std::string> actions() const override { return {"ListActivities"}; }
  } narrow;
  HttpServer::Options options;
  options.port = testing::free_port();
  HttpServer server(narrow, options);
  server.start();
  web::http::client::http_client client(server.url());
  auto r = send(client, "POST", std::string("/v1/executions/") + kExec + "/stop");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["__type"], "UnknownOperationException");
  EXPECT_EQ(send(client, "GET", "/v1/activities").status, 200);
  server.stop();
}

class WaitTest : public RestRoutesTest {
 protected:
  void start_answers(const std::string& arn) {
    ops_.set_behaviour([arn](const std::string&, const Json&, FakeOperations::Reply reply) {
      reply(Json{{"executionArn", arn}, {"startDate", 1.5}}, nullptr);
    });
  }
};

TEST_F(WaitTest, SucceededIs200WithTheDescription) {
  start_answers(kExec);
  ops_.set_wait_description(
      Json{{"executionArn", kExec}, {"status", "SUCCEEDED"}, {"output", "{\"x\":1}"}});
  auto r = send(*client_, "POST", "/v1/state-machines/orders/executions?wait=30",
                R"({"input":{"a":1}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "SUCCEEDED");
  EXPECT_EQ(r.json()["output"], "{\"x\":1}");
  EXPECT_EQ(r.header("x-stepd-execution-status"), "SUCCEEDED");
  ASSERT_EQ(ops_.waits().size(), 1u);
  EXPECT_EQ(ops_.waits()[0].arn, kExec);
  EXPECT_EQ(ops_.waits()[0].timeout_seconds, 30);
  EXPECT_EQ(ops_.last_call().action, "StartExecution");
  EXPECT_EQ(ops_.last_call().request["input"], "{\"a\":1}");
}

TEST_F(WaitTest, StillRunningIs202) {
  start_answers(kExec);
  ops_.set_wait_description(Json{{"executionArn", kExec}, {"status", "RUNNING"}});
  auto r = send(*client_, "POST", "/v1/state-machines/orders/executions?wait=0", "");
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.json()["status"], "RUNNING");
  EXPECT_EQ(ops_.waits().at(0).timeout_seconds, 0);
}

TEST_F(WaitTest, EndedWithoutSuccessIs409) {
  for (const char* status : {"FAILED", "TIMED_OUT", "ABORTED"}) {
    SCOPED_TRACE(status);
    start_answers(kExec);
    ops_.set_wait_description(Json{{"executionArn", kExec},
                                   {"status", status},
                                   {"error", "States.TaskFailed"},
                                   {"cause", "it broke"}});
    auto r = send(*client_, "POST", "/v1/state-machines/orders/executions?wait=5", "{}");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["status"], status);
    EXPECT_EQ(r.json()["error"], "States.TaskFailed");
  }
}

TEST_F(WaitTest, StartErrorIsAnsweredWithoutWaiting) {
  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply reply) {
    reply(Json(), std::make_exception_ptr(ApiError("StateMachineDoesNotExist", "no", 400)));
  });
  auto r = send(*client_, "POST", "/v1/state-machines/orders/executions?wait=5", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["__type"], "StateMachineDoesNotExist");
  EXPECT_TRUE(ops_.waits().empty());
}

TEST_F(WaitTest, DescribeCanWaitToo) {
  ops_.set_wait_description(Json{{"executionArn", kExec}, {"status", "FAILED"}});
  auto r = send(*client_, "GET", "/v1/executions/orders:run-1?wait=10");
  EXPECT_EQ(r.status, 409);
  ASSERT_EQ(ops_.waits().size(), 1u);
  EXPECT_EQ(ops_.waits()[0].arn, kExec);
  EXPECT_TRUE(ops_.waits()[0].include_data);
  EXPECT_TRUE(ops_.calls().empty());
}

TEST_F(WaitTest, DescribeWaitHonoursIncludedData) {
  ops_.set_wait_description(Json{{"executionArn", kExec}, {"status", "SUCCEEDED"}});
  auto r = send(*client_, "GET", "/v1/executions/orders:run-1?wait=10&includedData=METADATA_ONLY");
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(ops_.waits().size(), 1u);
  EXPECT_FALSE(ops_.waits()[0].include_data);
}

TEST(WaitedExecutionStatus, MapsTerminalStates) {
  EXPECT_EQ(waited_execution_status(Json{{"status", "SUCCEEDED"}}), 200);
  EXPECT_EQ(waited_execution_status(Json{{"status", "RUNNING"}}), 202);
  EXPECT_EQ(waited_execution_status(Json{{"status", "PENDING_REDRIVE"}}), 409);
  EXPECT_EQ(waited_execution_status(Json::object()), 409);
}

TEST(ArnsFromNames, PlainNamesLiveInTheConfiguredScope) {
  ArnScope scope{"ap-south-1", "999"};
  EXPECT_EQ(state_machine_arn("m", scope), "arn:aws:states:ap-south-1:999:stateMachine:m");
  EXPECT_EQ(activity_arn("a", scope), "arn:aws:states:ap-south-1:999:activity:a");
  EXPECT_EQ(execution_arn("m:e", scope), "arn:aws:states:ap-south-1:999:execution:m:e");
  EXPECT_EQ(state_machine_arn("arn:x", scope), "arn:x");
  EXPECT_THROW(execution_arn("e", scope), ApiError);
}

}  // namespace
}  // namespace stepd::api

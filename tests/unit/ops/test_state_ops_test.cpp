// TestState: one state run on its own, through the Service, with the real engine.
#include <gtest/gtest.h>

#include "ops_fixture.h"

namespace stepd::ops::testing {
namespace {

const char* kActivity = "arn:aws:states:us-east-1:123456789012:activity:worker";

class TestStateTest : public OpsTest {
 protected:
  Json run(Json request) { return call("TestState", std::move(request)); }

  // A member that AWS returns as JSON text, parsed.
  static Json json_of(const Json& response, const std::string& member) {
    if (!response.contains(member) || !response[member].is_string()) return Json();
    return Json::parse(response[member].get<std::string>());
  }
  static Json inspected(const Json& response, const std::string& field) {
    if (!response.contains("inspectionData")) return Json();
    return json_of(response["inspectionData"], field);
  }
};

Json pass_with_parameters() {
  return {{"Type", "Pass"},
          {"Parameters", {{"greeting.$", "$.name"}, {"fixed", 1}}},
          {"ResultPath", "$.out"},
          {"Next", "Done"}};
}

// ---- what a state did

TEST_F(TestStateTest, PassWithParametersAndResultPathAtDebugLevel) {
  Json r = run({{"definition", pass_with_parameters().dump()},
                {"input", R"({"name":"Ada"})"},
                {"inspectionLevel", "DEBUG"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(json_of(r, "output"),
            Json::parse(R"({"name":"Ada","out":{"greeting":"Ada","fixed":1}})"));
  EXPECT_EQ(r["nextState"], "Done");
  EXPECT_FALSE(r.contains("error"));
  ASSERT_TRUE(r.contains("inspectionData")) << r;
  EXPECT_EQ(inspected(r, "input"), Json::parse(R"({"name":"Ada"})"));
  EXPECT_EQ(inspected(r, "afterInputPath"), Json::parse(R"({"name":"Ada"})"));
  EXPECT_EQ(inspected(r, "afterParameters"), Json::parse(R"({"greeting":"Ada","fixed":1})"));
  EXPECT_EQ(inspected(r, "afterResultPath"),
            Json::parse(R"({"name":"Ada","out":{"greeting":"Ada","fixed":1}})"));
}

TEST_F(TestStateTest, InfoLevelLeavesOutInspectionData) {
  Json r = run({{"definition", pass_with_parameters().dump()}, {"input", R"({"name":"Ada"})"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_FALSE(r.contains("inspectionData")) << r;
  EXPECT_EQ(r["nextState"], "Done");
}

TEST_F(TestStateTest, StateThatEndsTheMachineHasNoNextState) {
  Json r = run({{"definition", R"({"Type":"Pass","Result":{"x":1},"End":true})"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"x":1})"));
  EXPECT_FALSE(r.contains("nextState")) << r;
}

TEST_F(TestStateTest, ChoiceNamesTheStateItChose) {
  std::string choice = R"({"Type":"Choice",
    "Choices":[{"Variable":"$.n","NumericGreaterThan":10,"Next":"Big"}],
    "Default":"Small"})";
  Json big = run({{"definition", choice}, {"input", R"({"n":22})"}});
  EXPECT_EQ(big["status"], "SUCCEEDED") << big;
  EXPECT_EQ(big["nextState"], "Big");
  EXPECT_EQ(json_of(big, "output"), Json::parse(R"({"n":22})"));
  Json small = run({{"definition", choice}, {"input", R"({"n":3})"}});
  EXPECT_EQ(small["nextState"], "Small") << small;
}

TEST_F(TestStateTest, FailStateIsFailed) {
  Json r = run({{"definition", R"({"Type":"Fail","Error":"Oops","Cause":"it broke"})"}});
  EXPECT_EQ(r["status"], "FAILED") << r;
  EXPECT_EQ(r["error"], "Oops");
  EXPECT_EQ(r["cause"], "it broke");
  EXPECT_FALSE(r.contains("output"));
  EXPECT_FALSE(r.contains("nextState"));
}

TEST_F(TestStateTest, OneStateOfAWholeMachineByName) {
  std::string machine = R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":"a","ResultPath":"$.a","Next":"B"},
    "B":{"Type":"Fail","Error":"BFailed"}}})";
  Json a = run({{"definition", machine}, {"stateName", "A"}, {"input", "{}"}});
  EXPECT_EQ(a["status"], "SUCCEEDED") << a;
  EXPECT_EQ(a["nextState"], "B");
  EXPECT_EQ(json_of(a, "output"), Json::parse(R"({"a":"a"})"));
  Json b = run({{"definition", machine}, {"stateName", "B"}});
  EXPECT_EQ(b["status"], "FAILED") << b;
  EXPECT_EQ(b["error"], "BFailed");
}

TEST_F(TestStateTest, StateThatLoopsToItselfStopsAfterOnePass) {
  std::string machine = R"({"StartAt":"Gate","States":{
    "Gate":{"Type":"Choice","Choices":[{"Variable":"$.k","NumericEquals":1,"Next":"Again"}],
            "Default":"Done"},
    "Again":{"Type":"Pass","Next":"Again"},
    "Done":{"Type":"Succeed"}}})";
  Json r = run({{"definition", machine}, {"stateName", "Again"}, {"input", R"({"k":1})"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(r["nextState"], "Again");
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"k":1})"));
}

TEST_F(TestStateTest, ChoiceThatCanLoopToItself) {
  std::string choice = R"({"Type":"Choice",
    "Choices":[{"Variable":"$.n","NumericLessThan":3,"Next":"StateName"}],"Default":"Out"})";
  Json r = run({{"definition", choice}, {"input", R"({"n":1})"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(r["nextState"], "StateName");
}

TEST_F(TestStateTest, WaitStateFinishesAtOnce) {
  Json r = run({{"definition", R"({"Type":"Wait","Seconds":86400,"Next":"After"})"},
                {"input", R"({"w":true})"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(r["nextState"], "After");
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"w":true})"));
}

TEST_F(TestStateTest, VariablesAreSeenByTheState) {
  std::string pass = R"({"Type":"Pass","Parameters":{"seen.$":"$limit"},"End":true})";
  Json r = run({{"definition", pass}, {"variables", R"({"limit":42})"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"seen":42})"));
}

TEST_F(TestStateTest, ContextReplacesTheGeneratedValues) {
  std::string pass = R"({"Type":"Pass","Parameters":{"run.$":"$$.Execution.Name"},"End":true})";
  Json r = run({{"definition", pass}, {"context", R"({"Execution":{"Name":"nightly-7"}})"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"run":"nightly-7"})"));
}

TEST_F(TestStateTest, LoneStateIsCalledStateName) {
  std::string pass = R"({"Type":"Pass","Parameters":{"me.$":"$$.State.Name"},"End":true})";
  Json r = run({{"definition", pass}});
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"me":"StateName"})")) << r;
}

TEST_F(TestStateTest, NothingIsStored) {
  run({{"definition", pass_with_parameters().dump()}, {"input", R"({"name":"Ada"})"}});
  Json listed = call("ListStateMachines", Json::object());
  EXPECT_TRUE(listed["stateMachines"].empty()) << listed;
}

// ---- Task states with a mock

std::string lambda_task(const std::string& extra) {
  return R"({"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Parameters":{"FunctionName":"f","Payload.$":"$"},
    "ResultSelector":{"value.$":"$.Payload"},"ResultPath":"$.result")" +
         extra + "}";
}

TEST_F(TestStateTest, TaskWithMockedResult) {
  Json r = run({{"definition", lambda_task(R"(,"Next":"Store")")},
                {"input", R"({"id":7})"},
                {"mock", {{"result", R"({"Payload":{"ok":true}})"}}},
                {"inspectionLevel", "DEBUG"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(r["nextState"], "Store");
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"id":7,"result":{"value":{"ok":true}}})"));
  EXPECT_EQ(inspected(r, "afterParameters"),
            Json::parse(R"({"FunctionName":"f","Payload":{"id":7}})"));
  EXPECT_EQ(inspected(r, "result"), Json::parse(R"({"Payload":{"ok":true}})"));
  EXPECT_EQ(inspected(r, "afterResultSelector"), Json::parse(R"({"value":{"ok":true}})"));
  EXPECT_TRUE(http_.requests().empty());
}

const char* kRetryAndCatch = R"(,
    "Retry":[{"ErrorEquals":["Other"]},{"ErrorEquals":["Flaky"],"IntervalSeconds":3,"MaxAttempts":2}],
    "Catch":[{"ErrorEquals":["Other"],"Next":"Elsewhere"},
             {"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Recover"}],
    "Next":"Store")";

TEST_F(TestStateTest, MockedErrorThatARetrierMatchesIsRetriable) {
  Json r = run({{"definition", lambda_task(kRetryAndCatch)},
                {"input", R"({"id":7})"},
                {"mock", {{"errorOutput", {{"error", "Flaky"}, {"cause", "try again"}}}}},
                {"inspectionLevel", "DEBUG"}});
  EXPECT_EQ(r["status"], "RETRIABLE") << r;
  EXPECT_EQ(r["error"], "Flaky");
  EXPECT_EQ(r["cause"], "try again");
  EXPECT_FALSE(r.contains("nextState"));
  ASSERT_TRUE(r.contains("inspectionData")) << r;
  const Json& details = r["inspectionData"]["errorDetails"];
  EXPECT_EQ(details["retryIndex"], 1) << r;
  EXPECT_EQ(details["retryBackoffIntervalSeconds"], 3) << r;
}

TEST_F(TestStateTest, MockedErrorCaughtOnceTheRetriesAreSpent) {
  Json r = run({{"definition", lambda_task(kRetryAndCatch)},
                {"input", R"({"id":7})"},
                {"mock", {{"errorOutput", {{"error", "Flaky"}, {"cause", "try again"}}}}},
                {"stateConfiguration", {{"retrierRetryCount", 2}}},
                {"inspectionLevel", "DEBUG"}});
  EXPECT_EQ(r["status"], "CAUGHT_ERROR") << r;
  EXPECT_EQ(r["error"], "Flaky");
  EXPECT_EQ(r["cause"], "try again");
  EXPECT_EQ(r["nextState"], "Recover");
  EXPECT_EQ(json_of(r, "output"),
            Json::parse(R"({"id":7,"error":{"Error":"Flaky","Cause":"try again"}})"));
  EXPECT_EQ(r["inspectionData"]["errorDetails"]["catchIndex"], 1) << r;
}

TEST_F(TestStateTest, MockedErrorWithoutHandlerIsFailed) {
  Json r = run({{"definition", lambda_task(R"(,"End":true)")},
                {"mock", {{"errorOutput", {{"error", "Boom"}, {"cause", "mocked"}}}}}});
  EXPECT_EQ(r["status"], "FAILED") << r;
  EXPECT_EQ(r["error"], "Boom");
  EXPECT_EQ(r["cause"], "mocked");
}

TEST_F(TestStateTest, ActivityTaskWithMockedResult) {
  Json r = run({{"definition",
                 std::string(R"({"Type":"Task","Resource":")") + kActivity + R"(","End":true})"},
                {"mock", {{"result", R"({"done":1})"}}}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"done":1})"));
}

// ---- Map with a mock

std::string map_state(int tolerated) {
  return R"({"Type":"Map","ItemsPath":"$.items","ToleratedFailureCount":)" +
         std::to_string(tolerated) + R"(,
    "ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Pass","End":true}}},
    "End":true})";
}

TEST_F(TestStateTest, MapIterationFailuresAgainstTheToleratedCount) {
  Json request{{"input", R"({"items":[1,2,3]})"},
               {"mock", {{"result", "[1,2,3]"}}},
               {"stateConfiguration", {{"mapIterationFailureCount", 1}}}};
  request["definition"] = map_state(0);
  Json over = run(request);
  EXPECT_EQ(over["status"], "FAILED") << over;
  EXPECT_EQ(over["error"], "States.ExceedToleratedFailureThreshold");
  request["definition"] = map_state(1);
  Json within = run(request);
  EXPECT_EQ(within["status"], "SUCCEEDED") << within;
  EXPECT_EQ(json_of(within, "output"), Json::parse("[1,2,3]"));
}

// ---- HTTP tasks run for real

std::string http_task(const std::string& extra) {
  return R"({"Type":"Task","Resource":"arn:aws:states:::http:invoke",
    "Parameters":{"ApiEndpoint":"http://127.0.0.1:9/orders","Method":"POST",
                  "RequestBody":{"id.$":"$.id"}},
    "ResultSelector":{"status.$":"$.StatusCode","body.$":"$.ResponseBody"})" +
         extra + "}";
}

TEST_F(TestStateTest, HttpTaskMakesItsCallAndTraceShowsIt) {
  http_.set_respond([](const tasks::HttpRequest&) {
    return tasks::HttpResponse{
        201, "Created", {{"Content-Type", "application/json"}}, R"({"accepted":true})"};
  });
  Json r = run({{"definition", http_task(R"(,"End":true)")},
                {"roleArn", kRole},
                {"input", R"({"id":5})"},
                {"inspectionLevel", "TRACE"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  EXPECT_EQ(json_of(r, "output"), Json::parse(R"({"status":201,"body":{"accepted":true}})"));
  auto sent = http_.requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].method, "POST");
  EXPECT_EQ(sent[0].url, "http://127.0.0.1:9/orders");
  EXPECT_EQ(Json::parse(sent[0].body), Json::parse(R"({"id":5})"));
  ASSERT_TRUE(r.contains("inspectionData")) << r;
  const Json& data = r["inspectionData"];
  EXPECT_EQ(data["request"]["method"], "POST") << data;
  EXPECT_EQ(data["request"]["url"], "http://127.0.0.1:9/orders");
  EXPECT_EQ(data["response"]["statusCode"], "201");
  EXPECT_EQ(data["response"]["statusMessage"], "Created");
  EXPECT_EQ(Json::parse(data["response"]["body"].get<std::string>()),
            Json::parse(R"({"accepted":true})"));
}

TEST_F(TestStateTest, DebugLevelLeavesOutTheHttpTrace) {
  Json r = run({{"definition", http_task(R"(,"End":true)")},
                {"roleArn", kRole},
                {"input", R"({"id":5})"},
                {"inspectionLevel", "DEBUG"}});
  EXPECT_EQ(r["status"], "SUCCEEDED") << r;
  if (r.contains("inspectionData")) {
    EXPECT_FALSE(r["inspectionData"].contains("request")) << r;
    EXPECT_FALSE(r["inspectionData"].contains("response")) << r;
  }
}

TEST_F(TestStateTest, HttpErrorStatusIsCaught) {
  http_.set_respond([](const tasks::HttpRequest&) {
    return tasks::HttpResponse{503, "Service Unavailable", {}, "busy"};
  });
  Json r =
      run({{"definition",
            http_task(R"(,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Alert"}],"End":true)")},
           {"roleArn", kRole},
           {"input", R"({"id":5})"}});
  EXPECT_EQ(r["status"], "CAUGHT_ERROR") << r;
  EXPECT_EQ(r["error"], "States.Http.StatusCode.503");
  EXPECT_EQ(r["nextState"], "Alert");
}

TEST_F(TestStateTest, HttpNetworkFailureIsRetriable) {
  http_.set_respond([](const tasks::HttpRequest&) { return std::nullopt; });
  Json r =
      run({{"definition", http_task(R"(,"Retry":[{"ErrorEquals":["States.ALL"]}],"End":true)")},
           {"roleArn", kRole},
           {"input", R"({"id":5})"}});
  EXPECT_EQ(r["status"], "RETRIABLE") << r;
  EXPECT_EQ(r["error"], "States.Http.Socket");
}

TEST_F(TestStateTest, HttpCallThatOutlastsTimeoutSecondsTimesOut) {
  http_.set_respond([this](const tasks::HttpRequest&) {
    clock_.advance_ms(6000);  // the reply comes after the task's 5 s
    return tasks::HttpResponse{200, "OK", {}, "{}"};
  });
  Json r = run({{"definition", http_task(R"(,"TimeoutSeconds":5,"End":true)")},
                {"roleArn", kRole},
                {"input", R"({"id":5})"}});
  EXPECT_EQ(r["status"], "FAILED") << r;
  EXPECT_EQ(r["error"], "States.Timeout");
  auto sent = http_.requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].timeout_seconds, 5);
}

TEST_F(TestStateTest, TestThatRunsPastFiveMinutesIsTimedOut) {
  http_.set_respond([this](const tasks::HttpRequest&) -> std::optional<tasks::HttpResponse> {
    clock_.advance_ms(301 * 1000);
    return std::nullopt;  // the client gave up
  });
  Json r =
      run({{"definition", http_task(R"(,"Retry":[{"ErrorEquals":["States.ALL"]}],"End":true)")},
           {"roleArn", kRole},
           {"input", R"({"id":5})"}});
  EXPECT_EQ(r["status"], "FAILED") << r;
  EXPECT_EQ(r["error"], "States.Timeout");
}

// ---- refused requests

TEST_F(TestStateTest, DefinitionIsRequired) {
  ApiError e = fail("TestState", {{"input", "{}"}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_NE(e.message().find("Value null at 'definition'"), std::string::npos) << e.message();
}

TEST_F(TestStateTest, DefinitionThatIsNotJsonIsInvalid) {
  ApiError e = fail("TestState", {{"definition", "{\"Type\": \"Pass\","}});
  EXPECT_EQ(e.type(), "InvalidDefinition") << e.message();
  EXPECT_NE(e.message().find("INVALID_JSON_DESCRIPTION"), std::string::npos) << e.message();
}

TEST_F(TestStateTest, BrokenStateIsInvalid) {
  EXPECT_EQ(error_type("TestState", {{"definition", R"({"Type":"Pass"})"}}), "InvalidDefinition");
  EXPECT_EQ(error_type("TestState", {{"definition", R"({"Type":"Teleport","End":true})"}}),
            "InvalidDefinition");
  // Only the user's mistakes are reported, not the machine built around the state.
  ApiError e = fail("TestState", {{"definition", R"({"Type":"Pass","Next":5})"}});
  EXPECT_EQ(e.type(), "InvalidDefinition");
  EXPECT_NE(e.message().find("'Next' must be a STRING"), std::string::npos) << e.message();
  EXPECT_EQ(e.message().find("MISSING_END_STATE"), std::string::npos) << e.message();
}

TEST_F(TestStateTest, MockOnAPassStateIsRefused) {
  ApiError e = fail(
      "TestState", {{"definition", R"({"Type":"Pass","End":true})"}, {"mock", {{"result", "{}"}}}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(), "State type 'Pass' is not supported when a mock is specified");
}

TEST_F(TestStateTest, MockWithBothResultAndErrorIsRefused) {
  ApiError e = fail("TestState", {{"definition", lambda_task(R"(,"End":true)")},
                                  {"mock", {{"result", "{}"}, {"errorOutput", {{"error", "E"}}}}}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(),
            "A test mock should have only one of the following fields: [result, errorOutput].");
}

TEST_F(TestStateTest, MockedResultMustBeJson) {
  EXPECT_EQ(error_type("TestState", {{"definition", lambda_task(R"(,"End":true)")},
                                     {"mock", {{"result", "{nope"}}}}),
            "ValidationException");
}

TEST_F(TestStateTest, MockedMapResultMustBeAnArray) {
  ApiError e = fail("TestState", {{"definition", map_state(0)}, {"mock", {{"result", "{}"}}}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(), "Mocked result must be an array.");
}

TEST_F(TestStateTest, StateNameMissingFromTheMachine) {
  ApiError e = fail("TestState", {{"definition", kPassMachine}, {"stateName", "Nowhere"}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(), "State not found in definition");
}

TEST_F(TestStateTest, ActivityWithoutMockIsRefused) {
  EXPECT_EQ(error_type("TestState", {{"definition", std::string(R"({"Type":"Task","Resource":")") +
                                                        kActivity + R"(","End":true})"},
                                     {"roleArn", kRole}}),
            "ValidationException");
}

TEST_F(TestStateTest, WaitForTaskTokenWithoutMockIsRefused) {
  EXPECT_EQ(
      error_type(
          "TestState",
          {{"definition",
            R"({"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true})"},
           {"roleArn", kRole}}),
      "ValidationException");
}

TEST_F(TestStateTest, MapWithoutMockIsAnInvalidDefinition) {
  ApiError e = fail("TestState", {{"definition", map_state(0)}, {"input", R"({"items":[]})"}});
  EXPECT_EQ(e.type(), "InvalidDefinition");
  EXPECT_EQ(e.message(),
            "TestState API does not support Map or Parallel states. Supported state types "
            "include: [Task, Wait, Pass, Succeed, Fail, Choice]");
}

TEST_F(TestStateTest, TaskWithoutMockNeedsARole) {
  ApiError e = fail("TestState", {{"definition", http_task(R"(,"End":true)")}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.message(), "RoleArn must be specified when testing a Task state");
}

TEST_F(TestStateTest, BadInputIsInvalidExecutionInput) {
  EXPECT_EQ(error_type("TestState",
                       {{"definition", kPassMachine}, {"stateName", "P"}, {"input", "{not json"}}),
            "InvalidExecutionInput");
  // Deep nesting is refused before anything walks it.
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  EXPECT_EQ(
      error_type("TestState", {{"definition", R"({"Type":"Pass","End":true})"}, {"input", deep}}),
      "InvalidExecutionInput");
}

TEST_F(TestStateTest, VariablesMustBeAnObject) {
  EXPECT_EQ(error_type("TestState",
                       {{"definition", R"({"Type":"Pass","End":true})"}, {"variables", "[1]"}}),
            "ValidationException");
}

TEST_F(TestStateTest, ContextWithMembersTheServiceDoesNotSetIsRefused) {
  ApiError map = fail(
      "TestState", {{"definition", R"({"Type":"Pass","End":true})"}, {"context", R"({"Map":{}})"}});
  EXPECT_EQ(map.message(),
            "Invalid Context object provided: 'Map' field is not supported when mocking a "
            "Context object");
  ApiError field = fail("TestState", {{"definition", R"({"Type":"Pass","End":true})"},
                                      {"context", R"({"Execution":{"pokemon":1}})"}});
  EXPECT_EQ(field.message(), "Invalid Context object provided: Field 'pokemon' is not allowed");
  ApiError type = fail("TestState", {{"definition", R"({"Type":"Pass","End":true})"},
                                     {"context", R"({"Execution":{"Id":1}})"}});
  EXPECT_EQ(type.message(), "Invalid Context object provided: Execution.Id must be a string");
}

TEST_F(TestStateTest, MembersAreCheckedAgainstTheModel) {
  ApiError e = fail("TestState", {{"definition", R"({"Type":"Pass","End":true})"},
                                  {"inspectionLevel", "LOUD"},
                                  {"stateConfiguration", {{"retrierRetryCount", -1}}},
                                  {"mock", {{"fieldValidationMode", "SOME"}}}});
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_TRUE(e.message().starts_with("3 validation errors detected")) << e.message();
  EXPECT_NE(e.message().find("'stateConfiguration.retrierRetryCount'"), std::string::npos)
      << e.message();
  EXPECT_NE(e.message().find("'mock.fieldValidationMode'"), std::string::npos) << e.message();
}

TEST_F(TestStateTest, ItemReaderDataIsRefused) {
  EXPECT_EQ(error_type("TestState", {{"definition", map_state(0)},
                                     {"mock", {{"result", "[]"}}},
                                     {"stateConfiguration", {{"mapItemReaderData", "[1]"}}}}),
            "ValidationException");
}

TEST_F(TestStateTest, RoleArnMustBeAnArn) {
  EXPECT_EQ(error_type("TestState", {{"definition", R"({"Type":"Pass","End":true})"},
                                     {"roleArn", "not-an-arn"}}),
            "InvalidArn");
}

}  // namespace
}  // namespace stepd::ops::testing

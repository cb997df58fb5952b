// The pure transition function, driven event by event with simulated time.
#include "core/engine/transition.h"

#include <gtest/gtest.h>

#include <map>

#include "core/asl/parser.h"
#include "core/engine/memory_data.h"

namespace stepd::engine {
namespace {

class TransitionTest : public ::testing::Test {
 protected:
  // Starts an execution of `definition` with `input`; later events go through feed().
  void start(const std::string& definition, const std::string& input = "{}") {
    machine_ = asl::parse_state_machine(definition);
    exec_ = new_execution_record(42, "arn:aws:states:us-east-1:123456789012:execution:sm:e1",
                                 "arn:aws:states:us-east-1:123456789012:stateMachine:sm", "e1",
                                 "rev1", input, now_);
    EngineEvent e;
    e.kind = EngineEvent::Kind::kStart;
    ASSERT_TRUE(feed(e));
  }

  // Applies the event; returns whether it applied. Keeps the write for inspection.
  bool feed(const EngineEvent& e) {
    TransitionContext ctx{*machine_,      now_, ids_, tokens_, "us-east-1",
                          "123456789012", "",   "",   25000};
    ctx.state_machine_name = "sm";
    ctx.role_arn = "arn:aws:iam::123456789012:role/r";
    ctx.history_limit = history_limit_;
    ctx.data = &data_;
    Transition t = advance(exec_, e, ctx);
    if (!t.applied) return false;
    data_.apply(t.write);
    exec_ = t.write.execution;
    last_ = t.write;
    for (const auto& ev : t.write.events) history_.push_back(ev);
    return true;
  }

  bool fire(const std::string& tag) { return feed(EngineEvent::timer(tag)); }

  bool succeed(int64_t seq, const std::string& output) {
    EngineEvent e;
    e.kind = EngineEvent::Kind::kTaskSucceeded;
    e.task_seq = seq;
    e.output = output;
    return feed(e);
  }

  bool fail(int64_t seq, const std::string& error, const std::string& cause = "") {
    EngineEvent e;
    e.kind = EngineEvent::Kind::kTaskFailed;
    e.task_seq = seq;
    e.error = {error, cause};
    return feed(e);
  }

  bool worker_takes(int64_t seq) {
    EngineEvent e;
    e.kind = EngineEvent::Kind::kActivityStarted;
    e.task_seq = seq;
    e.worker_name = "w1";
    return feed(e);
  }

  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& e : history_) out.push_back(e.type);
    return out;
  }

  Json output() const { return Json::parse(exec_.output.value()); }

  const store::TimerRecord* timer_set(const std::string& tag) const {
    for (const auto& t : last_.timers_set) {
      if (t.tag == tag) return &t;
    }
    return nullptr;
  }

  int64_t now_ = 1700000000000;
  int64_t history_limit_ = 25000;
  SequentialIdSource ids_;
  TokenCodec tokens_{std::string(32, 'k')};
  std::shared_ptr<const asl::StateMachine> machine_;
  store::ExecutionRecord exec_;
  store::ExecutionWrite last_;
  std::vector<store::HistoryEventRecord> history_;
  MemoryData data_;
};

constexpr const char* kActivity = "arn:aws:states:us-east-1:123456789012:activity:work";

std::string activity_machine(const std::string& extra) {
  return R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" + std::string(kActivity) +
         R"(",)" + extra + R"("End":true}}})";
}

TEST_F(TransitionTest, PassChainSucceedsWithAwsHistory) {
  start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"B"},
    "B":{"Type":"Pass","Parameters":{"sum.$":"$.a.x","name.$":"$$.Execution.Name"},"End":true}}})",
        R"({"in":true})");
  EXPECT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output(), Json::parse(R"({"sum":1,"name":"e1"})"));
  EXPECT_EQ(types(), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                               "PassStateExited", "PassStateEntered",
                                               "PassStateExited", "ExecutionSucceeded"}));
  // Ids count from 1; the first state's entry links to 0, the rest to the event before.
  EXPECT_EQ(history_[0].id, 1);
  EXPECT_EQ(history_[1].previous_id, 0);
  EXPECT_EQ(history_[2].previous_id, 2);
  EXPECT_EQ(history_[5].id, 6);
  EXPECT_EQ(Json::parse(history_[1].details)["name"], "A");
  EXPECT_TRUE(last_.clear_all_timers);
}

TEST_F(TransitionTest, ChoiceWithoutMatchFailsWithNoChoiceMatched) {
  start(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"Big"}]},
    "Big":{"Type":"Succeed"}}})",
        R"({"n":1})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.NoChoiceMatched");
}

TEST_F(TransitionTest, ChoiceFollowsMatchingRule) {
  start(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"Big"}],
         "Default":"Small"},
    "Big":{"Type":"Pass","Result":"big","End":true},
    "Small":{"Type":"Pass","Result":"small","End":true}}})",
        R"({"n":9})");
  EXPECT_EQ(output(), "big");
}

TEST_F(TransitionTest, WaitSecondsWaitsForItsTimer) {
  start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}})", R"({"k":1})");
  EXPECT_EQ(exec_.status, "RUNNING");
  ASSERT_NE(timer_set(kTimerWait), nullptr);
  EXPECT_EQ(timer_set(kTimerWait)->due_ms, now_ + 10000);
  now_ += 9999;
  EXPECT_FALSE(fire(kTimerWait)) << "a timer that is not due changes nothing";
  now_ += 1;
  ASSERT_TRUE(fire(kTimerWait));
  EXPECT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output(), Json::parse(R"({"k":1})"));
  EXPECT_EQ(types().back(), "ExecutionSucceeded");
  EXPECT_EQ(history_[history_.size() - 2].type, "WaitStateExited");
}

TEST_F(TransitionTest, WaitTimestampInThePastFiresAtOnce) {
  start(
      R"({"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2016-03-14T01:59:00Z","End":true}}})");
  ASSERT_NE(timer_set(kTimerWait), nullptr);
  EXPECT_EQ(timer_set(kTimerWait)->due_ms, now_);
}

TEST_F(TransitionTest, SecondsPathMustBeANonNegativeInteger) {
  start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})",
        R"({"s":-1})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.Runtime");
  EXPECT_EQ(exec_.cause,
            "An error occurred while executing the state 'W' (entered at the event id #2). The "
            "SecondsPath parameter references a negative value: $.s == -1");
}

// A waiting execution's runtime state is stored for as long as it waits (a million of them are
// gigabytes): members at their defaults are left out, and the execution still runs from it.
TEST_F(TransitionTest, AWaitingStateLeavesDefaultsOut) {
  start(activity_machine(""), R"({"job":1})");
  ASSERT_EQ(exec_.status, "RUNNING");
  for (const char* member :
       {"\"vars\"", "\"retries\"", "\"started\"", "\"wait_for_token\"", "\"resource_type\""}) {
    EXPECT_EQ(exec_.state.find(member), std::string::npos) << member << " in " << exec_.state;
  }
  ASSERT_TRUE(succeed(1, R"("done")"));
  EXPECT_EQ(exec_.status, "SUCCEEDED");
}

TEST_F(TransitionTest, ActivityTaskRunsThroughQueueAndResultPath) {
  start(activity_machine(R"("Parameters":{"job.$":"$.job","token.$":"$$.Task.Token"},
                            "ResultPath":"$.result","TimeoutSeconds":60,"HeartbeatSeconds":10,)"),
        R"({"job":"load"})");
  ASSERT_EQ(last_.activity_tasks_add.size(), 1u);
  const auto& queued = last_.activity_tasks_add[0];
  EXPECT_EQ(queued.activity_arn, kActivity);
  EXPECT_EQ(queued.task_seq, 1);
  auto claims = tokens_.open(queued.token);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->execution_id, 42);
  EXPECT_EQ(claims->task_seq, 1);
  Json params = Json::parse(queued.input);
  EXPECT_EQ(params["job"], "load");
  EXPECT_EQ(params["token"], queued.token);
  EXPECT_TRUE(last_.timers_set.empty()) << "activity timers start when a worker takes the task";

  ASSERT_TRUE(worker_takes(1));
  EXPECT_EQ(types().back(), "ActivityStarted");
  EXPECT_EQ(Json::parse(history_.back().details)["workerName"], "w1");
  ASSERT_NE(timer_set("task-timeout:1"), nullptr);
  EXPECT_EQ(timer_set("task-timeout:1")->due_ms, now_ + 60000);
  EXPECT_EQ(timer_set("heartbeat:1")->due_ms, now_ + 10000);
  EXPECT_FALSE(worker_takes(1)) << "a task is handed out once";

  ASSERT_TRUE(succeed(1, R"({"rows":3})"));
  EXPECT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output(), Json::parse(R"({"job":"load","result":{"rows":3}})"));
  EXPECT_FALSE(succeed(1, "{}")) << "a token answers once";
  EXPECT_EQ(types(),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                      "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                      "ExecutionSucceeded"}));
}

TEST_F(TransitionTest, HeartbeatMovesOnlyTheHeartbeatTimer) {
  start(activity_machine(R"("TimeoutSeconds":60,"HeartbeatSeconds":10,)"));
  ASSERT_TRUE(worker_takes(1));
  now_ += 8000;
  EngineEvent hb;
  hb.kind = EngineEvent::Kind::kTaskHeartbeat;
  hb.task_seq = 1;
  ASSERT_TRUE(feed(hb));
  EXPECT_TRUE(last_.events.empty()) << "a heartbeat writes no history";
  ASSERT_NE(timer_set("heartbeat:1"), nullptr);
  EXPECT_EQ(timer_set("heartbeat:1")->due_ms, now_ + 10000);
  EXPECT_EQ(timer_set("task-timeout:1"), nullptr);
  // The old heartbeat deadline passes without effect; the new one times the task out.
  now_ += 3000;
  EXPECT_FALSE(fire("heartbeat:1"));
  now_ += 7000;
  ASSERT_TRUE(fire("heartbeat:1"));
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.Timeout");
  EXPECT_EQ(types()[types().size() - 2], "ActivityTimedOut");
}

TEST_F(TransitionTest, RetryBacksOffThenCatchTakesOver) {
  start(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":")" +
            std::string(kActivity) + R"(",
         "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"MaxAttempts":2,"BackoffRate":3}],
         "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Handled"}],
         "End":true},
    "Handled":{"Type":"Pass","End":true}}})",
        R"({"a":1})");
  ASSERT_TRUE(fail(1, "Flaky", "first"));
  EXPECT_EQ(exec_.status, "RUNNING");
  ASSERT_NE(timer_set(kTimerRetry), nullptr);
  EXPECT_EQ(timer_set(kTimerRetry)->due_ms, now_ + 2000);
  now_ += 2000;
  ASSERT_TRUE(fire(kTimerRetry));
  ASSERT_EQ(last_.activity_tasks_add.size(), 1u);
  EXPECT_EQ(last_.activity_tasks_add[0].task_seq, 2) << "every attempt gets a new token";
  EXPECT_FALSE(succeed(1, "{}")) << "the first attempt's token is closed";
  ASSERT_TRUE(fail(2, "Flaky", "second"));
  EXPECT_EQ(timer_set(kTimerRetry)->due_ms, now_ + 6000);
  now_ += 6000;
  ASSERT_TRUE(fire(kTimerRetry));
  ASSERT_TRUE(fail(3, "Flaky", "third"));
  EXPECT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output(), Json::parse(R"({"a":1,"err":{"Error":"Flaky","Cause":"third"}})"));
}

TEST_F(TransitionTest, HeartbeatTimeoutIsMatchedOnlyByItsOwnName) {
  start(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","HeartbeatSeconds":5,
         "Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"HB"}],"End":true},
    "HB":{"Type":"Pass","End":true}}})");
  ASSERT_TRUE(worker_takes(1));
  now_ += 5000;
  ASSERT_TRUE(fire("heartbeat:1"));
  EXPECT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output()["Error"], "States.Timeout");
}

TEST_F(TransitionTest, StopAbortsAndClosesEverything) {
  start(activity_machine(""));
  EngineEvent stop;
  stop.kind = EngineEvent::Kind::kStop;
  stop.error = {"Cancelled", "by the operator"};
  ASSERT_TRUE(feed(stop));
  EXPECT_EQ(exec_.status, "ABORTED");
  EXPECT_TRUE(last_.clear_activity_tasks);
  EXPECT_TRUE(last_.clear_all_timers);
  EXPECT_EQ(types().back(), "ExecutionAborted");
  EXPECT_FALSE(succeed(1, "{}"));
  EXPECT_FALSE(feed(stop)) << "a closed execution does not change";
}

TEST_F(TransitionTest, ExecutionTimeoutEndsTheExecution) {
  start(
      R"({"TimeoutSeconds":30,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})");
  ASSERT_NE(timer_set(kTimerExecutionTimeout), nullptr);
  now_ += 30000;
  ASSERT_TRUE(fire(kTimerExecutionTimeout));
  EXPECT_EQ(exec_.status, "TIMED_OUT");
  EXPECT_EQ(types().back(), "ExecutionTimedOut");
}

TEST_F(TransitionTest, FailStateUsesErrorAndCause) {
  start(R"({"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","Cause":"because"}}})",
        R"({"e":"Boom"})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "Boom");
  EXPECT_EQ(exec_.cause, "because");
  EXPECT_EQ(types(),
            (std::vector<std::string>{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}));
}

TEST_F(TransitionTest, MissingInputPathIsARuntimeErrorWithAwsCause) {
  start(
      R"({"StartAt":"pass","States":{"pass":{"Type":"Pass","InputPath":"$.NoSuchInputPath","End":true}}})");
  EXPECT_EQ(exec_.error, "States.Runtime");
  EXPECT_EQ(exec_.cause,
            "An error occurred while executing the state 'pass' (entered at the event id #2). "
            "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']");
}

TEST_F(TransitionTest, HistoryLimitFailsALoopingExecution) {
  history_limit_ = 50;
  start(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
    "B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],
         "Default":"A"},
    "Done":{"Type":"Succeed"}}})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.Runtime");
  EXPECT_LE(exec_.event_count, 50);
}

TEST_F(TransitionTest, HttpInvokeWaitsForTokenAfterSubmit) {
  start(R"({"StartAt":"H","States":{"H":{"Type":"Task",
    "Resource":"arn:aws:states:::http:invoke.waitForTaskToken",
    "Parameters":{"ApiEndpoint":"http://127.0.0.1:9/hook","Method":"POST",
                  "QueryParameters":{"a b":"c"},
                  "RequestBody":{"token.$":"$$.Task.Token"}},"End":true}}})");
  ASSERT_EQ(last_.outbox_add.size(), 1u);
  Json payload = Json::parse(last_.outbox_add[0].payload);
  EXPECT_EQ(payload["request"]["url"], "http://127.0.0.1:9/hook?a%20b=c");
  Json body = Json::parse(payload["request"]["body"].get<std::string>());
  auto claims = tokens_.open(body["token"].get<std::string>());
  ASSERT_TRUE(claims);
  EngineEvent reply;
  reply.kind = EngineEvent::Kind::kHttpResponse;
  reply.task_seq = 1;
  reply.payload = Json{{"StatusCode", 202},
                       {"StatusText", "Accepted"},
                       {"Headers", Json::object()},
                       {"ResponseBody", ""}};
  ASSERT_TRUE(feed(reply));
  EXPECT_EQ(types().back(), "TaskSubmitted");
  EXPECT_EQ(last_.outbox_remove, std::vector<std::string>{"http:1"});
  ASSERT_TRUE(succeed(1, R"("done")"));
  EXPECT_EQ(output(), "done");
}

TEST_F(TransitionTest, HttpInvokeNon2xxFailsWithStatusCodeError) {
  start(R"({"StartAt":"H","States":{"H":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
    "Parameters":{"ApiEndpoint":"http://127.0.0.1:9/","Method":"GET"},"End":true}}})");
  EngineEvent reply;
  reply.kind = EngineEvent::Kind::kHttpResponse;
  reply.task_seq = 1;
  reply.payload = Json{{"StatusCode", 503},
                       {"StatusText", "Service Unavailable"},
                       {"Headers", Json::object()},
                       {"ResponseBody", "{}"}};
  ASSERT_TRUE(feed(reply));
  EXPECT_EQ(exec_.error, "States.Http.StatusCode.503");
}

// ---- SQL tasks: the engine asks for the Data API call in the outbox and takes its answer back

EngineEvent sql_result(int64_t seq, Json payload) {
  EngineEvent e;
  e.kind = EngineEvent::Kind::kSqlResult;
  e.task_seq = seq;
  e.payload = std::move(payload);
  return e;
}

TEST_F(TransitionTest, SyncSqlStepAsksForItsStatementAndCompletesWithTheResult) {
  start(R"({"StartAt":"Q","States":{"Q":{"Type":"Task",
    "Resource":"arn:aws:states:::redshift-data:executeStatement.sync","TimeoutSeconds":30,
    "Parameters":{"ClusterIdentifier":"wh","Database":"dev","Sql":"SELECT :id",
                  "Parameters":[{"name":"id","value.$":"$.id"}]},
    "ResultSelector":{"rows.$":"$.ResultRows"},"End":true}}})",
        R"({"id":"7"})");
  ASSERT_EQ(last_.outbox_add.size(), 1u);
  EXPECT_EQ(last_.outbox_add[0].key, "sql:1");
  EXPECT_EQ(last_.outbox_add[0].kind, "sql");
  Json call = Json::parse(last_.outbox_add[0].payload);
  EXPECT_EQ(call["action"], "ExecuteStatement");
  EXPECT_EQ(call["sync"], true);
  EXPECT_EQ(call["timeout_s"], 30);
  EXPECT_EQ(call["request"]["Parameters"][0]["value"], "7");
  ASSERT_NE(timer_set("task-timeout:1"), nullptr);
  EXPECT_EQ(types().back(), "TaskStarted");
  ASSERT_TRUE(feed(sql_result(1, Json{{"Output", {{"Status", "FINISHED"}, {"ResultRows", 1}}}})));
  EXPECT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output(), Json::parse(R"({"rows":1})"));
  // The finished task's entry leaves the outbox (and with it, the runner's interest).
  EXPECT_EQ(last_.outbox_remove, std::vector<std::string>{"sql:1"});
}

TEST_F(TransitionTest, AwsSdkRedshiftDataResourcesMapToDataApiActions) {
  const std::pair<const char*, const char*> cases[] = {
      {"aws-sdk:redshiftdata:executeStatement", "ExecuteStatement"},
      {"aws-sdk:redshiftdata:batchExecuteStatement", "BatchExecuteStatement"},
      {"aws-sdk:redshiftdata:describeStatement", "DescribeStatement"},
      {"aws-sdk:redshiftdata:getStatementResult", "GetStatementResult"},
      {"aws-sdk:redshiftdata:cancelStatement", "CancelStatement"},
      {"aws-sdk:redshiftdata:listStatements", "ListStatements"},
      {"redshift-data:batchExecuteStatement.sync", "BatchExecuteStatement"}};
  for (const auto& [resource, action] : cases) {
    start(std::string(
              R"({"StartAt":"Q","States":{"Q":{"Type":"Task","Resource":"arn:aws:states:::)") +
          resource + R"(","Parameters":{"Id":"x"},"End":true}}})");
    ASSERT_EQ(last_.outbox_add.size(), 1u) << resource;
    Json call = Json::parse(last_.outbox_add[0].payload);
    EXPECT_EQ(call["action"], action) << resource;
    EXPECT_EQ(call["sync"], std::string(resource).ends_with(".sync")) << resource;
  }
  // Not a Data API operation, and .sync is not offered for it: the task fails, naming it.
  for (const char* resource :
       {"aws-sdk:redshiftdata:dropTable", "redshift-data:describeStatement.sync"}) {
    start(std::string(
              R"({"StartAt":"Q","States":{"Q":{"Type":"Task","Resource":"arn:aws:states:::)") +
          resource + R"(","End":true}}})");
    EXPECT_EQ(exec_.status, "FAILED") << resource;
    EXPECT_TRUE(last_.outbox_add.empty());
  }
}

TEST_F(TransitionTest, SqlFailureIsRetriedThenCaught) {
  start(R"({"StartAt":"Q","States":{"Q":{"Type":"Task",
    "Resource":"arn:aws:states:::redshift-data:executeStatement.sync",
    "Parameters":{"ClusterIdentifier":"wh","Database":"dev","Sql":"SELECT 1"},
    "Retry":[{"ErrorEquals":["RedshiftData.DatabaseConnectionException"],"IntervalSeconds":1}],
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Failed"}],"End":true},
    "Failed":{"Type":"Pass","End":true}}})");
  ASSERT_TRUE(feed(sql_result(1, Json{{"Error", "RedshiftData.DatabaseConnectionException"},
                                      {"Cause", "server closed the connection"}})));
  ASSERT_NE(timer_set("retry"), nullptr);
  now_ += 1000;
  ASSERT_TRUE(fire("retry"));
  ASSERT_EQ(last_.outbox_add.size(), 1u);
  EXPECT_EQ(last_.outbox_add[0].key, "sql:2");
  ASSERT_TRUE(
      feed(sql_result(2, Json{{"Error", "RedshiftData.ExecuteStatementException"},
                              {"Cause", "relation \"t\" does not exist (SQLSTATE 42P01)"}})));
  EXPECT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output()["err"]["Error"], "RedshiftData.ExecuteStatementException");
  // A late answer for the first attempt changes nothing.
  EXPECT_FALSE(feed(sql_result(1, Json{{"Output", Json::object()}})));
}

TEST_F(TransitionTest, StoppingOrTimingOutASqlStepNamesItsStatementForCancellation) {
  const std::string def = R"({"StartAt":"Q","States":{"Q":{"Type":"Task",
    "Resource":"arn:aws:states:::redshift-data:executeStatement.sync","TimeoutSeconds":5,
    "Parameters":{"ClusterIdentifier":"wh","Database":"dev","Sql":"SELECT pg_sleep(9) AS s"},
    "End" : true
}
}
})";
  start(def);
  EngineEvent stop;
  stop.kind = EngineEvent::Kind::kStop;
  ASSERT_TRUE(feed(stop));
  EXPECT_EQ(exec_.status, "ABORTED");
  EXPECT_TRUE(last_.clear_outbox);
  EXPECT_EQ(last_.outbox_remove, std::vector<std::string>{"sql:1"});

  start(def);
  now_ += 5000;
  ASSERT_TRUE(fire("task-timeout:1"));
  EXPECT_EQ(exec_.error, "States.Timeout");
  EXPECT_NE(std::find(last_.outbox_remove.begin(), last_.outbox_remove.end(), "sql:1"),
            last_.outbox_remove.end());
}

TEST_F(TransitionTest, AFailingBranchCancelsTheSqlStepOfItsSibling) {
  start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
    "Catch":[{"ErrorEquals":["States.ALL"],"Next":"W"}],
    "Branches":[
      {"StartAt":"Q","States":{"Q":{"Type":"Task",
         "Resource":"arn:aws:states:::redshift-data:executeStatement.sync",
         "Parameters":{"ClusterIdentifier":"wh","Database":"dev","Sql":"SELECT 1"},"End":true}}},
      {"StartAt":"H","States":{"H":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","End":true}}}]},
    "W":{"Type":"Wait","Seconds":1000,"End":true}}})");
  ASSERT_EQ(last_.outbox_add.size(), 1u);
  ASSERT_TRUE(fail(2, "Boom"));
  EXPECT_NE(std::find(last_.outbox_remove.begin(), last_.outbox_remove.end(), "sql:1"),
            last_.outbox_remove.end());
}

TEST_F(TransitionTest, AwsSdkSqlCallWithTaskTokenWaitsAfterSubmission) {
  start(R"({"StartAt":"Q","States":{"Q":{"Type":"Task",
    "Resource":"arn:aws:states:::aws-sdk:redshiftdata:executeStatement.waitForTaskToken",
    "Parameters":{"ClusterIdentifier":"wh","Database":"dev","Sql":"SELECT notify(:t) AS n",
                  "Parameters":[{"name":"t","value.$":"$$.Task.Token"}]},"End":true
}
}
})");
  ASSERT_TRUE(feed(sql_result(1, Json{{"Output", {{"Id", "abc"}}}})));
  EXPECT_EQ(types().back(), "TaskSubmitted");
  EXPECT_EQ(exec_.status, "RUNNING");
  ASSERT_TRUE(succeed(1, R"({"done":true})"));
  EXPECT_EQ(output(), Json::parse(R"({"done":true})"));
}

TEST(RetryArithmetic, BackoffCapsAndJitter) {
  asl::Retrier r;
  r.interval_seconds = 3;
  r.backoff_rate = 2.0;
  EXPECT_EQ(retry_delay_ms(r, 0, 0.5), 3000);
  EXPECT_EQ(retry_delay_ms(r, 1, 0.5), 6000);
  EXPECT_EQ(retry_delay_ms(r, 4, 0.5), 48000);
  r.max_delay_seconds = 10;
  EXPECT_EQ(retry_delay_ms(r, 4, 0.5), 10000);
  r.jitter_full = true;
  EXPECT_EQ(retry_delay_ms(r, 4, 0.25), 2500);
  EXPECT_EQ(retry_delay_ms(r, 4, 0.0), 0);
}

TEST(ErrorMatching, BuiltInNames) {
  EXPECT_TRUE(error_matches("States.ALL", "Anything", false));
  EXPECT_FALSE(error_matches("States.ALL", "States.Runtime", false));
  EXPECT_FALSE(error_matches("States.ALL", "States.DataLimitExceeded", false));
  EXPECT_TRUE(error_matches("States.TaskFailed", "MyError", false));
  EXPECT_FALSE(error_matches("States.TaskFailed", "States.Timeout", false));
  EXPECT_TRUE(error_matches("States.Timeout", "States.Timeout", true));
  EXPECT_TRUE(error_matches("States.HeartbeatTimeout", "States.Timeout", true));
  EXPECT_FALSE(error_matches("States.HeartbeatTimeout", "States.Timeout", false));
  EXPECT_FALSE(error_matches("MyError", "OtherError", false));
}

// ---- Parallel, Map, variables in them, redrive

// The task seqs of the activity tasks the last step queued, with their inputs.
std::vector<std::pair<int64_t, Json>> queued(const store::ExecutionWrite& w) {
  std::vector<std::pair<int64_t, Json>> out;
  for (const auto& t : w.activity_tasks_add) out.emplace_back(t.task_seq, Json::parse(t.input));
  return out;
}

std::string map_of_tasks(const std::string& map_fields) {
  return R"({"StartAt":"M","States":{"M":{"Type":"Map",)" + map_fields +
         R"("ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
         std::string(kActivity) + R"(","End":true}}},"End":true}}})";
}

TEST_F(TransitionTest, ParallelGathersBranchOutputsInBranchOrder) {
  start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
    "Parameters":{"v.$":"$.v"},"ResultSelector":{"both.$":"$"},
    "Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Pass","InputPath":"$.v","End":true}}}]}}})",
        R"({"v":7,"other":1})");
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"both":["a",7]})"));
  auto t = types();
  EXPECT_EQ(t[1], "ParallelStateEntered");
  EXPECT_EQ(t[2], "ParallelStateStarted");
  EXPECT_EQ(t[t.size() - 3], "ParallelStateSucceeded");
  EXPECT_EQ(t[t.size() - 2], "ParallelStateExited");
  EXPECT_TRUE(last_.clear_data);
  EXPECT_TRUE(data_.rows().empty());
}

TEST_F(TransitionTest, ParallelBranchFailureAbortsTheOthersAndClosesTheirTasks) {
  start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"Done",
    "Catch":[{"ErrorEquals":["Boom"],"ResultPath":"$.err","Next":"Done"}],
    "Branches":[
      {"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","End":true}}},
      {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"F"},
                               "F":{"Type":"Fail","Error":"Boom","Cause":"bad"}}}]},
    "Done":{"Type":"Pass","End":true}}})");
  ASSERT_EQ(queued(last_).size(), 1u);
  int64_t seq = queued(last_)[0].first;
  ASSERT_NE(timer_set("wait:2"), nullptr) << "the second branch's wait is its own timer";
  now_ += 5000;
  ASSERT_TRUE(fire("wait:2"));
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output()["err"]["Error"], "Boom");
  ASSERT_EQ(last_.activity_task_seqs_remove.size(), 1u);
  EXPECT_EQ(last_.activity_task_seqs_remove[0], seq);
  EXPECT_FALSE(succeed(seq, "{}")) << "the aborted branch's token no longer applies";
  auto t = types();
  EXPECT_NE(std::find(t.begin(), t.end(), "ParallelStateFailed"), t.end());
}

TEST_F(TransitionTest, MapRunsIterationsInItemOrderWithItemSelector) {
  start(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
    "ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value","k.$":"$.k"},
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}})",
        R"({"items":["a","b","c"],"k":1})");
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"([{"i":0,"v":"a","k":1},{"i":1,"v":"b","k":1},
                                     {"i":2,"v":"c","k":1}])"));
  auto t = types();
  EXPECT_EQ(std::count(t.begin(), t.end(), "MapIterationStarted"), 3);
  EXPECT_EQ(std::count(t.begin(), t.end(), "MapIterationSucceeded"), 3);
  EXPECT_EQ(Json::parse(history_[2].details), Json::parse(R"({"length":3})"));
  EXPECT_TRUE(last_.data_put.empty()) << "a Map that ends within one step writes no rows";
}

TEST_F(TransitionTest, MapInputThatIsNotAnArrayIsARuntimeError) {
  start(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}})",
        R"({"a":1})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.Runtime");
  EXPECT_EQ(exec_.cause,
            "An error occurred while executing the state 'M' (entered at the event id #2). "
            "Map state input must be an array but was: {\"a\":1}");
}

TEST_F(TransitionTest, MapMaxConcurrencyKeepsPendingItemsAsRows) {
  start(map_of_tasks(R"("MaxConcurrency":2,)"), R"([10,20,30,40,50])");
  auto first = queued(last_);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].second, 10);
  EXPECT_EQ(first[1].second, 20);
  EXPECT_EQ(data_.scan("item:").size(), 3u) << "items 2..4 wait as data rows";
  EXPECT_EQ(data_.scan("in:").size(), 1u) << "so does the Map's raw input";
  // Finishing out of order keeps item order in the result.
  ASSERT_TRUE(succeed(first[1].first, R"("r20")"));
  auto third = queued(last_);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].second, 30);
  ASSERT_TRUE(succeed(first[0].first, R"("r10")"));
  auto fourth = queued(last_);
  ASSERT_EQ(fourth.size(), 1u);
  ASSERT_TRUE(succeed(third[0].first, R"("r30")"));
  auto fifth = queued(last_);
  ASSERT_EQ(fifth.size(), 1u);
  ASSERT_TRUE(succeed(fifth[0].first, R"("r50")"));
  EXPECT_EQ(exec_.status, "RUNNING") << exec_.cause.value_or("");
  ASSERT_TRUE(succeed(fourth[0].first, R"("r40")"));
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"(["r10","r20","r30","r40","r50"])"));
  EXPECT_TRUE(data_.rows().empty());
}

TEST_F(TransitionTest, MapIterationFailureAbortsSiblingsAndFailsTheExecution) {
  start(map_of_tasks(""), R"([1,2,3])");
  auto tasks = queued(last_);
  ASSERT_EQ(tasks.size(), 3u);
  ASSERT_TRUE(fail(tasks[1].first, "Oops", "it broke"));
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "Oops");
  EXPECT_EQ(exec_.cause, "it broke");
  auto t = types();
  EXPECT_EQ(std::count(t.begin(), t.end(), "MapIterationFailed"), 1);
  EXPECT_EQ(std::count(t.begin(), t.end(), "MapIterationAborted"), 2);
  EXPECT_EQ(std::count(t.begin(), t.end(), "MapStateFailed"), 1);
  EXPECT_TRUE(last_.clear_activity_tasks);
}

TEST_F(TransitionTest, MapToleratedFailureCountLetsSomeIterationsFail) {
  start(map_of_tasks(R"("ToleratedFailureCount":1,)"), R"([1,2,3])");
  auto tasks = queued(last_);
  ASSERT_TRUE(fail(tasks[0].first, "Oops", "first"));
  EXPECT_EQ(exec_.status, "RUNNING") << exec_.cause.value_or("");
  ASSERT_TRUE(succeed(tasks[1].first, "2"));
  ASSERT_TRUE(fail(tasks[2].first, "Oops", "second"));
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.ExceedToleratedFailureThreshold");
}

TEST_F(TransitionTest, MapRetryRunsEveryIterationAgain) {
  start(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
    "Retry":[{"ErrorEquals":["Oops"],"IntervalSeconds":1,"MaxAttempts":1}],
    "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
            std::string(kActivity) + R"(","End":true}}}}}})",
        R"([1,2])");
  auto tasks = queued(last_);
  ASSERT_TRUE(succeed(tasks[0].first, "1"));
  ASSERT_TRUE(fail(tasks[1].first, "Oops"));
  EXPECT_EQ(exec_.status, "RUNNING") << exec_.cause.value_or("");
  ASSERT_NE(timer_set(kTimerRetry), nullptr);
  EXPECT_TRUE(data_.scan("res:").empty()) << "the failed attempt's results are gone";
  now_ += 1000;
  ASSERT_TRUE(fire(kTimerRetry));
  auto again = queued(last_);
  ASSERT_EQ(again.size(), 2u);
  ASSERT_TRUE(succeed(again[0].first, R"("x")"));
  ASSERT_TRUE(succeed(again[1].first, R"("y")"));
  EXPECT_EQ(output(), Json::parse(R"(["x","y"])"));
}

TEST_F(TransitionTest, IterationsReadOuterVariablesAndKeepTheirOwn) {
  start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"x":1},"Next":"M"},
    "M":{"Type":"Map","Next":"B","ItemProcessor":{"StartAt":"P","States":{
      "P":{"Type":"Pass","Assign":{"inner.$":"$"},"Next":"Q"},
      "Q":{"Type":"Pass","Parameters":{"x.$":"$x","inner.$":"$inner"},"End":true}}}},
    "B":{"Type":"Pass","Parameters":{"x.$":"$x","r.$":"$"},"End":true}}})",
        R"([5,6])");
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"x":1,"r":[{"x":1,"inner":5},{"x":1,"inner":6}]})"));
}

TEST_F(TransitionTest, RedriveRunsOnlyTheFailedIterations) {
  start(map_of_tasks(""), R"([1,2,3])");
  auto tasks = queued(last_);
  ASSERT_TRUE(succeed(tasks[0].first, R"("one")"));
  ASSERT_TRUE(fail(tasks[1].first, "Oops"));
  ASSERT_EQ(exec_.status, "FAILED");
  EXPECT_FALSE(data_.rows().empty()) << "the finished iteration's result is kept for a redrive";

  EngineEvent redrive;
  redrive.kind = EngineEvent::Kind::kRedrive;
  now_ += 60000;
  ASSERT_TRUE(feed(redrive));
  EXPECT_EQ(exec_.status, "RUNNING") << exec_.cause.value_or("");
  EXPECT_EQ(exec_.redrive_count, 1);
  EXPECT_EQ(exec_.redrive_ms, now_);
  EXPECT_EQ(last_.events.front().type, "ExecutionRedriven");
  auto rerun = queued(last_);
  ASSERT_EQ(rerun.size(), 2u) << "the failed and the aborted iteration run again";
  EXPECT_EQ(rerun[0].second, 2);
  EXPECT_EQ(rerun[1].second, 3);
  ASSERT_TRUE(succeed(rerun[0].first, R"("two")"));
  ASSERT_TRUE(succeed(rerun[1].first, R"("three")"));
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"(["one","two","three"])"));
}

TEST_F(TransitionTest, RedriveEntersTheFailedStateAgainWithItsInput) {
  start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"n":1},"Next":"T"},
    "T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","End":true}}})");
  auto tasks = queued(last_);
  ASSERT_TRUE(fail(tasks[0].first, "Oops"));
  EngineEvent redrive;
  redrive.kind = EngineEvent::Kind::kRedrive;
  ASSERT_TRUE(feed(redrive));
  auto again = queued(last_);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].second, Json::parse(R"({"n":1})"));
  auto t = types();
  EXPECT_EQ(std::count(t.begin(), t.end(), "PassStateEntered"), 1) << "A does not run again";
  ASSERT_TRUE(succeed(again[0].first, R"({"ok":true})"));
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
}

TEST_F(TransitionTest, RedriveOfASucceededExecutionChangesNothing) {
  start(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  EngineEvent redrive;
  redrive.kind = EngineEvent::Kind::kRedrive;
  EXPECT_FALSE(feed(redrive));
}

TEST_F(TransitionTest, AssignBeyond256KiBIsARuntimeError) {
  start(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"big.$":"$.s"},"End":true}}})",
        Json{{"s", std::string(300000, 'x')}}.dump());
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.Runtime");
  EXPECT_NE(exec_.cause->find("exceed the limit of 262144 bytes"), std::string::npos)
      << *exec_.cause;
}

// ---- waits started and ended in one step; cleanup of failed children; redrive of fans

const char* kHttpTask =
    R"("Type":"Task","Resource":"arn:aws:states:::http:invoke","TimeoutSeconds":60,)"
    R"("Parameters":{"ApiEndpoint":"https://example.com/x","Method":"POST"},)";

EngineEvent redrive_event() {
  EngineEvent e;
  e.kind = EngineEvent::Kind::kRedrive;
  return e;
}

TEST_F(TransitionTest, ATaskQueuedAndAbortedInOneStepNeverReachesTheStore) {
  start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"W",
    "Catch":[{"ErrorEquals":["Boom"],"Next":"W"}],
    "Branches":[
      {"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","End":true}}},
      {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom"}}}]},
    "W":{"Type":"Wait","Seconds":1000,"End":true}}})");
  ASSERT_EQ(exec_.status, "RUNNING");
  // The store applies removals before additions: the write must not add what it removes.
  EXPECT_TRUE(last_.activity_tasks_add.empty());
}

TEST_F(TransitionTest, AnExecutionThatFailsInItsFirstStepLeavesNoCallOrTimer) {
  start(std::string(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
    "Branches":[
      {"StartAt":"H","States":{"H":{)") +
        kHttpTask + R"("End":true}}},
      {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom"}}}]}}})");
  ASSERT_EQ(exec_.status, "FAILED");
  EXPECT_TRUE(last_.outbox_add.empty());
  EXPECT_TRUE(last_.timers_set.empty());
}

TEST_F(TransitionTest, ATolerableIterationFailureTakesItsNestedThreadsAndRowsAlong) {
  start(R"({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"End":true,
    "ItemProcessor":{"StartAt":"C","States":{
      "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":1,"Next":"P"}],"Default":"T"},
      "P":{"Type":"Parallel","End":true,"Branches":[
         {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom"}}},
         {"StartAt":"T2","States":{"T2":{"Type":"Task","Resource":")" +
            std::string(kActivity) + R"(","End":true}}}]},
      "T":{"Type":"Task","Resource":")" +
            std::string(kActivity) + R"(","End":true}}}}}})",
        "[1,2]");
  ASSERT_EQ(exec_.status, "RUNNING") << exec_.cause.value_or("");
  Json threads = Json::parse(exec_.state)["threads"];
  EXPECT_EQ(threads.size(), 2u) << threads.dump() << " (the root and item 2's iteration)";
  EXPECT_TRUE(data_.scan("in:1:").empty());
  EXPECT_TRUE(data_.scan("item:1:").empty());
}

TEST_F(TransitionTest, RedriveRemembersTheFailuresAlreadyTolerated) {
  start(map_of_tasks(R"("ToleratedFailureCount":1,)"), R"([1,2,3,4])");
  auto tasks = queued(last_);
  ASSERT_EQ(tasks.size(), 4u);
  ASSERT_TRUE(fail(tasks[0].first, "Oops", "first"));
  ASSERT_TRUE(fail(tasks[1].first, "Oops", "second"));
  ASSERT_EQ(exec_.status, "FAILED");
  ASSERT_TRUE(feed(redrive_event()));
  auto rerun = queued(last_);
  ASSERT_EQ(rerun.size(), 3u);
  ASSERT_TRUE(fail(rerun[0].first, "Oops", "again"));
  EXPECT_EQ(exec_.status, "FAILED") << "a second failure against ToleratedFailureCount 1";
  EXPECT_EQ(exec_.error, "States.ExceedToleratedFailureThreshold");
}

TEST_F(TransitionTest, AFailingItemSelectorLeavesNoItemRows) {
  start(R"J({"StartAt":"M","States":{"M":{"Type":"Map","Next":"W",
    "ItemSelector":{"v.$":"States.StringToJson($$.Map.Item.Value)"},
    "Catch":[{"ErrorEquals":["States.ALL"],"Next":"W"}],
    "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}},
    "W":{"Type":"Wait","Seconds":100,"End":true}}})J",
        R"(["1","2","{bad"])");
  ASSERT_EQ(exec_.status, "RUNNING") << exec_.cause.value_or("");
  EXPECT_TRUE(data_.rows().empty());
}

TEST_F(TransitionTest, ATaskWhoseParametersFailIsNotListedAsOpen) {
  start(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" + std::string(kActivity) +
            R"J(","Parameters":{"x.$":"States.StringToJson($.s)"},"Next":"W",
    "Catch":[{"ErrorEquals":["States.ALL"],"Next":"W"}]},
    "W":{"Type":"Wait","Seconds":100,"End":true}}})J",
        R"({"s":"{bad"})");
  ASSERT_EQ(exec_.status, "RUNNING") << exec_.cause.value_or("");
  Json st = Json::parse(exec_.state);
  EXPECT_TRUE(!st.contains("tasks") || st["tasks"].empty()) << st.dump();
}

TEST_F(TransitionTest, ARedrivenMapStartsItsRetriesAfresh) {
  start(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
    "Retry":[{"ErrorEquals":["Oops"],"IntervalSeconds":1,"MaxAttempts":1}],
    "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
            std::string(kActivity) + R"(","End":true}}}}}})",
        R"([1])");
  ASSERT_TRUE(fail(queued(last_)[0].first, "Oops"));
  now_ += 1000;
  ASSERT_TRUE(fire(kTimerRetry));
  ASSERT_TRUE(fail(queued(last_)[0].first, "Oops"));
  ASSERT_EQ(exec_.status, "FAILED");
  ASSERT_TRUE(feed(redrive_event()));
  ASSERT_TRUE(fail(queued(last_)[0].first, "Oops"));
  EXPECT_EQ(exec_.status, "RUNNING") << "retried, as a redriven Task state would be";
  EXPECT_NE(timer_set(kTimerRetry), nullptr);
}

TEST_F(TransitionTest, RedriveOfAMapInsideAParallelRunsOnlyWhatDidNotFinish) {
  std::string act = kActivity;
  start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"End":true,
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":")" +
            act + R"(","End":true}}}}}},
    {"StartAt":"B","States":{"B":{"Type":"Task","Resource":")" +
            act + R"(","End":true}}}]}}})",
        "[1,2,3]");
  auto q = queued(last_);
  ASSERT_EQ(q.size(), 2u);
  size_t map_task = q[0].second.is_array() ? 1 : 0;  // branch B gets the whole array
  ASSERT_TRUE(succeed(q[map_task].first, R"("m1")"));
  auto q2 = queued(last_);
  ASSERT_EQ(q2.size(), 1u);
  ASSERT_TRUE(fail(q2[0].first, "Oops"));
  ASSERT_EQ(exec_.status, "FAILED");
  ASSERT_TRUE(feed(redrive_event()));
  auto r = queued(last_);
  ASSERT_EQ(r.size(), 2u) << "the failed item and the aborted branch";
  ASSERT_TRUE(succeed(r[0].first, R"("x")"));
  auto r2 = queued(last_);
  ASSERT_TRUE(succeed(r[1].first, R"("y")"));
  ASSERT_EQ(r2.size(), 1u) << "then the item never started";
  ASSERT_TRUE(succeed(r2[0].first, R"("z")"));
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"([["m1","x","z"],"y"])"));
  EXPECT_TRUE(data_.rows().empty());
}

TEST_F(TransitionTest, StopThenRedriveResumesIterationsWhereTheyWere) {
  std::string act = kActivity;
  start(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{
    "StartAt":"W","States":{
        "W":{"Type":"Wait","Seconds":5,"Next":"T"},
        "T":{"Type":"Task","Resource":")" +
            act + R"(","End":true}}}}}})",
        "[1,2]");
  now_ += 5000;
  ASSERT_TRUE(fire("wait:1"));
  ASSERT_EQ(queued(last_).size(), 1u);
  EngineEvent stop;
  stop.kind = EngineEvent::Kind::kStop;
  ASSERT_TRUE(feed(stop));
  ASSERT_EQ(exec_.status, "ABORTED");
  ASSERT_TRUE(feed(redrive_event()));
  auto r = queued(last_);
  ASSERT_EQ(r.size(), 1u) << "item 1 enters its Task again; item 2 its Wait";
  ASSERT_TRUE(succeed(r[0].first, R"("a")"));
  now_ += 5000;
  ASSERT_TRUE(fire("wait:2"));
  auto r2 = queued(last_);
  ASSERT_EQ(r2.size(), 1u);
  ASSERT_TRUE(succeed(r2[0].first, R"("b")"));
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"(["a","b"])"));
}

TEST_F(TransitionTest, AStateThatFailsAssignsNothingAndChoiceRulesSeeTheOldValues) {
  start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"n":1},"Next":"C"},
    "C":{"Type":"Choice","Assign":{"seen.$":"$n"},
         "Choices":[{"Variable":"$n","NumericEquals":1,"Assign":{"n":2,"rule.$":"$n"},"Next":"T"}]},
    "T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","Assign":{"n":99},"ResultPath":null,"Next":"D",
         "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":null,"Next":"D"}]},
    "D":{"Type":"Pass","Parameters":{"n.$":"$n","seen.$":"$seen","rule.$":"$rule"},"End":true}}})");
  ASSERT_TRUE(fail(queued(last_)[0].first, "Oops"));
  EXPECT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"n":2,"seen":1,"rule":1})"));
}

TEST_F(TransitionTest, AMapThatReadsItsItemsFromS3FailsClearly) {
  start(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
    "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"k"}},
    "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
      "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}})",
        "[1]");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.Runtime");
  EXPECT_NE(exec_.cause->find("ItemReader is not supported"), std::string::npos) << *exec_.cause;
}

TEST_F(TransitionTest, StopRecordsRunningIterationsAndTheMapAsAborted) {
  start(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"T",
      "States":{"T":{"Type":"Task","Resource":")" +
            std::string(kActivity) + R"(","End":true}}}}}}]}}})",
        "[1,2]");
  size_t before = history_.size();
  EngineEvent stop;
  stop.kind = EngineEvent::Kind::kStop;
  ASSERT_TRUE(feed(stop));
  std::vector<std::string> tail;
  for (size_t i = before; i < history_.size(); ++i) tail.push_back(history_[i].type);
  EXPECT_EQ(tail, (std::vector<std::string>{"MapIterationAborted", "MapIterationAborted",
                                            "MapStateAborted", "ParallelStateAborted",
                                            "ExecutionAborted"}));
}

// ---- JSONata states (QueryLanguage "JSONata")

TEST_F(TransitionTest, JsonataPassOutputAndAssignSeeStatesAndVariables) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Assign":{"total":"{% $sum($states.input.xs) %}","label":"fixed"},
         "Output":{"n":"{% $count($states.input.xs) %}"},"Next":"B"},
    "B":{"Type":"Pass","Output":"{% {'n': $states.input.n, 'total': $total, 'label': $label} %}",
         "End":true}}})",
        R"({"xs":[1,2,3]})");
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"n":3,"total":6,"label":"fixed"})"));
}

TEST_F(TransitionTest, JsonataPassWithoutOutputPassesItsInput) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})",
        R"({"k":[1]})");
  EXPECT_EQ(output(), Json::parse(R"({"k":[1]})"));
}

TEST_F(TransitionTest, JsonataUndefinedFailsTheStateNamingTheField) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Output":{"a":{"b":["{% $states.input.nope %}"]}},"End":true}}})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.QueryEvaluationError");
  EXPECT_EQ(exec_.cause,
            "An error occurred while executing the state 'A' (entered at the event id #2). The "
            "JSONata expression '$states.input.nope' specified for the field 'Output/a/b[0]' "
            "returned nothing (undefined).");
}

TEST_F(TransitionTest, JsonataEvaluationErrorsAreQueryEvaluationErrors) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Output":"{% $states.input.s + 1 %}","End":true}}})",
        R"({"s":"text"})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.QueryEvaluationError");
  EXPECT_NE(exec_.cause->find("'$states.input.s + 1' specified for the field 'Output' threw an "
                              "error during evaluation. T2001"),
            std::string::npos)
      << *exec_.cause;
}

// The events of the current history from `from` on, by type.
std::vector<std::string> types_from(const std::vector<store::HistoryEventRecord>& history,
                                    size_t from) {
  std::vector<std::string> out;
  for (size_t i = from; i < history.size(); ++i) out.push_back(history[i].type);
  return out;
}

const store::HistoryEventRecord* first_of(const std::vector<store::HistoryEventRecord>& history,
                                          const std::string& type) {
  for (const auto& e : history) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

// Recorded on AWS (test_assign_reference_variables BASE_UNDEFINED_OUTPUT_MULTIPLE_STATES):
// ... PassStateEntered #6 (previous 5), EvaluationFailed #7 (previous 5), ExecutionFailed #8.
TEST_F(TransitionTest, JsonataFailureIsRecordedAsEvaluationFailedBeforeTheExecutionFails) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"S0","States":{
    "S0":{"Type":"Pass","Next":"S1"},
    "S1":{"Type":"Pass","Output":{"result":"{% $doesNotExist %}"},"End":true}}})");
  ASSERT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(types(),
            (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                      "PassStateEntered", "EvaluationFailed", "ExecutionFailed"}));
  const auto& ev = history_[4];
  EXPECT_EQ(ev.id, 5);
  EXPECT_EQ(ev.previous_id, 3) << "links where the state's entry links";
  const std::string cause =
      "An error occurred while executing the state 'S1' (entered at the event id #4). The JSONata "
      "expression '$doesNotExist' specified for the field 'Output/result' returned nothing "
      "(undefined).";
  EXPECT_EQ(Json::parse(ev.details), Json::parse(Json{
                                         {"error", "States.QueryEvaluationError"},
                                         {"cause", cause},
                                         {"location", "Output/result"},
                                         {"state",
                                          "S1"}}.dump()));
  EXPECT_EQ(history_[5].previous_id, 5);
  EXPECT_EQ(Json::parse(history_[5].details)["cause"], cause);
}

TEST_F(TransitionTest, JsonataFailureCaughtByCatchIsStillRecorded) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","Arguments":{"job":"{% $states.input.job %}"},
         "Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Next":"H",
                   "Output":"{% $states.errorOutput.Error %}"}],"End":true},
    "H":{"Type":"Pass","End":true}}})");
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), "States.QueryEvaluationError");
  EXPECT_EQ(types(),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "EvaluationFailed",
                                      "TaskStateExited", "PassStateEntered", "PassStateExited",
                                      "ExecutionSucceeded"}));
  Json d = Json::parse(history_[2].details);
  EXPECT_EQ(d["location"], "Arguments/job");
  EXPECT_EQ(d["state"], "T");
  EXPECT_EQ(history_[2].previous_id, 0);
  EXPECT_TRUE(last_.activity_tasks_add.empty()) << "nothing was scheduled";
}

TEST_F(TransitionTest, JsonataFailureIsRecordedOnEveryRetriedAttempt) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(","Arguments":"{% $states.input.job %}",
         "Retry":[{"ErrorEquals":["States.QueryEvaluationError"],"MaxAttempts":1,
                   "IntervalSeconds":1}],"End":true}}})");
  ASSERT_EQ(exec_.status, "RUNNING");
  EXPECT_EQ(types(),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "EvaluationFailed"}));
  now_ += 1000;
  ASSERT_TRUE(fire("retry"));
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(types_from(history_, 3),
            (std::vector<std::string>{"EvaluationFailed", "ExecutionFailed"}));
  EXPECT_EQ(history_[3].previous_id, 3) << "a retried attempt links to the event before";
  EXPECT_EQ(Json::parse(history_[3].details)["location"], "Arguments");
}

TEST_F(TransitionTest, JsonataFailureInACatcherNamesTheCatcherField) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":")" +
        std::string(kActivity) + R"(",
         "Catch":[{"ErrorEquals":["States.ALL"],"Next":"H","Output":{"e":"{% $nope %}"}}],
         "End":true},
    "H":{"Type":"Pass","End":true}}})");
  ASSERT_TRUE(fail(1, "Boom"));
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(types_from(history_, 3),
            (std::vector<std::string>{"ActivityFailed", "EvaluationFailed", "ExecutionFailed"}));
  EXPECT_EQ(Json::parse(history_[4].details)["location"], "Catch[0]/Output/e");
}

TEST_F(TransitionTest, JsonataFailureInAMapIterationIsRecordedInsideIt) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{
    "M":{"Type":"Map","MaxConcurrency":1,"End":true,"ItemProcessor":{"StartAt":"P","States":{
      "P":{"Type":"Pass","Output":"{% $states.input.x %}","End":true}}}}}})",
        R"([{"x":1},{}])");
  ASSERT_EQ(exec_.status, "FAILED");
  const auto* ev = first_of(history_, "EvaluationFailed");
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(Json::parse(ev->details)["state"], "P");
  EXPECT_EQ(Json::parse(ev->details)["location"], "Output");
  EXPECT_EQ(types_from(history_, static_cast<size_t>(ev->id - 2)),
            (std::vector<std::string>{"PassStateEntered", "EvaluationFailed", "MapIterationFailed",
                                      "MapStateFailed", "ExecutionFailed"}));
}

// Recorded on AWS (test_map_state_items_variable_sampling): MapStateEntered #4 (previous 3),
// EvaluationFailed #5 (previous 3, location Items), MapStateFailed #6, ExecutionFailed #7.
TEST_F(TransitionTest, JsonataMapItemsFailureFailsTheMapState) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"S","States":{
    "S":{"Type":"Pass","Assign":{"ItemsVar":1},"Next":"M"},
    "M":{"Type":"Map","Items":"{% $ItemsVar %}","End":true,"ItemProcessor":{"StartAt":"P",
      "States":{"P":{"Type":"Pass","End":true}}}}}})");
  ASSERT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(types(),
            (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                      "MapStateEntered", "EvaluationFailed", "MapStateFailed",
                                      "ExecutionFailed"}));
  EXPECT_EQ(history_[4].previous_id, 3);
  EXPECT_EQ(history_[5].previous_id, 5);
  EXPECT_EQ(history_[6].previous_id, 6);
  EXPECT_EQ(Json::parse(history_[4].details)["location"], "Items");
  EXPECT_EQ(*exec_.cause,
            "An error occurred while executing the state 'M' (entered at the event id #4). The "
            "JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected "
            "result type. Expected 'array', but was 'number' for value: 1");

  // Without Items the input itself must be an array; the event then names no field.
  history_.clear();
  start(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{
    "M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"P",
      "States":{"P":{"Type":"Pass","End":true}}}}}})",
        "1");
  ASSERT_EQ(exec_.status, "FAILED");
  ASSERT_EQ(history_[2].type, "EvaluationFailed");
  EXPECT_FALSE(Json::parse(history_[2].details).contains("location"));
}

// Recorded on AWS (test_wait_timestamp_jsonata): the Wait's failure links to its entry.
TEST_F(TransitionTest, JsonataWaitTimestampThatDoesNotParse) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"W","States":{
    "W":{"Type":"Wait","Timestamp":"{% $states.input.t %}","End":true}}})",
        R"({"t":"2016-12-05 21:29:29Z"})");
  ASSERT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(*exec_.cause,
            "An error occurred while executing the state 'W' (entered at the event id #2). The "
            "Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
            "string: 2016-12-05 21:29:29Z");
  ASSERT_EQ(history_[2].type, "EvaluationFailed");
  EXPECT_EQ(history_[2].previous_id, 2);
  EXPECT_EQ(Json::parse(history_[2].details)["location"], "Timestamp");
}

TEST_F(TransitionTest, JsonPathFailuresRecordNoEvaluationFailed) {
  start(R"({"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.nope","End":true}}})");
  ASSERT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(types(),
            (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "ExecutionFailed"}));
}

TEST_F(TransitionTest, JsonataChoiceConditionsRuleAssignAndOutput) {
  const std::string machine = R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[
          {"Condition":"{% $states.input.v > 10 %}","Next":"Big","Assign":{"size":"big"},
           "Output":{"picked":"{% $states.input.v %}"}}],
         "Default":"Small","Assign":{"seen":true}},
    "Big":{"Type":"Pass","Output":"{% {'in': $states.input, 'size': $size, 'seen': $seen} %}",
           "End":true},
    "Small":{"Type":"Pass","Output":"{% {'in': $states.input, 'seen': $seen} %}","End":true}}})";
  start(machine, R"({"v":20})");
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"in":{"picked":20},"size":"big","seen":true})"));
  history_.clear();
  start(machine, R"({"v":1})");
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"in":{"v":1},"seen":true})"));
}

TEST_F(TransitionTest, JsonataConditionMustBeBoolean) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.v %}","Next":"E"}],
         "Default":"E"},
    "E":{"Type":"Succeed"}}})",
        R"({"v":"yes"})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.QueryEvaluationError");
  EXPECT_NE(exec_.cause->find("The JSONata expression '$states.input.v' specified for the field "
                              "'Choices[0]/Condition' returned an unexpected result type. "
                              "Expected 'boolean', but was 'string' for value: \"yes\""),
            std::string::npos)
      << *exec_.cause;
}

TEST_F(TransitionTest, JsonataTaskArgumentsResultOutputAndAssign) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":")" +
            std::string(kActivity) + R"(",
         "Arguments":{"job":"{% $states.input.job %}","token":"{% $states.context.Task.Token %}"},
         "TimeoutSeconds":"{% $states.input.t %}",
         "Assign":{"rows":"{% $states.result.rows %}"},
         "Output":{"rows":"{% $states.result.rows %}","job":"{% $states.input.job %}"},
         "Next":"U"},
    "U":{"Type":"Pass","Output":"{% $merge([$states.input, {'var': $rows}]) %}","End":true}}})",
        R"({"job":"load","t":30})");
  ASSERT_EQ(last_.activity_tasks_add.size(), 1u);
  const auto& queued = last_.activity_tasks_add[0];
  Json args = Json::parse(queued.input);
  EXPECT_EQ(args["job"], "load");
  EXPECT_EQ(args["token"], queued.token);
  ASSERT_EQ(history_.back().type, "ActivityScheduled");
  EXPECT_EQ(Json::parse(history_.back().details)["timeoutInSeconds"], 30);
  ASSERT_TRUE(succeed(1, R"({"rows":7})"));
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"rows":7,"job":"load","var":7})"));
}

TEST_F(TransitionTest, JsonataCatchOutputDefaultsToTheErrorOutput) {
  const std::string act = kActivity;
  start(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":")" +
            act + R"(","Catch":[
          {"ErrorEquals":["Nope"],"Next":"Done"},
          {"ErrorEquals":["States.ALL"],"Next":"Done",
           "Assign":{"why":"{% $states.errorOutput.Cause %}"},
           "Output":{"error":"{% $states.errorOutput.Error %}","in":"{% $states.input.k %}"}}],
         "End":true},
    "Done":{"Type":"Pass","Output":"{% $exists($why) ? $merge([$states.input, {'why': $why}]) : $states.input %}","End":true}}})",
        R"({"k":1})");
  ASSERT_TRUE(fail(1, "Boom", "bad day"));
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json::parse(R"({"error":"Boom","in":1,"why":"bad day"})"));
}

TEST_F(TransitionTest, JsonataMapItemsSelectorAndCounts) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{
    "M":{"Type":"Map","Items":"{% $states.input.xs %}","MaxConcurrency":"{% 1 %}",
         "ItemSelector":{"v":"{% $states.context.Map.Item.Value %}",
                         "i":"{% $states.context.Map.Item.Index %}"},
         "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass",
           "Output":"{% $states.input.v * 10 + $states.input.i %}","End":true}}},
         "Output":"{% $sum($states.result) %}","End":true}}})",
        R"({"xs":[1,2,3]})");
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json(63));  // 10 + 21 + 32
}

TEST_F(TransitionTest, JsonataMapItemsMustBeAnArray) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"M","States":{
    "M":{"Type":"Map","Items":"{% $states.input.x %}",
         "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
         "End":true}}})",
        R"({"x":{"a":1}})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.QueryEvaluationError");
  EXPECT_EQ(exec_.cause,
            "An error occurred while executing the state 'M' (entered at the event id #2). The "
            "JSONata expression '$states.input.x' specified for the field 'Items' returned an "
            "unexpected result type. Expected 'array', but was 'object' for value: {\"a\":1}");
}

TEST_F(TransitionTest, JsonataWaitSecondsAndFailFields) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Next":"F"},
    "F":{"Type":"Fail","Error":"{% $states.input.e %}","Cause":"{% 'because ' & $states.input.e %}"}}})",
        R"({"s":5,"e":"Custom"})");
  ASSERT_NE(timer_set(kTimerWait), nullptr);
  EXPECT_EQ(timer_set(kTimerWait)->due_ms, now_ + 5000);
  now_ += 5000;
  ASSERT_TRUE(fire(kTimerWait));
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "Custom");
  EXPECT_EQ(exec_.cause, "because Custom");
}

TEST_F(TransitionTest, JsonPathAndJsonataStatesMixInOneMachine) {
  start(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Parameters":{"x.$":"$.v"},"Assign":{"kept.$":"$.x"},"Next":"B"},
    "B":{"Type":"Pass","QueryLanguage":"JSONata",
         "Output":"{% {'x': $states.input.x + 1, 'kept': $kept} %}","Next":"C"},
    "C":{"Type":"Pass","OutputPath":"$.x","End":true}}})",
        R"({"v":41})");
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  EXPECT_EQ(output(), Json(42));
}

TEST_F(TransitionTest, JsonataStepFunctionsFunctions) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{
    "p":"{% $partition([1,2,3,4,5], 2) %}",
    "r":"{% $range(0, 10, 5) %}",
    "one":"{% $range(1, 9, 9) %}",
    "j":"{% $parse('{\"a\":[1]}') %}",
    "h":"{% $hash('abc', 'SHA-256') %}",
    "u":"{% $uuid() %}",
    "seeded":"{% $random(7) = $random(7) %}"},"End":true}}})");
  ASSERT_EQ(exec_.status, "SUCCEEDED") << exec_.cause.value_or("");
  Json out = output();
  EXPECT_EQ(out["p"], Json::parse("[[1,2],[3,4],[5]]"));
  EXPECT_EQ(out["r"], Json::parse("[0,5,10]"));
  EXPECT_EQ(out["one"], Json(1));
  EXPECT_EQ(out["j"], Json::parse(R"({"a":[1]})"));
  EXPECT_EQ(out["h"], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(out["u"], "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(out["seeded"], true);
}

// Hostile expressions end the state with an error instead of hanging or exhausting the server.
TEST_F(TransitionTest, JsonataEvaluationIsBounded) {
  for (const char* expr :
       {"($f := function($n){ $n > 0 ? 1 + $f($n - 1) : 0 }; $f(100000))",  // depth
        "$count([1..100000000])",                                           // size
        "$sum([1..5000].($x := $; [1..5000].($x)))",                        // steps
        "$range(0, 1e12, 1)",                                               // SFN function
        "$contains($pad('', 20000, 'a'), /(a*)*b/)"}) {  // linear regex: just false
    history_.clear();
    start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
      "A":{"Type":"Pass","Output":"{% )" +
          std::string(expr) + R"( %}","End":true}}})");
    if (std::string(expr).find("/(a*)*b/") != std::string::npos) {
      EXPECT_EQ(exec_.status, "SUCCEEDED") << expr;
      EXPECT_EQ(output(), Json(false));
    } else {
      EXPECT_EQ(exec_.status, "FAILED") << expr;
      EXPECT_EQ(exec_.error, "States.QueryEvaluationError") << expr;
    }
  }
}

// A huge number of seconds read at run time is capped to AWS's 99999999 instead of overflowing
// the millisecond arithmetic.
TEST_F(TransitionTest, HugeWaitSecondsAreCapped) {
  start(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})",
        R"({"s":9223372036854775807})");
  ASSERT_NE(timer_set(kTimerWait), nullptr);
  EXPECT_EQ(timer_set(kTimerWait)->due_ms, now_ + int64_t{99999999} * 1000);
  history_.clear();
  start(R"({"QueryLanguage":"JSONata","StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":"{% $states.input.s %}","End":true}}})",
        R"({"s":18446744073709551615})");
  ASSERT_NE(timer_set(kTimerWait), nullptr);
  EXPECT_EQ(timer_set(kTimerWait)->due_ms, now_ + int64_t{99999999} * 1000);
}

// A JSONata function can build a string that is not UTF-8 ($base64decode of any bytes); the
// engine writes it with U+FFFD for each bad byte (as all its text), it does not escape.
TEST_F(TransitionTest, JsonataTextThatIsNotUtf8IsWrittenWithReplacements) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Output":"{% $base64decode('/w==') %}","End":true}}})");
  ASSERT_EQ(exec_.status, "SUCCEEDED");
  EXPECT_EQ(output(), Json("\xEF\xBF\xBD"));
}

TEST_F(TransitionTest, JsonataHasNoEval) {
  start(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Output":"{% $eval('1+1') %}","End":true}}})");
  EXPECT_EQ(exec_.status, "FAILED");
  EXPECT_EQ(exec_.error, "States.QueryEvaluationError");
}

}  // namespace
}  // namespace stepd::engine

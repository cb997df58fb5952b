// The pure transition function, driven event by event with simulated time.
#include "core/engine/transition.h"

#include <gtest/gtest.h>

#include "core/asl/parser.h"

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
    Transition t = advance(exec_, e, ctx);
    if (!t.applied) return false;
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

}  // namespace
}  // namespace stepd::engine

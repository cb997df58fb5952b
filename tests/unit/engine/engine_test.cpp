// The engine service against a real SQLite store, on simulated time.
#include "core/engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/common/api_error.h"
#include "core/store/sqlite_store.h"

namespace stepd::engine {
namespace {

namespace fs = std::filesystem;

constexpr const char* kActivity = "arn:aws:states:us-east-1:123456789012:activity:work";

class RecordingListener : public EngineListener {
 public:
  void on_activity_task_queued(const std::string& arn) override { queued.push_back(arn); }
  void on_outbox(const store::OutboxRecord& r) override { outbox.push_back(r.key); }
  void on_execution_closed(const store::ExecutionRecord& e) override { closed.push_back(e.arn); }
  std::vector<std::string> queued, outbox, closed;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepd-engine-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    open();
  }

  void TearDown() override {
    close();
    fs::remove_all(dir_);
  }

  // Opens store and engine on the data directory, as a server start does.
  void open() {
    store_ = std::make_unique<store::SqliteStore>((dir_ / "stepd.db").string());
    store_->migrate(STEPD_SOURCE_DIR "/migrations/sqlite");
    engine_ = std::make_unique<Engine>(*store_, clock_, ids_, tokens_, EngineOptions{});
    listener_ = std::make_unique<RecordingListener>();
    engine_->add_listener(listener_.get());
  }

  void close() {
    engine_.reset();
    store_.reset();
  }

  store::StateMachineRecord create_machine(const std::string& name, const std::string& definition) {
    store::StateMachineRecord sm;
    sm.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
    sm.name = name;
    sm.revision_id = name + "-r1";
    sm.definition = definition;
    sm.role_arn = "arn:aws:iam::123456789012:role/r";
    sm.creation_ms = clock_.now_ms();
    EXPECT_EQ(store_->create_state_machine(sm), store::CreateOutcome::kCreated);
    return sm;
  }

  store::ExecutionRecord get(const std::string& arn) { return *store_->get_execution(arn); }

  fs::path dir_;
  ManualClock clock_;
  SequentialIdSource ids_;
  TokenCodec tokens_{std::string(32, 'k')};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<RecordingListener> listener_;
};

TEST_F(EngineTest, WaitStateFiresWhenTheClockReachesIt) {
  auto sm = create_machine(
      "wait", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}})");
  bool created = false;
  auto exec = engine_->start_execution(sm, "e1", R"({"a":1})", &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(get(exec.arn).status, "RUNNING");
  clock_.advance_ms(29000);
  EXPECT_EQ(engine_->fire_due_timers(), 0);
  clock_.advance_ms(1000);
  EXPECT_EQ(engine_->fire_due_timers(), 1);
  auto done = get(exec.arn);
  EXPECT_EQ(done.status, "SUCCEEDED");
  EXPECT_EQ(done.output, R"({"a":1})");
  EXPECT_EQ(listener_->closed, std::vector<std::string>{exec.arn});
  std::string next;
  auto history = store_->get_history(done.id, store::Page{"", 100}, false, &next);
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history.back().type, "ExecutionSucceeded");
}

TEST_F(EngineTest, StartIsIdempotentOnNameAndInput) {
  auto sm = create_machine(
      "idem", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}})");
  bool created = false;
  auto first = engine_->start_execution(sm, "same", "{}", &created);
  EXPECT_TRUE(created);
  auto again = engine_->start_execution(sm, "same", "{}", &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.arn, first.arn);
  EXPECT_EQ(again.start_ms, first.start_ms);
  try {
    engine_->start_execution(sm, "same", R"({"other":true})", &created);
    FAIL() << "a different input must be refused";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "ExecutionAlreadyExists");
  }
}

TEST_F(EngineTest, TimersAndTasksSurviveARestart) {
  auto sm = create_machine("mixed", std::string(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":")") +
                                        kActivity +
                                        R"(","Next":"W"},
      "W":{"Type":"Wait","Seconds":60,"End":true}}})");
  bool created = false;
  auto exec = engine_->start_execution(sm, "e1", "{}", &created);
  ASSERT_EQ(listener_->queued, std::vector<std::string>{kActivity});
  auto task = store_->next_activity_task(kActivity, 0);
  ASSERT_TRUE(task);
  std::string token = task->token;

  // A restart: everything in memory is gone; the store is all there is.
  close();
  open();
  auto claims = tokens_.open(token);
  ASSERT_TRUE(claims);
  EngineEvent started;
  started.kind = EngineEvent::Kind::kActivityStarted;
  started.task_seq = claims->task_seq;
  ASSERT_EQ(engine_->deliver(claims->execution_id, started), Engine::Delivery::kApplied);
  EngineEvent ok;
  ok.kind = EngineEvent::Kind::kTaskSucceeded;
  ok.task_seq = claims->task_seq;
  ok.output = R"({"done":true})";
  ASSERT_EQ(engine_->deliver(claims->execution_id, ok), Engine::Delivery::kApplied);
  EXPECT_EQ(engine_->deliver(claims->execution_id, ok), Engine::Delivery::kClosed);

  // The Wait timer is in the store; another restart, and the clock passes its due time
  // while the server is down: it fires at once after the start.
  close();
  clock_.advance_ms(120000);
  open();
  EXPECT_EQ(engine_->fire_due_timers(), 1);
  EXPECT_EQ(get(exec.arn).status, "SUCCEEDED");
  EXPECT_EQ(get(exec.arn).output, R"({"done":true})");
}

TEST_F(EngineTest, StopClosesTheTaskAndItsQueueEntry) {
  auto sm = create_machine("stop", std::string(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":")") +
                                       kActivity + R"(","End":true}}})");
  bool created = false;
  auto exec = engine_->start_execution(sm, "e1", "{}", &created);
  auto stopped = engine_->stop_execution(exec.arn, "Halt", "operator");
  EXPECT_EQ(stopped.status, "ABORTED");
  EXPECT_EQ(stopped.error, "Halt");
  EXPECT_FALSE(store_->next_activity_task(kActivity, 0));
  // Stopping again leaves it as it is.
  EXPECT_EQ(engine_->stop_execution(exec.arn, "", "").status, "ABORTED");
  EXPECT_THROW(engine_->stop_execution(exec.arn + "x", "", ""), ApiError);
}

// Counted once per start and per close, by state machine name; a repeated start of the same
// execution and a second stop change nothing.
TEST_F(EngineTest, MetricsCountStartsClosesAndTransitionsOnce) {
  metrics::Registry registry;
  EngineOptions options;
  options.metrics = &registry;
  Engine engine(*store_, clock_, ids_, tokens_, options);
  auto pass = create_machine("pass", R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
                  "B":{"Type":"Pass","End":true}}})");
  auto fail = create_machine("fail", R"({"StartAt":"F","States":{"F":{"Type":"Fail"}}})");
  auto task = create_machine("task", std::string(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":")") +
                                         kActivity + R"(","End":true}}})");
  bool created = false;
  engine.start_execution(pass, "p1", "{}", &created);
  engine.start_execution(pass, "p2", "{}", &created);
  engine.start_execution(fail, "f1", "{}", &created);
  auto t1 = engine.start_execution(task, "t1", "{}", &created);
  engine.start_execution(task, "t1", "{}", &created);  // the same execution again
  EXPECT_FALSE(created);
  engine.start_execution(task, "t2", "{}", &created);
  engine.stop_execution(t1.arn, "Halt", "");
  engine.stop_execution(t1.arn, "Halt", "");  // already closed

  const std::string text = registry.render();
  for (const char* line : {
           "stepd_executions_started_total{state_machine=\"pass\"} 2",
           "stepd_executions_started_total{state_machine=\"fail\"} 1",
           "stepd_executions_started_total{state_machine=\"task\"} 2",
           "stepd_executions_total{state_machine=\"pass\",status=\"SUCCEEDED\"} 2",
           "stepd_executions_total{state_machine=\"fail\",status=\"FAILED\"} 1",
           "stepd_executions_total{state_machine=\"task\",status=\"ABORTED\"} 1",
           "stepd_executions_total{state_machine=\"task\",status=\"SUCCEEDED\"} 0",
           "stepd_state_transitions_total{state_machine=\"pass\"} 4",
           "stepd_state_transitions_total{state_machine=\"task\"} 2",
           "stepd_open_executions 1",
       }) {
    EXPECT_NE(text.find(std::string("\n") + line + "\n"), std::string::npos) << line << "\n"
                                                                             << text;
  }
}

TEST_F(EngineTest, StartAfterACrashDispatchesTheOutboxAgain) {
  auto sm = create_machine("outbox", R"({"StartAt":"H","States":{"H":{"Type":"Task",
        "Resource":"arn:aws:states:::http:invoke",
        "Parameters":{"ApiEndpoint":"http://127.0.0.1:9/","Method":"GET"},"End":true}}})");
  bool created = false;
  for (const char* name : {"a", "b", "c"}) engine_->start_execution(sm, name, "{}", &created);
  ASSERT_EQ(listener_->outbox.size(), 3u);
  // The calls were owed but never answered: after a restart every one is dispatched again.
  close();
  open();
  engine_->start();
  EXPECT_EQ(listener_->outbox, (std::vector<std::string>{"http:1", "http:1", "http:1"}));
  engine_->shutdown();
}

TEST_F(EngineTest, DeliveryToAnUnknownExecutionIsNotFound) {
  EngineEvent ok;
  ok.kind = EngineEvent::Kind::kTaskSucceeded;
  ok.task_seq = 1;
  ok.output = "{}";
  EXPECT_EQ(engine_->deliver(987654, ok), Engine::Delivery::kNotFound);
}

TEST_F(EngineTest, TaskTimeoutFiresFromTheStore) {
  auto sm = create_machine("timeout", R"({"StartAt":"H","States":{"H":{"Type":"Task",
        "Resource":"arn:aws:states:::http:invoke.waitForTaskToken","TimeoutSeconds":5,
        "Parameters":{"ApiEndpoint":"http://127.0.0.1:9/","Method":"POST"},"End":true}}})");
  bool created = false;
  auto exec = engine_->start_execution(sm, "e1", "{}", &created);
  EXPECT_EQ(listener_->outbox, std::vector<std::string>{"http:1"});
  EXPECT_EQ(store_->pending_outbox(10).size(), 1u);
  clock_.advance_ms(5000);
  EXPECT_EQ(engine_->fire_due_timers(), 1);
  auto done = get(exec.arn);
  EXPECT_EQ(done.status, "FAILED");
  EXPECT_EQ(done.error, "States.Timeout");
  EXPECT_TRUE(store_->pending_outbox(10).empty()) << "the call is no longer owed";
}

// Answers of the asynchronous calls, waited for by the test thread. Errors are kept as their
// ApiError type name, so no exception object crosses threads.
struct AsyncAnswers {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> answers;
  void add(std::string answer) {
    std::lock_guard lock(mu);
    answers.push_back(std::move(answer));
    cv.notify_all();
  }
  std::vector<std::string> wait_for(size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return answers.size() >= n; });
    return answers;
  }
  static std::string name(std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const ApiError& e) {
      return e.type();
    } catch (const std::exception& e) {
      return std::string("other: ") + e.what();
    }
  }
};

// Twenty task results of one execution delivered at once from four threads: each step waits
// for the one before it without holding a thread, and none is lost.
TEST_F(EngineTest, AsynchronousDeliveriesToOneExecutionAreAppliedOneAtATime) {
  constexpr int kItems = 20;
  auto sm = create_machine("fan", std::string(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "MaxConcurrency":0,"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":")") + kActivity + R"(","End":true}}},"End":true}}})");
  Json items = Json::array();
  for (int i = 0; i < kItems; ++i) items.push_back(i);
  bool created = false;
  auto exec = engine_->start_execution(sm, "e1", items.dump(), &created);
  std::vector<TokenClaims> claims;
  for (int i = 0; i < kItems; ++i) {
    auto task = store_->next_activity_task(kActivity, 0);
    ASSERT_TRUE(task) << i;
    claims.push_back(*tokens_.open(task->token));
    EngineEvent started;
    started.kind = EngineEvent::Kind::kActivityStarted;
    started.task_seq = claims.back().task_seq;
    ASSERT_EQ(engine_->deliver(claims.back().execution_id, started), Engine::Delivery::kApplied);
  }
  ASSERT_FALSE(store_->next_activity_task(kActivity, 0));
  EXPECT_EQ(get(exec.arn).callback_tasks, kItems) << "twenty tasks wait for their worker";
  EXPECT_EQ(store_->count_callback_tasks(), kItems);

  AsyncAnswers answers;
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = t; i < kItems; i += 4) {
        EngineEvent ok;
        ok.kind = EngineEvent::Kind::kTaskSucceeded;
        ok.task_seq = claims[i].task_seq;
        ok.output = std::to_string(i * 10);
        engine_->deliver_async(claims[i].execution_id, ok,
                               [&](Engine::Delivery d, std::exception_ptr error) {
                                 answers.add(error ? AsyncAnswers::name(error)
                                             : d == Engine::Delivery::kApplied ? "applied"
                                                                               : "other");
                               });
      }
    });
  }
  for (auto& s : senders) s.join();
  auto all = answers.wait_for(kItems);
  EXPECT_EQ(all, std::vector<std::string>(kItems, "applied"));
  auto done = get(exec.arn);
  EXPECT_EQ(done.status, "SUCCEEDED");
  Json expected = Json::array();
  for (int i = 0; i < kItems; ++i) expected.push_back(i * 10);
  EXPECT_EQ(Json::parse(done.output.value_or("null")), expected);
  EXPECT_EQ(done.version, 1 + 2 * kItems) << "the start, 20 ActivityStarted, 20 results";
  EXPECT_EQ(done.callback_tasks, 0);
  EXPECT_EQ(store_->count_callback_tasks(), 0);

  // A result for a closed task answers kClosed, asynchronously too.
  EngineEvent late;
  late.kind = EngineEvent::Kind::kTaskSucceeded;
  late.task_seq = claims[0].task_seq;
  late.output = "0";
  engine_->deliver_async(claims[0].execution_id, late, [&](Engine::Delivery d, std::exception_ptr) {
    answers.add(d == Engine::Delivery::kClosed ? "closed" : "other");
  });
  EXPECT_EQ(answers.wait_for(kItems + 1).back(), "closed");
}

TEST_F(EngineTest, AsynchronousStartsAnswerOnceDurable) {
  auto sm = create_machine(
      "astart", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}})");
  AsyncAnswers answers;
  auto start = [&](const std::string& input) {
    engine_->start_execution_async(
        sm, "same", input,
        [&](const store::ExecutionRecord* e, bool created, std::exception_ptr error) {
          if (error) return answers.add(AsyncAnswers::name(error));
          // Durable before answered: the row is there when the answer comes.
          auto stored = store_->get_execution(e->arn);
          answers.add(std::string(created ? "created " : "existing ") +
                      (stored ? stored->status : "missing"));
        });
  };
  start("{}");
  answers.wait_for(1);
  start("{}");
  answers.wait_for(2);
  start(R"({"other":1})");
  EXPECT_EQ(answers.wait_for(3), (std::vector<std::string>{"created RUNNING", "existing RUNNING",
                                                           "ExecutionAlreadyExists"}));
  EXPECT_EQ(listener_->closed.size(), 0u);
}

TEST(ExecutionGateTest, HandsTheExecutionToTheOldestWaiterInTurn) {
  ExecutionGate gate;
  std::vector<int> order;
  EXPECT_TRUE(gate.try_enter(7, [] { FAIL() << "free: taken at once"; }));
  EXPECT_TRUE(gate.try_enter(8, [] { FAIL() << "another execution is not held"; }));
  EXPECT_FALSE(gate.try_enter(7, [&] { order.push_back(1); }));
  EXPECT_FALSE(gate.try_enter(7, [&] { order.push_back(2); }));
  EXPECT_EQ(gate.held(), 2u);
  gate.leave(7);
  EXPECT_EQ(order, std::vector<int>{1}) << "the first waiter now holds 7";
  gate.leave(7);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  gate.leave(7);
  gate.leave(8);
  EXPECT_EQ(gate.held(), 0u);

  // enter() blocks until another thread leaves.
  ASSERT_TRUE(gate.try_enter(9, [] {}));
  std::atomic<bool> entered{false};
  std::thread waiter([&] {
    gate.enter(9);
    entered = true;
    gate.leave(9);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(entered.load());
  gate.leave(9);
  waiter.join();
  EXPECT_TRUE(entered.load());
  EXPECT_EQ(gate.held(), 0u);
}

}  // namespace
}  // namespace stepd::engine

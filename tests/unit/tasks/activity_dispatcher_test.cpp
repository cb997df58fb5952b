// Activity polling and callbacks against a real engine and SQLite store.
#include "core/tasks/activity_dispatcher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "core/common/api_error.h"
#include "core/store/sqlite_store.h"
#include "core/tasks/callback_service.h"

namespace stepd::tasks {
namespace {

namespace fs = std::filesystem;

constexpr const char* kActivity = "arn:aws:states:us-east-1:123456789012:activity:work";

class TasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepd-tasks-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::make_unique<store::SqliteStore>((dir_ / "stepd.db").string());
    store_->migrate(STEPD_SOURCE_DIR "/migrations/sqlite");
    engine_ =
        std::make_unique<engine::Engine>(*store_, clock_, ids_, tokens_, engine::EngineOptions{});
    ActivityDispatcherOptions options;
    options.poll_ms = 300;
    options.max_pollers = 2;
    dispatcher_ = std::make_unique<ActivityDispatcher>(*store_, *engine_, options);
    engine_->add_listener(dispatcher_.get());
    callbacks_ = std::make_unique<CallbackService>(*engine_, tokens_);
    sm_.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";
    sm_.name = "sm";
    sm_.revision_id = "r1";
    sm_.definition = std::string(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")") +
                     kActivity + R"(","HeartbeatSeconds":10,"End":true}}})";
    sm_.role_arn = "arn:aws:iam::123456789012:role/r";
    ASSERT_EQ(store_->create_state_machine(sm_), store::CreateOutcome::kCreated);
  }

  void TearDown() override {
    dispatcher_.reset();
    callbacks_.reset();
    engine_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  std::string start(const std::string& name) {
    bool created = false;
    return engine_->start_execution(sm_, name, R"({"n":")" + name + R"("})", &created).arn;
  }

  // Polls and waits for the answer.
  std::optional<ActivityTask> poll(const std::string& worker = "w") {
    std::promise<std::optional<ActivityTask>> p;
    dispatcher_->poll(kActivity, worker,
                      [&](std::optional<ActivityTask> t, std::exception_ptr) { p.set_value(t); });
    return p.get_future().get();
  }

  fs::path dir_;
  ManualClock clock_;
  SequentialIdSource ids_;
  TokenCodec tokens_{std::string(32, 'k')};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<ActivityDispatcher> dispatcher_;
  std::unique_ptr<CallbackService> callbacks_;
  store::StateMachineRecord sm_;

  // The callback service's calls, waited for; their error is rethrown here.
  void success(const std::string& token, const std::string& output) {
    wait_for([&](CallbackService::Done done) { callbacks_->send_success(token, output, done); });
  }
  void failure(const std::string& token, const std::string& error, const std::string& cause) {
    wait_for(
        [&](CallbackService::Done done) { callbacks_->send_failure(token, error, cause, done); });
  }
  void heartbeat(const std::string& token) {
    wait_for([&](CallbackService::Done done) { callbacks_->send_heartbeat(token, done); });
  }
  // The error is turned into an ApiError copy on the engine's thread, so that no exception
  // object is shared between threads (see core/store/store.cpp on ThreadSanitizer).
  static void wait_for(const std::function<void(CallbackService::Done)>& call) {
    auto answered = std::make_shared<std::promise<std::optional<ApiError>>>();
    call([answered](std::exception_ptr error) {
      std::optional<ApiError> api_error;
      try {
        if (error) std::rethrow_exception(error);
      } catch (const ApiError& e) {
        api_error = e;
      } catch (const std::exception& e) {
        api_error = ApiError("InternalFailure", e.what(), 500);
      }
      answered->set_value(std::move(api_error));
    });
    if (auto error = answered->get_future().get()) throw *error;
  }
};

TEST_F(TasksTest, TasksAreHandedOutOldestFirstAndOnce) {
  auto a = start("a");
  auto b = start("b");
  auto first = poll();
  ASSERT_TRUE(first);
  EXPECT_EQ(Json::parse(first->input)["n"], "a");
  auto second = poll();
  ASSERT_TRUE(second);
  EXPECT_EQ(Json::parse(second->input)["n"], "b");
  EXPECT_FALSE(poll()) << "an empty queue answers empty after the poll time";
  success(first->task_token, R"({"ok":1})");
  EXPECT_EQ(store_->get_execution(a)->status, "SUCCEEDED");
  EXPECT_EQ(store_->get_execution(b)->status, "RUNNING");
}

TEST_F(TasksTest, AWaitingPollerGetsATaskQueuedLater) {
  std::promise<std::optional<ActivityTask>> p;
  dispatcher_->poll(kActivity, "late-worker",
                    [&](std::optional<ActivityTask> t, std::exception_ptr) { p.set_value(t); });
  auto arn = start("x");
  auto task = p.get_future().get();
  ASSERT_TRUE(task);
  std::string next;
  auto history =
      store_->get_history(store_->get_execution(arn)->id, store::Page{"", 100}, false, &next);
  EXPECT_EQ(history.back().type, "ActivityStarted");
  EXPECT_EQ(Json::parse(history.back().details)["workerName"], "late-worker");
}

TEST_F(TasksTest, TooManyPollersAreRefused) {
  std::promise<void> one, two;
  dispatcher_->poll(kActivity, "w1",
                    [&](std::optional<ActivityTask>, std::exception_ptr) { one.set_value(); });
  dispatcher_->poll(kActivity, "w2",
                    [&](std::optional<ActivityTask>, std::exception_ptr) { two.set_value(); });
  try {
    dispatcher_->poll(kActivity, "w3", [](std::optional<ActivityTask>, std::exception_ptr) {});
    FAIL() << "the third poller is over the limit";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "ActivityWorkerLimitExceeded");
  }
  one.get_future().wait();
  two.get_future().wait();
}

TEST_F(TasksTest, TokenErrorsAreNamedAsAwsNamesThem) {
  start("t");
  auto task = poll();
  ASSERT_TRUE(task);
  auto expect_error = [](const std::function<void()>& f, const std::string& type) {
    try {
      f();
      ADD_FAILURE() << "expected " << type;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.type(), type) << e.message();
    }
  };
  expect_error([&] { success("not-a-token", "{}"); }, "InvalidToken");
  std::string mangled = task->task_token;
  mangled[5] = mangled[5] == 'A' ? 'B' : 'A';
  expect_error([&] { success(mangled, "{}"); }, "InvalidToken");
  heartbeat(task->task_token);
  failure(task->task_token, "Broken", "it broke");
  expect_error([&] { success(task->task_token, "{}"); }, "TaskTimedOut");
  expect_error([&] { heartbeat(task->task_token); }, "TaskTimedOut");
}

TEST_F(TasksTest, ShutdownAnswersWaitingPollers) {
  std::promise<std::optional<ActivityTask>> p;
  dispatcher_->poll(kActivity, "w",
                    [&](std::optional<ActivityTask> t, std::exception_ptr) { p.set_value(t); });
  dispatcher_->shutdown();
  EXPECT_FALSE(p.get_future().get());
}

}  // namespace
}  // namespace stepd::tasks

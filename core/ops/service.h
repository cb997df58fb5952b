#pragma once
// The implementation of every API action (Operations) over the store, the engine and the task
// services. Validation is AWS's: a refused request writes nothing. Requests run on the caller's
// thread, except GetActivityTask and wait_for_execution, which answer later from the activity
// dispatcher or from the engine's close notification, and TestState of an HTTP task, which
// answers from the HTTP client's thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/common/clock.h"
#include "core/common/token_codec.h"
#include "core/engine/engine.h"
#include "core/ops/operations.h"
#include "core/ops/pagination.h"
#include "core/sql/redshift_data.h"
#include "core/store/store.h"
#include "core/tasks/activity_dispatcher.h"
#include "core/tasks/callback_service.h"
#include "core/tasks/http_invoker.h"

namespace stepd::ops {

class Service final : public Operations, public engine::EngineListener {
 public:
  // Region, account and clock come from the engine. `ids` names executions started without a
  // name and definition revisions. `http` makes the calls of http:invoke tasks that TestState
  // runs. Register the service with engine.add_listener() before engine.start(), so that
  // wait_for_execution hears about closed executions. `redshift_data`, when given, serves the
  // Redshift Data API actions ("RedshiftData.ExecuteStatement" ...) over the SQL targets.
  Service(store::Store& store, engine::Engine& engine, tasks::ActivityDispatcher& activities,
          tasks::CallbackService& callbacks, IdSource& ids, tasks::HttpInvoker& http,
          sql::RedshiftDataService* redshift_data = nullptr);
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void invoke(const std::string& action, Json request, Reply reply) override;
  std::vector<std::string> actions() const override;
  void wait_for_execution(const std::string& execution_arn, int timeout_seconds, bool include_data,
                          Reply reply) override;
  bool ready() const override { return ready_.load(); }

  // The composition root says when recovery is done (after engine.start()).
  void set_ready(bool ready) { ready_.store(ready); }

  // Answers every pending wait_for_execution with the execution's current description and
  // stops the sweeper. Idempotent; the destructor calls it.
  void shutdown();

  void on_execution_closed(const store::ExecutionRecord& execution) override;

 private:
  using SyncAction = Json (Service::*)(const Json&);
  using AsyncAction = void (Service::*)(const Json&, Reply);

  // state_machine_ops.cpp
  Json create_state_machine(const Json& req);
  Json describe_state_machine(const Json& req);
  Json update_state_machine(const Json& req);
  Json delete_state_machine(const Json& req);
  Json list_state_machines(const Json& req);
  Json validate_state_machine_definition(const Json& req);
  Json describe_state_machine_for_execution(const Json& req);

  // execution_ops.cpp
  void start_execution(const Json& req, Reply reply);
  Json describe_execution(const Json& req);
  Json list_executions(const Json& req);
  Json stop_execution(const Json& req);
  Json redrive_execution(const Json& req);
  Json get_execution_history(const Json& req);

  // activity_ops.cpp
  Json create_activity(const Json& req);
  Json describe_activity(const Json& req);
  Json list_activities(const Json& req);
  Json delete_activity(const Json& req);
  void get_activity_task(const Json& req, Reply reply);

  // task_ops.cpp
  void send_task_success(const Json& req, Reply reply);
  void send_task_failure(const Json& req, Reply reply);
  void send_task_heartbeat(const Json& req, Reply reply);

  // test_state_ops.cpp (answers later when the state makes an HTTP call)
  void test_state(const Json& req, Reply reply);

  // redshift_data_ops.cpp: "RedshiftData.<Action>" (answers when the statement row is durable)
  void redshift_data(const std::string& action, const Json& req, Reply reply);

  // Lookups that answer AWS's *DoesNotExist errors.
  store::StateMachineRecord require_state_machine(const std::string& arn);
  store::ExecutionRecord require_execution(const std::string& arn);

  // wait_for_execution support (service.cpp).
  struct Waiter {
    uint64_t id;
    std::chrono::steady_clock::time_point deadline;
    bool include_data;
    Reply reply;
  };
  void sweep_loop();
  void stop_waiting();
  void answer_with_current(const std::string& arn, bool include_data, Reply reply);

  const std::string& region() const { return engine_.options().region; }
  const std::string& account() const { return engine_.options().account; }
  int64_t now_ms() const { return engine_.clock().now_ms(); }
  int64_t history_limit() const { return engine_.options().history_limit; }

  store::Store& store_;
  engine::Engine& engine_;
  tasks::ActivityDispatcher& activities_;
  tasks::CallbackService& callbacks_;
  IdSource& ids_;
  tasks::HttpInvoker& http_;
  sql::RedshiftDataService* redshift_data_;
  // TestState seals its task tokens with a key of its own, so that none can be redeemed.
  std::shared_ptr<const TokenCodec> test_tokens_;
  PageTokens tokens_;
  std::atomic<bool> ready_{false};

  std::map<std::string, SyncAction, std::less<>> sync_actions_;
  std::map<std::string, AsyncAction, std::less<>> async_actions_;

  std::mutex waiters_mu_;
  std::condition_variable waiters_cv_;
  std::unordered_map<std::string, std::vector<Waiter>> waiters_;  // by execution ARN
  uint64_t next_waiter_id_ = 1;
  bool stopping_ = false;
  std::once_flag shutdown_once_;
  std::thread sweeper_;  // last: starts once everything above exists
};

// The DescribeExecution response for a row (shared by DescribeExecution and the waiters). The
// redrive status is the one at `now_ms` under the engine's history limit.
Json describe_execution_json(const store::ExecutionRecord& execution, bool include_data,
                             int64_t now_ms, int64_t history_limit);

}  // namespace stepd::ops

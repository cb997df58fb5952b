#include "core/ops/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/common/api_error.h"

namespace stepd::ops {
namespace {

// Guards "exactly once" for actions that hand their reply to another component: whichever of
// the component or our own error path gets there first answers, the other is ignored.
Operations::Reply once(Operations::Reply reply) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  return [done, reply = std::move(reply)](Json response, std::exception_ptr error) {
    if (done->exchange(true)) return;
    reply(std::move(response), error);
  };
}

// The Redshift Data API operations served when SQL targets are configured.
constexpr const char* kRedshiftDataActions[] = {"ExecuteStatement",  "BatchExecuteStatement",
                                                "DescribeStatement", "GetStatementResult",
                                                "CancelStatement",   "ListStatements"};

void log_failure(const std::string& action, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const ApiError&) {
    // An answer to the client, not a fault of ours.
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", action, e.what());
  } catch (...) {
    spdlog::error("{} failed with a non-standard exception", action);
  }
}

}  // namespace

Service::Service(store::Store& store, engine::Engine& engine, tasks::ActivityDispatcher& activities,
                 tasks::CallbackService& callbacks, IdSource& ids, tasks::HttpInvoker& http,
                 sql::RedshiftDataService* redshift_data)
    : store_(store),
      engine_(engine),
      activities_(activities),
      callbacks_(callbacks),
      ids_(ids),
      http_(http),
      redshift_data_(redshift_data),
      test_tokens_(std::make_shared<const TokenCodec>(TokenCodec::generate_key())),
      tokens_(engine.clock()) {
  sync_actions_ = {
      {"CreateStateMachine", &Service::create_state_machine},
      {"DescribeStateMachine", &Service::describe_state_machine},
      {"UpdateStateMachine", &Service::update_state_machine},
      {"DeleteStateMachine", &Service::delete_state_machine},
      {"ListStateMachines", &Service::list_state_machines},
      {"ValidateStateMachineDefinition", &Service::validate_state_machine_definition},
      {"DescribeStateMachineForExecution", &Service::describe_state_machine_for_execution},
      {"DescribeExecution", &Service::describe_execution},
      {"ListExecutions", &Service::list_executions},
      {"StopExecution", &Service::stop_execution},
      {"RedriveExecution", &Service::redrive_execution},
      {"GetExecutionHistory", &Service::get_execution_history},
      {"CreateActivity", &Service::create_activity},
      {"DescribeActivity", &Service::describe_activity},
      {"ListActivities", &Service::list_activities},
      {"DeleteActivity", &Service::delete_activity},
  };
  // Answered from a callback: the writes (durable before they answer) and the long poll.
  async_actions_ = {
      {"StartExecution", &Service::start_execution},
      {"SendTaskSuccess", &Service::send_task_success},
      {"SendTaskFailure", &Service::send_task_failure},
      {"SendTaskHeartbeat", &Service::send_task_heartbeat},
      {"GetActivityTask", &Service::get_activity_task},
      {"TestState", &Service::test_state},
  };
  sweeper_ = std::thread([this] { sweep_loop(); });
}

Service::~Service() {
  shutdown();
}

std::vector<std::string> Service::actions() const {
  std::vector<std::string> names;
  for (const auto& [name, fn] : sync_actions_) names.push_back(name);
  for (const auto& [name, fn] : async_actions_) names.push_back(name);
  if (redshift_data_) {
    for (const char* a : kRedshiftDataActions) names.push_back(std::string("RedshiftData.") + a);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void Service::invoke(const std::string& action, Json request, Reply reply) {
  if (redshift_data_ && action.starts_with("RedshiftData.")) {
    redshift_data(action.substr(std::strlen("RedshiftData.")), request, once(std::move(reply)));
    return;
  }
  if (auto it = async_actions_.find(action); it != async_actions_.end()) {
    Reply guarded = once(std::move(reply));
    try {
      (this->*it->second)(request, guarded);
    } catch (...) {
      log_failure(action, std::current_exception());
      guarded(Json(), std::current_exception());
    }
    return;
  }
  Json response;
  std::exception_ptr error;
  if (auto it = sync_actions_.find(action); it != sync_actions_.end()) {
    try {
      response = (this->*it->second)(request);
    } catch (...) {
      error = std::current_exception();
      log_failure(action, error);
    }
  } else {
    error = std::make_exception_ptr(
        ApiError("UnknownOperationException", "Unknown operation: '" + action + "'", 400));
  }
  // Outside the try: a throwing reply must not be answered a second time.
  reply(std::move(response), error);
}

store::StateMachineRecord Service::require_state_machine(const std::string& arn) {
  auto sm = store_.get_state_machine(arn);
  if (!sm)
    throw ApiError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + arn + "'");
  return *sm;
}

store::ExecutionRecord Service::require_execution(const std::string& arn) {
  auto e = store_.get_execution(arn);
  if (!e) throw ApiError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + arn + "'");
  return *e;
}

// --- wait_for_execution

void Service::answer_with_current(const std::string& arn, bool include_data, Reply reply) {
  Json response;
  std::exception_ptr error;
  try {
    response =
        describe_execution_json(require_execution(arn), include_data, now_ms(), history_limit());
  } catch (...) {
    error = std::current_exception();
  }
  reply(std::move(response), error);
}

void Service::wait_for_execution(const std::string& execution_arn, int timeout_seconds,
                                 bool include_data, Reply reply) {
  reply = once(std::move(reply));
  uint64_t id = 0;
  {
    std::lock_guard lock(waiters_mu_);
    if (!stopping_ && timeout_seconds > 0) {
      id = next_waiter_id_++;
      waiters_[execution_arn].push_back(
          {id, std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds),
           include_data, reply});
      waiters_cv_.notify_all();
    }
  }
  if (id == 0) {
    answer_with_current(execution_arn, include_data, reply);
    return;
  }
  // Read after registering: a close that happens between the two is then seen by one of them.
  // Whoever removes the waiter answers it.
  auto take = [&]() -> bool {
    std::lock_guard lock(waiters_mu_);
    auto it = waiters_.find(execution_arn);
    if (it == waiters_.end()) return false;
    auto& list = it->second;
    for (auto w = list.begin(); w != list.end(); ++w) {
      if (w->id == id) {
        list.erase(w);
        if (list.empty()) waiters_.erase(it);
        return true;
      }
    }
    return false;
  };
  std::optional<store::ExecutionRecord> current;
  try {
    current = store_.get_execution(execution_arn);
  } catch (...) {
    if (take()) reply(Json(), std::current_exception());
    return;
  }
  if (!current) {
    if (take()) {
      reply(Json(),
            std::make_exception_ptr(ApiError("ExecutionDoesNotExist",
                                             "Execution Does Not Exist: '" + execution_arn + "'")));
    }
    return;
  }
  if (current->status != "RUNNING" && take()) {
    reply(describe_execution_json(*current, include_data, now_ms(), history_limit()), {});
  }
}

void Service::on_execution_closed(const store::ExecutionRecord& execution) {
  std::vector<Waiter> ready;
  {
    std::lock_guard lock(waiters_mu_);
    auto it = waiters_.find(execution.arn);
    if (it == waiters_.end()) return;
    ready = std::move(it->second);
    waiters_.erase(it);
  }
  // This runs on the committing thread: build the answer from the row we were given instead
  // of reading the store again.
  Json full = describe_execution_json(execution, true, now_ms(), history_limit());
  Json metadata = describe_execution_json(execution, false, now_ms(), history_limit());
  for (auto& w : ready) {
    try {
      w.reply(w.include_data ? full : metadata, {});
    } catch (const std::exception& e) {
      spdlog::warn("answering a waiter of {} failed: {}", execution.arn, e.what());
    }
  }
}

void Service::sweep_loop() {
  std::unique_lock lock(waiters_mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    auto next = std::chrono::steady_clock::time_point::max();
    struct Expired {
      std::string arn;
      bool include_data;
      Reply reply;
    };
    std::vector<Expired> expired;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      auto& list = it->second;
      for (auto w = list.begin(); w != list.end();) {
        if (w->deadline <= now) {
          expired.push_back({it->first, w->include_data, std::move(w->reply)});
          w = list.erase(w);
        } else {
          next = std::min(next, w->deadline);
          ++w;
        }
      }
      it = list.empty() ? waiters_.erase(it) : std::next(it);
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& [arn, include_data, reply] : expired) {
        answer_with_current(arn, include_data, std::move(reply));
      }
      lock.lock();
      continue;  // the map may have changed while unlocked
    }
    if (next == std::chrono::steady_clock::time_point::max()) {
      waiters_cv_.wait(lock);
    } else {
      waiters_cv_.wait_until(lock, next);
    }
  }
}

void Service::shutdown() {
  std::call_once(shutdown_once_, [this] { stop_waiting(); });
}

void Service::stop_waiting() {
  std::unordered_map<std::string, std::vector<Waiter>> pending;
  {
    std::lock_guard lock(waiters_mu_);
    stopping_ = true;
    pending.swap(waiters_);
    waiters_cv_.notify_all();
  }
  if (sweeper_.joinable()) sweeper_.join();
  for (auto& [arn, list] : pending) {
    for (auto& w : list) answer_with_current(arn, w.include_data, std::move(w.reply));
  }
}

}  // namespace stepd::ops

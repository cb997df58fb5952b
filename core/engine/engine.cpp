#include "core/engine/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "core/asl/parser.h"
#include "core/common/api_error.h"
#include "core/engine/redrive_rules.h"
#include "core/engine/transition.h"

namespace stepd::engine {
namespace {

constexpr int kMaxConflictRetries = 8;

// "arn:aws:states:R:A:stateMachine:NAME" → "NAME"
std::string name_from_arn(const std::string& arn) {
  auto pos = arn.rfind(':');
  return pos == std::string::npos ? arn : arn.substr(pos + 1);
}

// advance() reads the execution's data rows through this.
class StoreDataReader : public DataReader {
 public:
  StoreDataReader(store::Store& store, int64_t execution_id)
      : store_(store), execution_id_(execution_id) {}
  std::optional<std::string> get(const std::string& key) override {
    return store_.get_data(execution_id_, key);
  }
  std::vector<std::pair<std::string, std::string>> scan(const std::string& prefix) override {
    return store_.scan_data(execution_id_, prefix);
  }

 private:
  store::Store& store_;
  int64_t execution_id_;
};

constexpr int64_t kRedriveTokenMs = 15 * 60 * 1000;

}  // namespace

Engine::Engine(store::Store& store, const Clock& clock, IdSource& ids, const TokenCodec& tokens,
               EngineOptions options)
    : store_(store), clock_(clock), ids_(ids), tokens_(tokens), options_(std::move(options)) {
  if (auto* m = options_.metrics) {
    started_family_ = &m->counter("stepd_executions_started_total",
                                  "Executions started (redrives not included), by state machine.",
                                  {"state_machine"});
    closed_family_ = &m->counter(
        "stepd_executions_total",
        "Executions that closed, by state machine and final status (SUCCEEDED, FAILED, ABORTED, "
        "TIMED_OUT).",
        {"state_machine", "status"});
    transitions_family_ = &m->counter(
        "stepd_state_transitions_total",
        "States entered (each *StateEntered history event), by state machine.", {"state_machine"});
    // Counted in the store at scrape time: the count must be right across restarts and other
    // processes, and the partial index on RUNNING rows keeps it cheap.
    m->collected("stepd_open_executions", "Executions with status RUNNING (counted in the store).",
                 "gauge", {}, [this] {
                   return std::vector<metrics::Sample>{
                       {{}, static_cast<double>(store_.count_running_executions())}};
                 });
    m->collected("stepd_callback_tasks_waiting",
                 "Open tasks waiting for a worker's SendTaskSuccess/Failure: activity tasks "
                 "(queued or handed out) and .waitForTaskToken tasks (counted in the store).",
                 "gauge", {}, [this] {
                   return std::vector<metrics::Sample>{
                       {{}, static_cast<double>(store_.count_callback_tasks())}};
                 });
  }
}

Engine::~Engine() {
  shutdown();
}

void Engine::add_listener(EngineListener* listener) {
  listeners_.push_back(listener);
}

void Engine::start() {
  // Effects that were committed but may not have run before the last stop run again. Their
  // outcomes are idempotent in the engine: a reply for a task that is already closed changes
  // nothing.
  // All of them at once: pending_outbox has no cursor, and a row only leaves the outbox when
  // the outcome of its call is recorded, so a page at a time would see the first page again.
  for (const auto& rec : store_.pending_outbox(std::numeric_limits<int>::max())) {
    for (auto* l : listeners_) l->on_outbox(rec);
  }
  timer_workers_ = std::make_unique<WorkerPool>(std::max(1, options_.timer_threads));
  stopping_ = false;
  timer_thread_ = std::thread([this] { timer_loop(); });
}

void Engine::shutdown() {
  stopping_ = true;
  timers_cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
  timer_workers_.reset();  // finishes the timers already handed to it
  // Asynchronous steps end with their commit, which the store (still open) completes.
  std::unique_lock lock(async_mu_);
  async_cv_.wait(lock, [this] { return async_in_flight_ == 0; });
}

void Engine::async_begin() {
  std::lock_guard lock(async_mu_);
  ++async_in_flight_;
}

void Engine::async_end() {
  std::lock_guard lock(async_mu_);
  if (--async_in_flight_ == 0) async_cv_.notify_all();
}

std::shared_ptr<const asl::StateMachine> Engine::model(const std::string& revision_id) {
  {
    std::lock_guard lk(models_mu_);
    auto it = models_.find(revision_id);
    if (it != models_.end()) return it->second;
  }
  auto rev = store_.get_revision(revision_id);
  if (!rev) throw std::runtime_error("definition revision " + revision_id + " is missing");
  auto parsed = asl::parse_state_machine(rev->definition);
  std::lock_guard lk(models_mu_);
  models_[revision_id] = parsed;
  roles_[revision_id] = rev->role_arn;
  return parsed;
}

TransitionContext Engine::context_for(const asl::StateMachine& machine,
                                      const std::string& state_machine_name,
                                      const std::string& revision_id, int64_t now_ms,
                                      DataReader* data) {
  return TransitionContext{machine,
                           now_ms,
                           ids_,
                           tokens_,
                           options_.region,
                           options_.account,
                           state_machine_name,
                           role_of(revision_id),
                           options_.history_limit,
                           data};
}

std::string Engine::role_of(const std::string& revision_id) {
  model(revision_id);
  std::lock_guard lk(models_mu_);
  return roles_[revision_id];
}

namespace {

// A start whose name is taken: the running execution of the same input is the answer (a
// retried StartExecution), anything else is ExecutionAlreadyExists.
const store::ExecutionRecord& existing_or_throw(const store::WriteOutcome& outcome,
                                                const store::ExecutionWrite& write) {
  const auto& existing = *outcome.existing;
  if (existing.status == "RUNNING" && existing.input == write.execution.input) return existing;
  throw ApiError("ExecutionAlreadyExists",
                 "Execution Already Exists: '" + write.execution.arn + "'");
}

}  // namespace

Transition Engine::first_step(const store::StateMachineRecord& sm, const std::string& name,
                              const std::string& input_json) {
  auto machine = model(sm.revision_id);
  // A fresh id: no other step can reach this execution before its first write commits, so the
  // first step needs no gate.
  int64_t id = store_.allocate_execution_id();
  std::string arn = "arn:aws:states:" + options_.region + ":" + options_.account +
                    ":execution:" + sm.name + ":" + name;
  int64_t now = clock_.now_ms();
  auto rec = new_execution_record(id, arn, sm.arn, name, sm.revision_id, input_json, now);
  EngineEvent start;
  start.kind = EngineEvent::Kind::kStart;
  TransitionContext ctx = context_for(*machine, sm.name, sm.revision_id, now, nullptr);
  return advance(rec, start, ctx);
}

store::ExecutionRecord Engine::start_execution(const store::StateMachineRecord& sm,
                                               const std::string& name,
                                               const std::string& input_json, bool* created) {
  Transition t = first_step(sm, name, input_json);
  auto outcome = store_.commit(t.write);
  if (outcome.status == store::WriteOutcome::Status::kNameConflict) {
    if (created) *created = false;
    return existing_or_throw(outcome, t.write);
  }
  if (created) *created = true;
  t.write.execution.version = 1;
  after_commit(t.write);
  return t.write.execution;
}

void Engine::start_execution_async(const store::StateMachineRecord& sm, const std::string& name,
                                   const std::string& input_json, StartDone done) {
  auto write = std::make_shared<store::ExecutionWrite>(first_step(sm, name, input_json).write);
  async_begin();
  auto committed = [this, write, done = std::move(done)](const store::WriteOutcome& outcome,
                                                         std::exception_ptr error) mutable {
    // On the store's writer thread: hand everything else to effects_.
    effects_.post([this, write, outcome, error = std::move(error), done = std::move(done)] {
      const store::ExecutionRecord* execution = nullptr;
      bool created = false;
      std::exception_ptr failure = error;
      if (!failure) {
        try {
          if (outcome.status == store::WriteOutcome::Status::kNameConflict) {
            execution = &existing_or_throw(outcome, *write);
          } else {
            write->execution.version = 1;
            after_commit(*write);
            execution = &write->execution;
            created = true;
          }
        } catch (...) {
          failure = std::current_exception();
        }
      }
      try {
        done(failure ? nullptr : execution, created, failure);
      } catch (const std::exception& e) {
        spdlog::error("a start's completion threw: {}", e.what());
      }
      async_end();
    });
  };
  try {
    store_.commit_async(*write, std::move(committed));
  } catch (...) {
    async_end();
    throw;
  }
}

Engine::Delivery Engine::deliver(int64_t execution_id, const EngineEvent& event) {
  return apply(execution_id, event);
}

namespace {

Engine::Delivery delivery_of(bool found, bool committed) {
  if (!found) return Engine::Delivery::kNotFound;
  return committed ? Engine::Delivery::kApplied : Engine::Delivery::kClosed;
}

}  // namespace

void Engine::deliver_async(int64_t execution_id, EngineEvent event, DeliveryDone done) {
  auto step = std::make_shared<AsyncStep>();
  step->execution_id = execution_id;
  step->decide = [event = std::move(event)](const store::ExecutionRecord& rec, int64_t) {
    return rec.status == "RUNNING" ? std::optional<EngineEvent>(event) : std::nullopt;
  };
  step->done = [done = std::move(done)](StepResult r, std::exception_ptr error) {
    done(delivery_of(r.kind != StepResult::kNotFound, r.kind == StepResult::kCommitted),
         std::move(error));
  };
  async_begin();
  step_async(std::move(step));
}

void Engine::step_async(std::shared_ptr<AsyncStep> step) {
  const int64_t id = step->execution_id;
  // Queued behind another step: the one leaving hands over by posting this step to steps_.
  auto granted = [this, step] { steps_.post([this, step] { run_async_step(step); }); };
  if (gate_.try_enter(id, std::move(granted))) run_async_step(step);
}

void Engine::run_async_step(const std::shared_ptr<AsyncStep>& step) {
  const int64_t id = step->execution_id;
  std::shared_ptr<store::ExecutionWrite> write;
  int64_t version = 0;
  try {
    auto rec = store_.get_execution_by_id(id);
    if (!rec) {
      gate_.leave(id);
      return finish_async(step, {StepResult::kNotFound, std::nullopt, {}}, nullptr);
    }
    int64_t now = clock_.now_ms();
    std::optional<EngineEvent> event = step->decide(*rec, now);
    Transition t;
    if (event) {
      auto machine = model(rec->revision_id);
      StoreDataReader data(store_, id);
      TransitionContext ctx = context_for(*machine, name_from_arn(rec->state_machine_arn),
                                          rec->revision_id, now, &data);
      t = advance(*rec, *event, ctx);
    }
    if (!event || !t.applied) {
      gate_.leave(id);
      return finish_async(step, {StepResult::kSkipped, std::move(rec), {}}, nullptr);
    }
    version = rec->version;
    write = std::make_shared<store::ExecutionWrite>(std::move(t.write));
  } catch (...) {
    gate_.leave(id);
    return finish_async(step, {StepResult::kNotFound, std::nullopt, {}}, std::current_exception());
  }

  auto committed = [this, step, write, version](const store::WriteOutcome& outcome,
                                                std::exception_ptr error) {
    // On the store's writer thread: free the execution for its next step now, and hand the
    // effects and the caller's answer to effects_.
    const int64_t id = step->execution_id;
    gate_.leave(id);
    if (!error && outcome.status != store::WriteOutcome::Status::kOk) {
      // Another writer moved the row (another process, in a shared store): queue again and
      // read again.
      if (++step->attempt < kMaxConflictRetries) {
        steps_.post([this, step] { step_async(step); });
        return;
      }
      error = std::make_exception_ptr(std::runtime_error("execution " + std::to_string(id) +
                                                         " kept changing under the engine"));
    }
    effects_.post([this, step, write, version, error = std::move(error)] {
      if (error) return finish_async(step, {StepResult::kNotFound, std::nullopt, {}}, error);
      write->execution.version = version + 1;
      try {
        after_commit(*write);
      } catch (const std::exception& e) {
        spdlog::error("after the commit of execution {}: {}", step->execution_id, e.what());
      }
      finish_async(step, {StepResult::kCommitted, std::nullopt, std::move(*write)}, nullptr);
    });
  };
  try {
    store_.commit_async(*write, std::move(committed));
  } catch (...) {
    gate_.leave(id);
    finish_async(step, {StepResult::kNotFound, std::nullopt, {}}, std::current_exception());
  }
}

void Engine::finish_async(const std::shared_ptr<AsyncStep>& step, StepResult result,
                          std::exception_ptr error) {
  try {
    step->done(std::move(result), std::move(error));
  } catch (const std::exception& e) {
    spdlog::error("a step's completion of execution {} threw: {}", step->execution_id, e.what());
  } catch (...) {
    spdlog::error("a step's completion of execution {} threw", step->execution_id);
  }
  async_end();
}

Engine::StepResult Engine::step(int64_t execution_id, const Decide& decide) {
  gate_.enter(execution_id);
  struct Leave {
    ExecutionGate& gate;
    int64_t id;
    ~Leave() { gate.leave(id); }
  } leave{gate_, execution_id};
  for (int attempt = 0;; ++attempt) {
    auto rec = store_.get_execution_by_id(execution_id);
    if (!rec) return {StepResult::kNotFound, std::nullopt, {}};
    int64_t now = clock_.now_ms();
    std::optional<EngineEvent> event = decide(*rec, now);
    if (!event) return {StepResult::kSkipped, std::move(rec), {}};
    auto machine = model(rec->revision_id);
    StoreDataReader data(store_, execution_id);
    TransitionContext ctx =
        context_for(*machine, name_from_arn(rec->state_machine_arn), rec->revision_id, now, &data);
    Transition t = advance(*rec, *event, ctx);
    if (!t.applied) return {StepResult::kSkipped, std::move(rec), {}};
    auto outcome = store_.commit(t.write);
    if (outcome.status == store::WriteOutcome::Status::kOk) {
      t.write.execution.version = rec->version + 1;
      return {StepResult::kCommitted, std::nullopt, std::move(t.write)};
    }
    // Another writer moved the row (another process, in a shared store): read again.
    if (attempt + 1 >= kMaxConflictRetries) {
      throw std::runtime_error("execution " + std::to_string(execution_id) +
                               " kept changing under the engine");
    }
  }
}

Engine::Delivery Engine::apply(int64_t execution_id, const EngineEvent& event) {
  StepResult r = step(execution_id, [&](const store::ExecutionRecord& rec, int64_t) {
    return rec.status == "RUNNING" ? std::optional<EngineEvent>(event) : std::nullopt;
  });
  if (r.kind == StepResult::kNotFound) return Delivery::kNotFound;
  if (r.kind == StepResult::kSkipped) return Delivery::kClosed;
  after_commit(r.write);
  return Delivery::kApplied;
}

store::ExecutionRecord Engine::stop_execution(const std::string& execution_arn,
                                              const std::string& error, const std::string& cause) {
  auto rec = store_.get_execution(execution_arn);
  if (!rec) {
    throw ApiError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + execution_arn + "'");
  }
  EngineEvent stop;
  stop.kind = EngineEvent::Kind::kStop;
  stop.error = {error, cause};
  apply(rec->id, stop);
  return *store_.get_execution_by_id(rec->id);
}

store::ExecutionRecord Engine::redrive_execution(const std::string& execution_arn,
                                                 const std::string& client_token) {
  auto not_found = [&] {
    return ApiError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + execution_arn + "'");
  };
  auto found = store_.get_execution(execution_arn);
  if (!found) throw not_found();
  StepResult r = step(
      found->id, [&](const store::ExecutionRecord& rec, int64_t now) -> std::optional<EngineEvent> {
        // A retried request: the redrive it started is the answer.
        if (!client_token.empty() && rec.redrive_token == client_token &&
            now - rec.redrive_ms < kRedriveTokenMs) {
          return std::nullopt;
        }
        if (auto reason = not_redrivable_reason(rec, now, options_.history_limit)) {
          throw ApiError("ExecutionNotRedrivable", *reason);
        }
        EngineEvent redrive;
        redrive.kind = EngineEvent::Kind::kRedrive;
        redrive.client_token = client_token;
        return redrive;
      });
  if (r.kind == StepResult::kNotFound) throw not_found();
  if (r.kind == StepResult::kSkipped) return *r.record;
  after_commit(r.write);
  return r.write.execution;
}

Engine::MachineMetrics* Engine::machine_metrics(const std::string& state_machine_name) {
  if (!options_.metrics) return nullptr;
  {
    std::shared_lock lk(machine_metrics_mu_);
    auto it = machine_metrics_.find(state_machine_name);
    if (it != machine_metrics_.end()) return it->second.get();
  }
  std::unique_lock lk(machine_metrics_mu_);
  auto& slot = machine_metrics_[state_machine_name];
  if (!slot) {
    slot = std::make_unique<MachineMetrics>();
    const std::string& n = state_machine_name;
    slot->started = &started_family_->labels({n});
    slot->transitions = &transitions_family_->labels({n});
    slot->succeeded = &closed_family_->labels({n, "SUCCEEDED"});
    slot->failed = &closed_family_->labels({n, "FAILED"});
    slot->aborted = &closed_family_->labels({n, "ABORTED"});
    slot->timed_out = &closed_family_->labels({n, "TIMED_OUT"});
  }
  return slot.get();
}

void Engine::count_write(const store::ExecutionWrite& write) {
  if (!options_.metrics) return;
  const auto& exec = write.execution;
  const std::string name = name_from_arn(exec.state_machine_arn);
  MachineMetrics* m = machine_metrics(name);
  if (write.insert) m->started->inc();
  uint64_t entered = 0;
  for (const auto& e : write.events) {
    entered += e.type.ends_with("StateEntered") ? 1 : 0;
  }
  if (entered > 0) m->transitions->inc(entered);
  // A committed write that leaves the execution not RUNNING is the one that closed it: events
  // for closed executions are never applied, so each close is counted once.
  if (exec.status == "RUNNING") return;
  if (exec.status == "SUCCEEDED") {
    m->succeeded->inc();
  } else if (exec.status == "FAILED") {
    m->failed->inc();
  } else if (exec.status == "ABORTED") {
    m->aborted->inc();
  } else if (exec.status == "TIMED_OUT") {
    m->timed_out->inc();
  } else {
    closed_family_->labels({name, exec.status}).inc();
  }
}

void Engine::after_commit(const store::ExecutionWrite& write) {
  const auto& exec = write.execution;
  count_write(write);
  {
    std::lock_guard lk(timers_mu_);
    if (write.clear_all_timers) {
      for (auto it = due_.begin(); it != due_.end();) {
        it = it->execution_id == exec.id ? due_.erase(it) : std::next(it);
      }
    }
    for (const auto& tag : write.timers_clear) {
      for (auto it = due_.begin(); it != due_.end();) {
        it = (it->execution_id == exec.id && it->tag == tag) ? due_.erase(it) : std::next(it);
      }
    }
  }
  remember_timers(write.timers_set);
  for (auto* l : listeners_) {
    for (const auto& a : write.activity_tasks_add) l->on_activity_task_queued(a.activity_arn);
    for (const auto& o : write.outbox_add) l->on_outbox(o);
    for (const auto& key : write.outbox_remove) l->on_outbox_removed(exec.id, key);
    if (exec.status != "RUNNING") l->on_execution_closed(exec);
  }
}

void Engine::remember_timers(const std::vector<store::TimerRecord>& timers) {
  if (timers.empty()) return;
  bool earlier = false;
  {
    std::lock_guard lk(timers_mu_);
    for (const auto& t : timers) {
      // Beyond the horizon the next window load brings it in.
      if (t.due_ms >= horizon_ms_) continue;
      earlier = earlier || due_.empty() || t.due_ms < due_.begin()->due_ms;
      due_.insert({t.due_ms, t.execution_id, t.tag});
    }
  }
  if (earlier) timers_cv_.notify_all();
}

void Engine::load_timer_window() {
  int64_t horizon = clock_.now_ms() + options_.timer_window_ms;
  // Timers come back in due order; a full page means the window holds more than a page, so
  // the horizon shrinks to the last one loaded and the rest waits for the next load.
  constexpr int kPage = 10000;
  auto rows = store_.timers_due_before(horizon, kPage);
  if (static_cast<int>(rows.size()) == kPage) horizon = rows.back().due_ms;
  std::lock_guard lk(timers_mu_);
  for (const auto& t : rows) {
    if (t.due_ms < horizon) due_.insert({t.due_ms, t.execution_id, t.tag});
  }
  horizon_ms_ = horizon;
}

int Engine::fire_due_timers() {
  int64_t now = clock_.now_ms();
  bool reload;
  {
    std::lock_guard lk(timers_mu_);
    reload = horizon_ms_ <= now + options_.timer_window_ms / 2;
  }
  if (reload) load_timer_window();
  std::vector<DueTimer> fired;
  {
    std::lock_guard lk(timers_mu_);
    while (!due_.empty() && due_.begin()->due_ms <= now) {
      fired.push_back(*due_.begin());
      due_.erase(due_.begin());
    }
  }
  for (const auto& t : fired) {
    try {
      deliver(t.execution_id, EngineEvent::timer(t.tag));
    } catch (const std::exception& e) {
      spdlog::error("timer {} of execution {} failed: {}", t.tag, t.execution_id, e.what());
    }
  }
  return static_cast<int>(fired.size());
}

void Engine::timer_loop() {
  while (!stopping_) {
    int64_t now = clock_.now_ms();
    bool reload;
    {
      std::lock_guard lk(timers_mu_);
      reload = horizon_ms_ <= now + options_.timer_window_ms / 2;
    }
    if (reload) {
      try {
        load_timer_window();
      } catch (const std::exception& e) {
        spdlog::error("loading timers failed: {}", e.what());
      }
    }
    std::vector<DueTimer> fired;
    int64_t wait_ms = 1000;
    {
      std::unique_lock lk(timers_mu_);
      while (!due_.empty() && due_.begin()->due_ms <= now) {
        fired.push_back(*due_.begin());
        due_.erase(due_.begin());
      }
      if (!due_.empty()) wait_ms = std::min<int64_t>(wait_ms, due_.begin()->due_ms - now);
    }
    for (const auto& t : fired) {
      timer_workers_->post([this, t] {
        try {
          deliver(t.execution_id, EngineEvent::timer(t.tag));
        } catch (const std::exception& e) {
          spdlog::error("timer {} of execution {} failed: {}", t.tag, t.execution_id, e.what());
        }
      });
    }
    if (!fired.empty()) continue;
    std::unique_lock lk(timers_mu_);
    timers_cv_.wait_for(lk, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 1)), [&] {
      return stopping_.load() || (!due_.empty() && due_.begin()->due_ms < now + wait_ms);
    });
  }
}

}  // namespace stepd::engine

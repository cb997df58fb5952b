#pragma once
// The engine service: runs the pure transition function (transition.h) against the store,
// one execution at a time per execution and many executions at once; owns the timer
// scheduler; tells listeners about effects once they are durable.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/asl/model.h"
#include "core/common/clock.h"
#include "core/common/metrics.h"
#include "core/common/token_codec.h"
#include "core/engine/engine_event.h"
#include "core/engine/execution_gate.h"
#include "core/engine/transition.h"
#include "core/engine/worker_pool.h"
#include "core/store/store.h"

namespace stepd::engine {

struct EngineOptions {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  int64_t history_limit = 25000;
  int64_t timer_window_ms = 60000;  // timers due within this window are held in memory
  int timer_threads = 4;            // threads that fire due timers (they wait on commits)
  // Executions started and closed and state transitions are counted here (by state machine
  // name), and open executions read from the store at scrape time. Must outlive the engine.
  metrics::Registry* metrics = nullptr;
};

// Told about effects after the write that made them is durable. Runs on the thread that
// committed; implementations hand long work elsewhere.
class EngineListener {
 public:
  virtual ~EngineListener() = default;
  virtual void on_activity_task_queued(const std::string& /*activity_arn*/) {}
  virtual void on_outbox(const store::OutboxRecord& /*record*/) {}
  // An outbox entry left the outbox (its task finished, failed, timed out or was abandoned);
  // a runner still working on it should stop.
  virtual void on_outbox_removed(int64_t /*execution_id*/, const std::string& /*key*/) {}
  virtual void on_execution_closed(const store::ExecutionRecord& /*execution*/) {}
};

class Engine {
 public:
  Engine(store::Store& store, const Clock& clock, IdSource& ids, const TokenCodec& tokens,
         EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void add_listener(EngineListener* listener);  // before start()

  // Recovery (re-dispatch the outbox) and the timer thread.
  void start();
  void shutdown();

  // Starts an execution of the machine's current revision. An execution of the same name
  // that is RUNNING with the same input is returned as it is (*created = false); any other
  // execution of that name → ApiError ExecutionAlreadyExists.
  store::ExecutionRecord start_execution(const store::StateMachineRecord& sm,
                                         const std::string& name, const std::string& input_json,
                                         bool* created);

  // The same without holding the calling thread across the commit: `done` runs once the start
  // is durable (or refused), on one of the engine's effect threads, after the listeners heard of
  // it. Errors found before the commit (a missing revision) are thrown here instead.
  using StartDone = std::function<void(const store::ExecutionRecord* execution, bool created,
                                       std::exception_ptr error)>;
  void start_execution_async(const store::StateMachineRecord& sm, const std::string& name,
                             const std::string& input_json, StartDone done);

  enum class Delivery {
    kApplied,   // the event changed the execution
    kClosed,    // the task or execution it was for is no longer open (TaskTimedOut)
    kNotFound,  // no such execution
  };
  Delivery deliver(int64_t execution_id, const EngineEvent& event);
  // The same without holding the calling thread across the commit (or while another step of
  // the execution runs): `done` runs exactly once, on one of the engine's threads, after the
  // listeners heard of a committed write.
  using DeliveryDone = std::function<void(Delivery delivery, std::exception_ptr error)>;
  void deliver_async(int64_t execution_id, EngineEvent event, DeliveryDone done);

  // StopExecution. Throws ApiError ExecutionDoesNotExist. A closed execution is left as it is.
  store::ExecutionRecord stop_execution(const std::string& execution_arn, const std::string& error,
                                        const std::string& cause);

  // RedriveExecution. Throws ApiError ExecutionDoesNotExist / ExecutionNotRedrivable. A
  // repeat with the same non-empty client token within 15 minutes of the redrive it started
  // returns that redrive's record without redriving again. Returns the execution after it.
  store::ExecutionRecord redrive_execution(const std::string& execution_arn,
                                           const std::string& client_token);

  // The parsed model of a definition revision (cached).
  std::shared_ptr<const asl::StateMachine> model(const std::string& revision_id);

  // Fires every timer due at the clock's now. The timer thread calls it; tests with a
  // ManualClock call it directly. Returns how many timers fired.
  int fire_due_timers();

  const EngineOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }

 private:
  struct DueTimer {
    int64_t due_ms;
    int64_t execution_id;
    std::string tag;
    bool operator<(const DueTimer& o) const {
      return std::tie(due_ms, execution_id, tag) < std::tie(o.due_ms, o.execution_id, o.tag);
    }
  };

  std::string role_of(const std::string& revision_id);
  // The first step of a new execution, not yet committed.
  Transition first_step(const store::StateMachineRecord& sm, const std::string& name,
                        const std::string& input_json);
  TransitionContext context_for(const asl::StateMachine& machine,
                                const std::string& state_machine_name,
                                const std::string& revision_id, int64_t now_ms, DataReader* data);
  // One step of an execution under its lock: reads the row, asks `decide` which event to apply
  // (nullopt: none), runs advance() and commits, reading again when another writer moved the
  // row. The caller runs after_commit() on a committed write, outside the lock.
  struct StepResult {
    enum Kind { kNotFound, kSkipped, kCommitted } kind;
    std::optional<store::ExecutionRecord> record;  // kSkipped: the row as read
    store::ExecutionWrite write;                   // kCommitted
  };
  using Decide =
      std::function<std::optional<EngineEvent>(const store::ExecutionRecord&, int64_t now_ms)>;
  StepResult step(int64_t execution_id, const Decide& decide);
  // step() for callers that must not wait: runs when the execution is free (here, or later on
  // steps_), commits asynchronously and calls `done` on effects_ after after_commit().
  struct AsyncStep {
    int64_t execution_id;
    Decide decide;
    std::function<void(StepResult, std::exception_ptr)> done;
    int attempt = 0;
  };
  void step_async(std::shared_ptr<AsyncStep> step);
  void run_async_step(const std::shared_ptr<AsyncStep>& step);  // holds the execution
  void finish_async(const std::shared_ptr<AsyncStep>& step, StepResult result,
                    std::exception_ptr error);
  // Counts asynchronous operations from their call to their `done`; shutdown() waits for none.
  void async_begin();
  void async_end();
  // Runs advance() for one event of a RUNNING execution and commits the result.
  Delivery apply(int64_t execution_id, const EngineEvent& event);
  void after_commit(const store::ExecutionWrite& write);
  // The counters of one state machine, resolved once per name and kept (names are bounded by
  // what users create). Null without a registry.
  struct MachineMetrics {
    metrics::Counter* started = nullptr;
    metrics::Counter* transitions = nullptr;
    metrics::Counter* succeeded = nullptr;
    metrics::Counter* failed = nullptr;
    metrics::Counter* aborted = nullptr;
    metrics::Counter* timed_out = nullptr;
  };
  MachineMetrics* machine_metrics(const std::string& state_machine_name);
  void count_write(const store::ExecutionWrite& write);
  void remember_timers(const std::vector<store::TimerRecord>& timers);
  void load_timer_window();
  void timer_loop();

  store::Store& store_;
  const Clock& clock_;
  IdSource& ids_;
  const TokenCodec& tokens_;
  EngineOptions options_;
  std::vector<EngineListener*> listeners_;

  metrics::Family<metrics::Counter>* started_family_ = nullptr;
  metrics::Family<metrics::Counter>* closed_family_ = nullptr;
  metrics::Family<metrics::Counter>* transitions_family_ = nullptr;
  std::shared_mutex machine_metrics_mu_;
  std::unordered_map<std::string, std::unique_ptr<MachineMetrics>> machine_metrics_;

  ExecutionGate gate_;

  std::mutex models_mu_;
  std::unordered_map<std::string, std::shared_ptr<const asl::StateMachine>> models_;
  std::unordered_map<std::string, std::string> roles_;  // revision → role ARN

  // Timers due before horizon_ms_ that the store holds are all in due_; later ones are loaded
  // when the window moves.
  std::mutex timers_mu_;
  std::condition_variable timers_cv_;
  std::set<DueTimer> due_;
  int64_t horizon_ms_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread timer_thread_;
  std::unique_ptr<WorkerPool> timer_workers_;

  std::mutex async_mu_;
  std::condition_variable async_cv_;
  int64_t async_in_flight_ = 0;
  // Declared last, destroyed first (after shutdown() saw no asynchronous operation in flight).
  // steps_ runs asynchronous steps that had to queue for their execution: they read, advance and
  // queue a commit, and never wait for one, so handing an execution over cannot deadlock.
  // effects_ runs what follows a commit (listeners, then the caller's `done`); listeners may
  // block on commits of their own, which is why this is not the store's writer thread.
  WorkerPool steps_{2};
  WorkerPool effects_{4};
};

}  // namespace stepd::engine

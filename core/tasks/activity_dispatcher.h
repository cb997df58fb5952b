#pragma once
// Hands queued activity tasks to workers that long-poll GetActivityTask. Queued tasks are rows
// in the store; a poller that finds none waits (in memory, no thread) until a task is queued or
// its poll time runs out, then gets an empty answer.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/common/metrics.h"
#include "core/engine/engine.h"

namespace stepd::tasks {

struct ActivityTask {
  std::string task_token;
  std::string input;  // JSON text
};

struct ActivityDispatcherOptions {
  int64_t poll_ms = 60000;    // how long GetActivityTask waits before answering empty
  size_t max_pollers = 1000;  // per activity, as AWS
  // Waiting pollers (in memory) and queued tasks (in the store) are reported here at scrape
  // time, by activity name. Must outlive the dispatcher.
  metrics::Registry* metrics = nullptr;
};

class ActivityDispatcher final : public engine::EngineListener {
 public:
  ActivityDispatcher(store::Store& store, engine::Engine& engine,
                     ActivityDispatcherOptions options);
  ~ActivityDispatcher() override;

  // Replies exactly once: a task, nullopt when the poll time ran out, or an error when the task
  // found could not be handed out (the store refused the write: StoreUnavailable; the task stays
  // queued). Throws ApiError ActivityWorkerLimitExceeded (synchronously) when too many workers
  // already wait.
  using Reply = std::function<void(std::optional<ActivityTask> task, std::exception_ptr error)>;
  void poll(const std::string& activity_arn, const std::string& worker_name, Reply reply);

  void on_activity_task_queued(const std::string& activity_arn) override;

  void shutdown();  // answers every waiting poller empty

  // Pollers waiting right now, by activity ARN (every activity polled since start, 0 included).
  std::vector<std::pair<std::string, int64_t>> waiting_pollers();

 private:
  struct Poller {
    uint64_t id;
    std::string worker_name;
    std::chrono::steady_clock::time_point deadline;
    Reply reply;
  };
  // Hands the oldest queued task of the activity that is not already on its way to a worker to
  // this poller: marks it, records ActivityStarted asynchronously and replies once that is
  // durable. False (and the poller untouched) when there is no such task. Many claims of one
  // activity are in flight at once, each in the group commit of its moment.
  bool start_claim(const std::string& activity_arn, Poller& poller);
  // A claim that did not hand its task out: the poller waits again, first in line.
  void requeue(const std::string& activity_arn, Poller poller, bool serve_again);
  void serve(const std::string& activity_arn);
  void sweep_loop();

  store::Store& store_;
  engine::Engine& engine_;
  ActivityDispatcherOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::deque<Poller>> waiting_;  // by activity ARN, oldest first
  // Activities that ever had a waiting poller (with a registry only): their gauge shows 0 when
  // nobody waits instead of vanishing. Bounded by the activities users create.
  std::set<std::string> polled_;
  // By activity ARN: ids of the queued tasks whose ActivityStarted is being committed. Guarded
  // by mu_; claims_in_flight_ counts them all, and shutdown() waits for none.
  std::map<std::string, std::set<int64_t>> claiming_;
  size_t claims_in_flight_ = 0;
  std::condition_variable claims_cv_;
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace stepd::tasks

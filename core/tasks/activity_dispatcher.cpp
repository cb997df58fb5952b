#include "core/tasks/activity_dispatcher.h"

#include <spdlog/spdlog.h>

#include "core/common/api_error.h"

namespace stepd::tasks {

ActivityDispatcher::ActivityDispatcher(store::Store& store, engine::Engine& engine,
                                       ActivityDispatcherOptions options)
    : store_(store), engine_(engine), options_(options) {
  if (auto* m = options_.metrics) {
    // Labelled by activity name: bounded by what users create, and what dashboards show.
    auto by_name = [](std::vector<std::pair<std::string, int64_t>> rows) {
      std::vector<metrics::Sample> out;
      for (auto& [arn, n] : rows) {
        const auto colon = arn.rfind(':');
        out.push_back(
            {{colon == std::string::npos ? arn : arn.substr(colon + 1)}, static_cast<double>(n)});
      }
      return out;
    };
    m->collected("stepd_activity_pollers", "GetActivityTask polls waiting for a task, by activity.",
                 "gauge", {"activity"}, [this, by_name] { return by_name(waiting_pollers()); });
    m->collected("stepd_activity_queue_depth",
                 "Activity tasks queued and not yet handed to a worker, by activity (counted in "
                 "the store).",
                 "gauge", {"activity"},
                 [this, by_name] { return by_name(store_.count_activity_tasks_by_activity()); });
  }
  sweeper_ = std::thread([this] { sweep_loop(); });
}

std::vector<std::pair<std::string, int64_t>> ActivityDispatcher::waiting_pollers() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& arn : polled_) {
    auto it = waiting_.find(arn);
    out.emplace_back(arn, it == waiting_.end() ? 0 : static_cast<int64_t>(it->second.size()));
  }
  return out;
}

ActivityDispatcher::~ActivityDispatcher() {
  shutdown();
}

void ActivityDispatcher::shutdown() {
  std::map<std::string, std::deque<Poller>> waiting;
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    waiting.swap(waiting_);
  }
  cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  for (auto& [arn, pollers] : waiting) {
    for (auto& p : pollers) p.reply(std::nullopt, nullptr);
  }
  // Claims in flight finish with their commit; their pollers get the task (or an empty answer,
  // through requeue) before this returns.
  std::unique_lock lk(mu_);
  claims_cv_.wait(lk, [this] { return claims_in_flight_ == 0; });
}

bool ActivityDispatcher::start_claim(const std::string& activity_arn, Poller& poller) {
  std::optional<store::ActivityTaskRecord> task;
  {
    std::lock_guard lk(mu_);
    auto& claiming = claiming_[activity_arn];
    // Under mu_, so that two pollers never take the same row.
    task = store_.next_activity_task(activity_arn, claiming.empty() ? 0 : *claiming.rbegin());
    if (!task) {
      if (claiming.empty()) claiming_.erase(activity_arn);
      return false;
    }
    claiming.insert(task->id);
    ++claims_in_flight_;
  }
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kActivityStarted;
  e.task_seq = task->task_seq;
  e.worker_name = poller.worker_name;
  // ActivityStarted is durable (and the row gone from the queue) before the worker hears of
  // the task, so a crash cannot hand it out twice.
  auto finished = [this, activity_arn, task = *task, poller = std::move(poller)](
                      engine::Engine::Delivery delivery, std::exception_ptr error) mutable {
    {
      std::lock_guard lk(mu_);
      auto it = claiming_.find(activity_arn);
      it->second.erase(task.id);
      if (it->second.empty()) claiming_.erase(it);
    }
    if (!error && delivery == engine::Engine::Delivery::kApplied) {
      poller.reply(ActivityTask{task.token, task.input}, nullptr);
    } else if (error) {
      // The worker hears of it (503 when the store refuses writes) and polls again; the task
      // stays queued for the next poller.
      poller.reply(std::nullopt, std::move(error));
    } else {
      // The task closed while it was queued (execution stopped, task timed out): its row left
      // with that write, so the poller can try the next one at once. A row still there means
      // the store was changed behind the engine's back; trying it again would loop.
      bool still_queued = false;
      try {
        auto row = store_.next_activity_task(activity_arn, task.id - 1);
        still_queued = row && row->id == task.id;
      } catch (const std::exception&) {
        still_queued = true;  // cannot tell: do not spin
      }
      if (still_queued) {
        spdlog::error("activity task {} of execution {} has no open task", task.id,
                      task.execution_id);
      }
      requeue(activity_arn, std::move(poller), !still_queued);
    }
    std::lock_guard lk(mu_);
    if (--claims_in_flight_ == 0) claims_cv_.notify_all();
  };
  try {
    engine_.deliver_async(task->execution_id, std::move(e), std::move(finished));
  } catch (...) {
    // deliver_async reports through its callback; this is only for allocation failures.
    std::lock_guard lk(mu_);
    claiming_[activity_arn].erase(task->id);
    if (--claims_in_flight_ == 0) claims_cv_.notify_all();
    throw;
  }
  return true;
}

void ActivityDispatcher::requeue(const std::string& activity_arn, Poller poller, bool serve_again) {
  {
    std::lock_guard lk(mu_);
    if (stopping_) {
      poller.reply(std::nullopt, nullptr);
      return;
    }
    waiting_[activity_arn].push_front(std::move(poller));
  }
  if (serve_again) serve(activity_arn);
}

void ActivityDispatcher::poll(const std::string& activity_arn, const std::string& worker_name,
                              Reply reply) {
  Poller poller;
  {
    std::lock_guard lk(mu_);
    if (stopping_) {
      reply(std::nullopt, nullptr);
      return;
    }
    auto it = waiting_.find(activity_arn);
    if (it != waiting_.end() && it->second.size() >= options_.max_pollers) {
      throw ApiError("ActivityWorkerLimitExceeded",
                     "The maximum number of workers concurrently polling for activity tasks (" +
                         std::to_string(options_.max_pollers) + ") has been reached.");
    }
    poller = Poller{next_id_++, worker_name,
                    std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.poll_ms),
                    std::move(reply)};
  }
  if (start_claim(activity_arn, poller)) return;
  {
    std::lock_guard lk(mu_);
    if (options_.metrics) polled_.insert(activity_arn);
    waiting_[activity_arn].push_back(std::move(poller));
  }
  cv_.notify_all();
  // A task queued between the claim above and the registration would find no poller: look
  // once more now that this one is registered.
  serve(activity_arn);
}

void ActivityDispatcher::on_activity_task_queued(const std::string& activity_arn) {
  serve(activity_arn);
}

// Hands queued tasks to waiting pollers, oldest poller first, until either runs out.
void ActivityDispatcher::serve(const std::string& activity_arn) {
  for (;;) {
    Poller poller;
    {
      std::lock_guard lk(mu_);
      auto it = waiting_.find(activity_arn);
      if (it == waiting_.end() || it->second.empty()) return;
      poller = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) waiting_.erase(it);
    }
    bool claimed = false;
    try {
      claimed = start_claim(activity_arn, poller);
    } catch (const std::exception& e) {
      spdlog::error("claiming an activity task of {} failed: {}", activity_arn, e.what());
    }
    if (!claimed) {
      // Nothing to hand out: the poller goes back to the front of the line.
      requeue(activity_arn, std::move(poller), false);
      return;
    }
  }
}

void ActivityDispatcher::sweep_loop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    std::vector<Reply> expired;
    auto next = now + std::chrono::seconds(1);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      auto& q = it->second;
      for (auto p = q.begin(); p != q.end();) {
        if (p->deadline <= now) {
          expired.push_back(std::move(p->reply));
          p = q.erase(p);
        } else {
          next = std::min(next, p->deadline);
          ++p;
        }
      }
      it = q.empty() ? waiting_.erase(it) : std::next(it);
    }
    if (!expired.empty()) {
      lk.unlock();
      for (auto& r : expired) r(std::nullopt, nullptr);
      lk.lock();
      continue;
    }
    cv_.wait_until(lk, next);
  }
}

}  // namespace stepd::tasks

#include "core/sql/pg_pool.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/sql/pg_connection.h"

namespace stepd::sql {
namespace {

constexpr const char* kConnectionError = "DatabaseConnectionException";
constexpr uint64_t kWakeId = 0;  // epoll data of the eventfd; connections count from 1

class SteadyClock final : public Clock {
 public:
  int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

// Connections are shared only between requests with the same Database and DbUser.
std::string session_key(const SqlSessionOptions& s) {
  return s.database + '\x1f' + s.db_user;
}

SqlOutcome failure(SqlOutcome::Status status, std::string error_code, std::string message,
                   std::string sqlstate = "") {
  SqlOutcome o;
  o.status = status;
  o.error_code = std::move(error_code);
  o.message = std::move(message);
  o.sqlstate = std::move(sqlstate);
  return o;
}

}  // namespace

class PgPool::Loop {
 public:
  Loop(SqlTargetConfig target, PgPoolOptions options)
      : target_(std::move(target)), options_(options), rng_(std::random_device{}()) {
    if (target_.kind != TargetKind::kPostgres) {
      throw std::invalid_argument("PgPool needs a postgres target; '" + target_.name +
                                  "' is not one");
    }
    if (options_.clock == nullptr) options_.clock = &steady_;
    if (target_.max_connections < 1) target_.max_connections = 1;
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      if (epoll_fd_ >= 0) close(epoll_fd_);
      if (wake_fd_ >= 0) close(wake_fd_);
      throw std::runtime_error(std::string("PgPool: epoll/eventfd: ") + std::strerror(errno));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    loop_thread_ = std::thread([this] { run(); });
    cancel_thread_ = std::thread([this] { run_cancels(); });
  }

  ~Loop() {
    shutdown();
    close(epoll_fd_);
    close(wake_fd_);
  }

  uint64_t submit(SqlRequest request, Done done) {
    auto job = std::make_unique<Job>();
    job->handle = next_handle_++;
    job->key = session_key(request.session);
    if (!request.session.database.empty()) job->overrides.database = request.session.database;
    if (!request.session.db_user.empty()) job->overrides.db_user = request.session.db_user;
    job->request = std::move(request);
    job->done = std::move(done);
    uint64_t handle = job->handle;
    {
      std::lock_guard lock(inbox_mu_);
      if (!stopping_) {
        inbox_.push_back(Message{Message::kSubmit, std::move(job), 0});
      }
    }
    if (job) {
      // The loop is gone and `done` may not run inside submit(): a short-lived thread delivers
      // the refusal.
      std::thread([job = std::move(job), name = target_.name]() mutable {
        job->done(failure(SqlOutcome::Status::kAborted, "",
                          "the SQL pool of target '" + name + "' is shut down"));
      }).detach();
      return handle;
    }
    wake();
    return handle;
  }

  void cancel(uint64_t handle) {
    {
      std::lock_guard lock(inbox_mu_);
      if (stopping_) return;
      inbox_.push_back(Message{Message::kCancel, nullptr, handle});
    }
    wake();
  }

  Stats stats() const {
    std::lock_guard lock(stats_mu_);
    return stats_;
  }

  void shutdown() {
    std::lock_guard once(shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
    {
      std::lock_guard lock(inbox_mu_);
      stopping_ = true;
    }
    wake();
    loop_thread_.join();
    {
      std::lock_guard lock(cancel_mu_);
      cancel_stop_ = true;
    }
    cancel_cv_.notify_all();
    cancel_thread_.join();
  }

 private:
  struct Job {
    uint64_t handle = 0;
    SqlRequest request;
    Done done;
    std::string key;
    TargetOverrides overrides;
  };
  struct Message {
    enum Kind { kSubmit, kCancel, kCancelDone } kind;
    std::unique_ptr<Job> job;
    uint64_t id = 0;  // kCancel: the handle; kCancelDone: the slot
  };
  // One connection and what the loop knows about it.
  struct Slot {
    uint64_t id = 0;
    std::unique_ptr<PgConnection> conn;
    std::unique_ptr<Job> job;
    TargetOverrides overrides;
    int fd = -1;  // what epoll watches for it
    uint32_t events = 0;
    int64_t created_ms = 0;
    int64_t last_used_ms = 0;
    bool cancel_in_flight = false;  // a PQcancel for it has not returned yet
  };
  struct KeyState {
    int failures = 0;
    int64_t next_attempt_ms = 0;
  };

  void wake() {
    uint64_t one = 1;
    // A full counter (EAGAIN) still wakes the loop, so the result does not matter.
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  }

  int64_t now() const { return options_.clock->now_ms(); }

  // ---- the cancel thread ----

  void run_cancels() {
    for (;;) {
      std::pair<PGcancel*, uint64_t> item;
      {
        std::unique_lock lock(cancel_mu_);
        cancel_cv_.wait(lock, [this] { return cancel_stop_ || !cancels_.empty(); });
        if (cancels_.empty()) return;  // stopping, and nothing left to send
        item = cancels_.front();
        cancels_.pop_front();
      }
      char err[256] = {0};
      // Blocks for a round trip to the server (a new TCP connection): why it is not on the loop.
      if (PQcancel(item.first, err, sizeof err) == 0) {
        spdlog::warn("SQL target '{}': cancel request failed: {}", target_.name, err);
      }
      PQfreeCancel(item.first);
      {
        std::lock_guard lock(inbox_mu_);
        inbox_.push_back(Message{Message::kCancelDone, nullptr, item.second});
      }
      wake();
    }
  }

  void send_cancel(Slot& slot) {
    PGcancel* c = slot.conn->make_cancel_handle();
    if (c == nullptr) return;
    slot.cancel_in_flight = true;
    {
      std::lock_guard lock(cancel_mu_);
      cancels_.emplace_back(c, slot.id);
    }
    cancel_cv_.notify_one();
  }

  // ---- the event loop ----

  void run() {
    std::vector<epoll_event> events(64);
    for (;;) {
      int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms());
      if (n < 0 && errno != EINTR) {
        spdlog::error("SQL target '{}': epoll_wait: {}", target_.name, std::strerror(errno));
      }
      for (int i = 0; i < n; ++i) {
        if (events[i].data.u64 == kWakeId) {
          uint64_t count;
          [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
          continue;
        }
        // The slot may have been dropped by an earlier event of this batch; ids never repeat.
        auto it = slots_.find(events[i].data.u64);
        if (it == slots_.end()) continue;
        handle(*it->second, it->second->conn->on_socket_ready(events[i].events));
      }
      std::vector<Message> inbox;
      bool stopping;
      {
        std::lock_guard lock(inbox_mu_);
        inbox.swap(inbox_);
        stopping = stopping_;
      }
      for (auto& m : inbox) take(m, stopping);
      if (stopping) {
        stop_everything();
        return;
      }
      retire_old_connections();
      pump();
      publish_stats();
    }
  }

  int timeout_ms() {
    if (need_pump_) return 0;
    int64_t t = now();
    int64_t deadline = std::numeric_limits<int64_t>::max();
    if (!queue_.empty()) {
      for (const auto& [key, ks] : keys_) {
        if (ks.next_attempt_ms > t) deadline = std::min(deadline, ks.next_attempt_ms);
      }
    }
    for (const auto& [id, slot] : slots_) {
      if (slot->conn->state() == PgConnection::State::kIdle) {
        deadline = std::min(deadline, slot->created_ms + options_.max_lifetime_ms);
      }
    }
    if (deadline == std::numeric_limits<int64_t>::max()) return -1;
    // +1: wake just after the deadline, not just before it.
    return static_cast<int>(std::clamp<int64_t>(deadline - t + 1, 0, 60000));
  }

  void take(Message& m, bool stopping) {
    switch (m.kind) {
      case Message::kSubmit:
        if (stopping) {
          complete(std::move(m.job),
                   failure(SqlOutcome::Status::kAborted, "", "the SQL pool is shutting down"));
        } else if (queue_.size() >= options_.queue_limit) {
          complete(std::move(m.job),
                   failure(SqlOutcome::Status::kFailed, "ActiveStatementsExceededException",
                           "too many statements are waiting for SQL target '" + target_.name +
                               "': the limit is " + std::to_string(options_.queue_limit)));
        } else {
          queue_.push_back(std::move(m.job));
          need_pump_ = true;
        }
        break;
      case Message::kCancel:
        if (!stopping) cancel_job(m.id);
        break;
      case Message::kCancelDone: {
        auto it = slots_.find(m.id);
        if (it != slots_.end()) {
          it->second->cancel_in_flight = false;
          need_pump_ = true;
        }
        break;
      }
    }
  }

  void cancel_job(uint64_t handle) {
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if ((*it)->handle == handle) {
        auto job = std::move(*it);
        queue_.erase(it);
        complete(std::move(job), failure(SqlOutcome::Status::kAborted, "",
                                         "the statement was cancelled before it ran"));
        return;
      }
    }
    for (auto& [id, slot] : slots_) {
      if (slot->job && slot->job->handle == handle) {
        if (slot->conn->cancel_requested()) return;
        slot->conn->mark_cancelled();
        // The loop keeps reading the statement's result (57014) so that the connection is
        // clean afterwards; it is not reused until PQcancel has returned, so that a late
        // cancel cannot hit the next request's statement.
        if (!slot->cancel_in_flight) send_cancel(*slot);
        return;
      }
    }
  }

  // What a connection reported, acted on.
  void handle(Slot& slot, PgConnection::Event ev) {
    switch (ev) {
      case PgConnection::Event::kNone:
        watch(slot);
        return;
      case PgConnection::Event::kConnected:
        keys_[slot.conn->key()].failures = 0;
        slot.last_used_ms = now();
        watch(slot);
        need_pump_ = true;
        return;
      case PgConnection::Event::kConnectFailed:
        connect_failed(slot.id);
        return;
      case PgConnection::Event::kLost:
        spdlog::info("SQL target '{}': an idle connection was closed: {}", target_.name,
                     slot.conn->error());
        drop(slot.id);
        return;
      case PgConnection::Event::kRequestDone: {
        auto job = std::move(slot.job);
        SqlOutcome outcome = slot.conn->take_outcome();
        slot.last_used_ms = now();
        bool broken = slot.conn->state() == PgConnection::State::kBroken;
        if (broken && slot.conn->retry_elsewhere()) {
          queue_.push_front(std::move(job));
        } else {
          complete(std::move(job), std::move(outcome));
        }
        if (broken) {
          drop(slot.id);
        } else {
          watch(slot);
        }
        need_pump_ = true;
        return;
      }
    }
  }

  // Keeps epoll in step with the connection's socket and what it waits for.
  void watch(Slot& slot) {
    int fd = slot.conn->socket();
    uint32_t want = slot.conn->wanted_events();
    // While connecting, libpq may close its socket and open another (next address, SSL
    // fallback) that can get the same number; epoll forgets a closed descriptor, so register
    // afresh after every poll instead of trusting the number.
    bool fresh = fd != slot.fd || slot.conn->state() == PgConnection::State::kConnecting;
    if (fresh) {
      if (slot.fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, slot.fd, nullptr);
      slot.fd = -1;
      slot.events = 0;
      if (fd < 0 || want == 0) return;
      epoll_event ev{};
      ev.events = want;
      ev.data.u64 = slot.id;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        spdlog::error("SQL target '{}': epoll_ctl add: {}", target_.name, std::strerror(errno));
        return;
      }
      slot.fd = fd;
      slot.events = want;
      return;
    }
    if (want != slot.events && fd >= 0) {
      epoll_event ev{};
      ev.events = want;
      ev.data.u64 = slot.id;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
      slot.events = want;
    }
  }

  // Stops watching, then PQfinish (in ~PgConnection): the other order would leave epoll
  // watching a descriptor number the next socket may reuse.
  void drop(uint64_t id) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    Slot& slot = *it->second;
    if (slot.fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, slot.fd, nullptr);
    if (slot.job) {
      complete(std::move(slot.job), failure(SqlOutcome::Status::kFailed, kConnectionError,
                                            "the connection was closed", "08006"));
    }
    slots_.erase(it);
    need_pump_ = true;
  }

  void connect_failed(uint64_t id) {
    auto it = slots_.find(id);
    std::string key = it->second->conn->key();
    std::string error = it->second->conn->error();
    drop(id);
    fail_key(key, error);
  }

  // A connect for `key` failed: back off, and fail the requests that were waiting for it
  // unless another connection of the key can still serve them. Waiting for the back-off
  // instead would leave callers hanging for as long as the server is down.
  void fail_key(const std::string& key, const std::string& error) {
    KeyState& ks = keys_[key];
    ks.failures++;
    int64_t cap = options_.reconnect_backoff_base_ms << std::min(ks.failures - 1, 20);
    cap = std::min(cap, options_.reconnect_backoff_max_ms);
    int64_t delay = std::uniform_int_distribution<int64_t>(0, std::max<int64_t>(cap, 0))(rng_);
    ks.next_attempt_ms = now() + delay;
    spdlog::warn("SQL target '{}': connect failed ({} in a row, next attempt in {} ms): {}",
                 target_.name, ks.failures, delay, error);
    for (const auto& [sid, slot] : slots_) {
      if (slot->conn->key() == key) return;
    }
    std::deque<std::unique_ptr<Job>> keep;
    std::vector<std::unique_ptr<Job>> failed;
    for (auto& job : queue_) {
      (job->key == key ? failed.emplace_back(std::move(job)) : keep.emplace_back(std::move(job)));
    }
    queue_.swap(keep);
    for (auto& job : failed) {
      complete(
          std::move(job),
          failure(SqlOutcome::Status::kFailed, kConnectionError,
                  "could not connect to SQL target '" + target_.name + "': " + error, "08006"));
    }
  }

  // Opens a connection for `key`; returns "" or why it could not even start.
  std::string open(const std::string& key, const TargetOverrides& overrides) {
    auto slot = std::make_unique<Slot>();
    slot->id = next_slot_++;
    slot->conn = std::make_unique<PgConnection>(key);
    slot->overrides = overrides;
    slot->created_ms = now();
    slot->last_used_ms = slot->created_ms;
    PgConnection::Event ev;
    try {
      ConnectionSettings settings = target_.connection_settings(overrides);
      ev = slot->conn->start_connect(settings);
    } catch (const SqlTargetError& e) {
      return e.what();
    }
    if (ev == PgConnection::Event::kConnectFailed) return slot->conn->error();
    Slot& s = *slot;
    slots_.emplace(s.id, std::move(slot));
    watch(s);
    return "";
  }

  // Hands waiting requests to idle connections in FIFO order, and opens connections for the
  // rest while the limit allows.
  void pump() {
    need_pump_ = false;
    if (queue_.empty()) return;
    int64_t t = now();
    std::map<std::string, std::vector<Slot*>> idle;
    std::map<std::string, int> connecting;
    int idle_total = 0;
    for (auto& [id, slot] : slots_) {
      auto st = slot->conn->state();
      if (st == PgConnection::State::kIdle && !slot->cancel_in_flight) {
        idle[slot->conn->key()].push_back(slot.get());
        idle_total++;
      } else if (st == PgConnection::State::kConnecting) {
        connecting[slot->conn->key()]++;
      }
    }
    int total = static_cast<int>(slots_.size());
    std::vector<std::pair<Slot*, std::unique_ptr<Job>>> starts;
    std::map<std::string, std::string> open_failures;
    for (auto it = queue_.begin(); it != queue_.end();) {
      Job& job = **it;
      auto& mine = idle[job.key];
      if (!mine.empty()) {
        Slot* slot = mine.back();  // the most recently used: keeps the others ageing out
        mine.pop_back();
        idle_total--;
        starts.emplace_back(slot, std::move(*it));
        it = queue_.erase(it);
        continue;
      }
      if (connecting[job.key] > 0) {  // a connection on its way will take this one
        connecting[job.key]--;
        ++it;
        continue;
      }
      if (idle_total == 0 && total >= target_.max_connections) break;  // nothing can change
      KeyState& ks = keys_[job.key];
      if (ks.next_attempt_ms > t || open_failures.count(job.key) != 0) {
        ++it;
        continue;
      }
      if (total >= target_.max_connections) {
        // Every connection is taken; an idle one of another database/user makes room.
        for (auto& [key, list] : idle) {
          if (!list.empty()) {
            drop(list.back()->id);
            list.pop_back();
            idle_total--;
            total--;
            break;
          }
        }
      }
      std::string error = open(job.key, job.overrides);
      if (error.empty()) {
        total++;
      } else {
        open_failures[job.key] = error;
      }
      ++it;
    }
    for (auto& [slot, job] : starts) {
      slot->job = std::move(job);
      bool health = t - slot->last_used_ms >= options_.idle_check_after_ms;
      handle(*slot,
             slot->conn->start_request(&slot->job->request, target_.statement_timeout_ms, health));
    }
    for (const auto& [key, error] : open_failures) fail_key(key, error);
  }

  void retire_old_connections() {
    int64_t t = now();
    std::vector<uint64_t> old;
    for (const auto& [id, slot] : slots_) {
      if (slot->conn->state() == PgConnection::State::kIdle && !slot->cancel_in_flight &&
          t - slot->created_ms >= options_.max_lifetime_ms) {
        old.push_back(id);
      }
    }
    for (uint64_t id : old) drop(id);
  }

  void complete(std::unique_ptr<Job> job, SqlOutcome outcome) {
    switch (outcome.status) {
      case SqlOutcome::Status::kFinished:
        finished_++;
        break;
      case SqlOutcome::Status::kFailed:
        failed_++;
        break;
      case SqlOutcome::Status::kAborted:
        aborted_++;
        break;
    }
    try {
      job->done(std::move(outcome));
    } catch (const std::exception& e) {
      spdlog::error("SQL target '{}': a completion callback threw: {}", target_.name, e.what());
    } catch (...) {
      spdlog::error("SQL target '{}': a completion callback threw", target_.name);
    }
  }

  void stop_everything() {
    while (!queue_.empty()) {
      auto job = std::move(queue_.front());
      queue_.pop_front();
      complete(std::move(job),
               failure(SqlOutcome::Status::kAborted, "", "the SQL pool is shutting down"));
    }
    std::vector<uint64_t> ids;
    for (auto& [id, slot] : slots_) {
      ids.push_back(id);
      if (slot->job) {
        // Closing our end does not stop a running statement; the server must be told.
        if (!slot->cancel_in_flight) send_cancel(*slot);
        complete(std::move(slot->job),
                 failure(SqlOutcome::Status::kAborted, "", "the SQL pool is shutting down"));
      }
    }
    for (uint64_t id : ids) drop(id);
    publish_stats();
  }

  void publish_stats() {
    Stats s;
    for (const auto& [id, slot] : slots_) {
      switch (slot->conn->state()) {
        case PgConnection::State::kIdle:
          s.idle++;
          break;
        case PgConnection::State::kBusy:
          s.busy++;
          break;
        case PgConnection::State::kConnecting:
          s.connecting++;
          break;
        case PgConnection::State::kBroken:
          break;
      }
    }
    s.queued = static_cast<int>(queue_.size());
    s.finished = finished_;
    s.failed = failed_;
    s.aborted = aborted_;
    std::lock_guard lock(stats_mu_);
    stats_ = s;
  }

  SqlTargetConfig target_;
  PgPoolOptions options_;
  SteadyClock steady_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<uint64_t> next_handle_{1};

  std::mutex inbox_mu_;
  std::vector<Message> inbox_;
  bool stopping_ = false;

  std::mutex shutdown_mu_;
  bool shut_down_ = false;

  std::mutex cancel_mu_;
  std::condition_variable cancel_cv_;
  std::deque<std::pair<PGcancel*, uint64_t>> cancels_;
  bool cancel_stop_ = false;

  mutable std::mutex stats_mu_;
  Stats stats_;

  // Owned by the loop thread.
  std::deque<std::unique_ptr<Job>> queue_;
  std::map<uint64_t, std::unique_ptr<Slot>> slots_;
  std::map<std::string, KeyState> keys_;
  uint64_t next_slot_ = 1;
  bool need_pump_ = false;
  int64_t finished_ = 0;
  int64_t failed_ = 0;
  int64_t aborted_ = 0;
  std::mt19937_64 rng_;

  std::thread loop_thread_;
  std::thread cancel_thread_;
};

PgPool::PgPool(SqlTargetConfig target, PgPoolOptions options)
    : loop_(std::make_unique<Loop>(std::move(target), options)) {}

PgPool::~PgPool() {
  loop_->shutdown();
}

uint64_t PgPool::submit(SqlRequest request, Done done) {
  return loop_->submit(std::move(request), std::move(done));
}

void PgPool::cancel(uint64_t handle) {
  loop_->cancel(handle);
}

SqlExecutor::Stats PgPool::stats() const {
  return loop_->stats();
}

void PgPool::shutdown() {
  loop_->shutdown();
}

}  // namespace stepd::sql

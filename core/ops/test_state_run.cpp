#include "core/ops/test_state_run.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "core/engine/engine_event.h"
#include "core/engine/memory_data.h"
#include "core/tasks/http_task_runner.h"

namespace stepd::ops {
namespace {

// Events one run may feed the engine: the start, a Wait's timer, an HTTP reply, a task
// timeout. More means something loops; the run stops rather than spin.
constexpr int kMaxSteps = 16;
// A state whose transition leads back to itself re-enters at once; the history limit ends
// that loop after the first pass has been recorded.
constexpr int64_t kHistoryLimit = 1000;
// The longest a single HTTP call may take, as for HTTP tasks of real executions.
constexpr int64_t kHttpCallLimitMs = 60 * 1000;

constexpr std::string_view kStateMachineName = "TestState";

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string text(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// InspectionData members that AWS types as JSON text, and those it types as numbers.
constexpr std::string_view kTextFields[] = {
    "input",          "afterInputPath",      "afterParameters",   "afterArguments",
    "afterItemsPath", "afterItemsPointer",   "afterItemSelector", "afterItemBatcher",
    "result",         "afterResultSelector", "afterResultPath",   "variables"};
constexpr std::string_view kNumberFields[] = {"maxConcurrency", "toleratedFailureCount",
                                              "toleratedFailurePercentage"};
constexpr std::string_view kErrorDetailFields[] = {"catchIndex", "retryIndex",
                                                   "retryBackoffIntervalSeconds"};

template <size_t N>
bool one_of(const std::string& key, const std::string_view (&names)[N]) {
  return std::find(std::begin(names), std::end(names), key) != std::end(names);
}

// The engine's inspection record as AWS's InspectionData: payloads as JSON text (as the engine
// records them; anything else given there is serialised), counts as numbers, other members
// left out.
Json inspection_data(const Json& inspection) {
  Json out = Json::object();
  if (!inspection.is_object()) return out;
  for (const auto& [key, value] : inspection.items()) {
    if (one_of(key, kTextFields)) {
      out[key] = value.is_string() ? value : Json(text(value));
    } else if (one_of(key, kNumberFields)) {
      if (value.is_number()) out[key] = value;
    } else if (key == "errorDetails" && value.is_object()) {
      Json details = Json::object();
      for (const auto& [k, v] : value.items()) {
        if (one_of(k, kErrorDetailFields) && v.is_number()) details[k] = v;
      }
      if (!details.empty()) out[key] = std::move(details);
    }
  }
  return out;
}

Json headers_text(const std::vector<std::pair<std::string, std::string>>& headers) {
  Json h = Json::object();
  for (const auto& [name, value] : headers) h[name] = value;
  return text(h);
}

std::string scheme_of(const std::string& url) {
  auto colon = url.find("://");
  return colon == std::string::npos ? "" : url.substr(0, colon);
}

class Run : public std::enable_shared_from_this<Run> {
 public:
  Run(TestStateSetup setup, TestStateServices services, Operations::Reply reply)
      : setup_(std::move(setup)), services_(std::move(services)), reply_(std::move(reply)) {}

  void start() {
    try {
      started_ms_ = services_.clock.now_ms();
      const std::string prefix = "arn:aws:states:" + setup_.region + ":" + setup_.account + ":";
      const std::string name = services_.ids.uuid();
      record_ = engine::new_execution_record(
          0, prefix + "express:" + std::string(kStateMachineName) + ":" + name,
          prefix + "stateMachine:" + std::string(kStateMachineName), name, "", setup_.input,
          started_ms_);
      record_.state = text(Json{{"vars", setup_.variables}});
      step(engine::EngineEvent{});
    } catch (...) {
      fail(std::current_exception());
    }
  }

 private:
  // The engine's view of now: the wall clock plus the Wait time skipped so far.
  int64_t now_ms() const { return services_.clock.now_ms() + skipped_ms_; }
  bool out_of_time() const {
    return services_.clock.now_ms() - started_ms_ >= setup_.time_limit_ms;
  }

  void step(const engine::EngineEvent& event) {
    if (++steps_ > kMaxSteps) {
      finish_failed("States.Runtime",
                    "The state did not settle after " + std::to_string(kMaxSteps) + " events.");
      return;
    }
    if (out_of_time()) {
      finish_timed_out();
      return;
    }
    const engine::TransitionContext ctx{.machine = *setup_.machine,
                                        .now_ms = now_ms(),
                                        .ids = services_.ids,
                                        .tokens = *services_.tokens,
                                        .region = setup_.region,
                                        .account = setup_.account,
                                        .state_machine_name = std::string(kStateMachineName),
                                        .role_arn = setup_.role_arn,
                                        .history_limit = kHistoryLimit,
                                        .data = &data_,
                                        .test = &setup_.hooks};
    engine::Transition t = engine::advance(record_, event, ctx);
    if (!t.applied) {
      throw std::runtime_error("TestState: the engine ignored an event it was expected to take");
    }
    absorb(std::move(t.write));
    decide();
  }

  // Keeps what a step wrote: the execution row, its events, its timers, data and effects.
  void absorb(store::ExecutionWrite w) {
    record_ = std::move(w.execution);
    for (auto& e : w.events) events_.push_back(std::move(e));
    if (w.clear_all_timers) timers_.clear();
    for (const auto& tag : w.timers_clear) timers_.erase(tag);
    for (const auto& timer : w.timers_set) timers_[timer.tag] = timer.due_ms;
    data_.apply(w);
    if (w.clear_outbox) outbox_.clear();
    for (const auto& key : w.outbox_remove) outbox_.erase(key);
    for (auto& entry : w.outbox_add) outbox_[entry.key] = std::move(entry);
    waits_for_worker_ = waits_for_worker_ || !w.activity_tasks_add.empty();
  }

  // After a step: answer, or feed the engine what the state waits for.
  void decide() {
    if (auto answer = settled()) {
      finish(std::move(*answer));
      return;
    }
    for (const auto& [tag, due] : timers_) {
      if (starts_with(tag, engine::kTimerRetry)) {
        finish(retriable());
        return;
      }
    }
    for (const auto& [tag, due] : timers_) {
      if (starts_with(tag, engine::kTimerWait)) {
        // A test does not sleep: the clock jumps to the Wait's end.
        skipped_ms_ += std::max<int64_t>(0, due - now_ms());
        step(engine::EngineEvent::timer(tag));
        return;
      }
    }
    for (const auto& [key, entry] : outbox_) {
      if (entry.kind == "http" && !called_.contains(key)) {
        call_http(entry);
        return;
      }
    }
    finish_failed("States.Runtime",
                  waits_for_worker_
                      ? "The state waits for an activity worker, which TestState cannot provide."
                      : "The state waits for an event that TestState cannot provide.");
  }

  // The answer once the state under test has left or the execution has ended.
  std::optional<Json> settled() {
    const std::string& name = setup_.machine->start_at;
    for (size_t i = 0; i < events_.size(); ++i) {
      if (!ends_with(events_[i].type, "StateExited")) continue;
      Json exited = Json::parse(events_[i].details, nullptr, false);
      if (!exited.is_object() || exited.value("name", "") != name) continue;
      Json out = Json::object();
      out["output"] = exited.value("output", "");
      for (size_t j = i + 1; j < events_.size(); ++j) {
        if (!ends_with(events_[j].type, "StateEntered")) continue;
        Json entered = Json::parse(events_[j].details, nullptr, false);
        if (entered.is_object()) out["nextState"] = entered.value("name", "");
        break;
      }
      const Json& details = setup_.hooks.inspection.is_object()
                                ? setup_.hooks.inspection.value("errorDetails", Json::object())
                                : Json::object();
      if (details.contains("catchIndex") || setup_.hooks.raised || failure_event(i)) {
        out["status"] = "CAUGHT_ERROR";
        add_raised(out, i);
      } else {
        out["status"] = "SUCCEEDED";
      }
      return out;
    }
    if (record_.status == "RUNNING") return std::nullopt;
    Json out{{"status", "FAILED"}};
    if (record_.error && !record_.error->empty()) out["error"] = *record_.error;
    if (record_.cause && !record_.cause->empty()) out["cause"] = *record_.cause;
    return out;
  }

  Json retriable() {
    Json out{{"status", "RETRIABLE"}};
    add_raised(out, events_.size());
    return out;
  }

  // The error the state raised: as the engine reported it, or else from the last failure
  // event the state wrote before events_[end] (a task's TaskFailed ...).
  void add_raised(Json& out, size_t end) const {
    std::optional<StatesError> raised = setup_.hooks.raised;
    if (!raised) {
      if (auto e = failure_event(end)) {
        Json d = Json::parse(e->details, nullptr, false);
        if (d.is_object()) raised = StatesError{d.value("error", ""), d.value("cause", "")};
      }
    }
    if (!raised) return;
    if (!raised->error.empty()) out["error"] = raised->error;
    if (!raised->cause.empty()) out["cause"] = raised->cause;
  }

  // The last event before events_[end] that records a failure of the work of the state under
  // test (TaskFailed, ActivityTimedOut, MapStateFailed ...); null if there is none.
  const store::HistoryEventRecord* failure_event(size_t end) const {
    for (size_t i = std::min(end, events_.size()); i-- > 0;) {
      const std::string& type = events_[i].type;
      if (ends_with(type, "StateEntered") || type == "ExecutionStarted") return nullptr;
      if (starts_with(type, "MapIteration")) continue;  // tolerated failures of one item
      if (ends_with(type, "Failed") || ends_with(type, "TimedOut")) return &events_[i];
    }
    return nullptr;
  }

  // ---- the HTTP call of an http:invoke task

  void call_http(const store::OutboxRecord& entry) {
    called_.insert(entry.key);
    Json payload = Json::parse(entry.payload);
    const Json& r = payload.at("request");
    const int64_t seq = payload.value("task_seq", int64_t{0});
    tasks::HttpRequest req;
    req.method = r.value("method", "GET");
    req.url = r.value("url", "");
    if (r.contains("headers") && r["headers"].is_object()) {
      for (const auto& [k, v] : r["headers"].items()) {
        req.headers.emplace_back(k, v.is_string() ? v.get<std::string>() : text(v));
      }
    }
    req.body = r.value("body", "");
    // The call may last until the first of: the test's limit, the task's TimeoutSeconds, the
    // per-call limit.
    int64_t left =
        std::min(kHttpCallLimitMs, setup_.time_limit_ms - (services_.clock.now_ms() - started_ms_));
    if (auto due = task_timeout_due(seq)) left = std::min(left, *due - now_ms());
    req.timeout_seconds = static_cast<int>(std::max<int64_t>(1, (left + 999) / 1000));
    trace_["request"] = Json{{"protocol", scheme_of(req.url)},
                             {"method", req.method},
                             {"url", req.url},
                             {"headers", headers_text(req.headers)},
                             {"body", req.body}};
    auto self = shared_from_this();
    services_.http.send(std::move(req),
                        [self, seq](std::optional<tasks::HttpResponse> resp, std::string error) {
                          self->on_http_reply(seq, std::move(resp), std::move(error));
                        });
  }

  std::optional<int64_t> task_timeout_due(int64_t seq) const {
    auto it = timers_.find(std::string(engine::kTimerTaskTimeout) + ":" + std::to_string(seq));
    if (it == timers_.end()) return std::nullopt;
    return it->second;
  }

  void on_http_reply(int64_t seq, std::optional<tasks::HttpResponse> resp, std::string error) {
    try {
      if (auto due = task_timeout_due(seq); due && *due <= now_ms()) {
        // The task's TimeoutSeconds ran out first, as the timer would have said.
        step(engine::EngineEvent::timer(std::string(engine::kTimerTaskTimeout) + ":" +
                                        std::to_string(seq)));
        return;
      }
      if (!resp && out_of_time()) {
        finish_timed_out();
        return;
      }
      engine::EngineEvent e = tasks::http_reply_event(seq, resp, error);
      if (resp) {
        trace_["response"] = Json{{"protocol", scheme_of(trace_["request"].value("url", ""))},
                                  {"statusCode", std::to_string(resp->status_code)},
                                  {"statusMessage", resp->status_text},
                                  {"headers", headers_text(resp->headers)},
                                  {"body", resp->body}};
      }
      step(e);
    } catch (...) {
      fail(std::current_exception());
    }
  }

  // ---- answers

  void finish_failed(const std::string& error, const std::string& cause) {
    finish(Json{{"status", "FAILED"}, {"error", error}, {"cause", cause}});
  }

  void finish_timed_out() {
    finish_failed("States.Timeout", "The test did not finish within " +
                                        std::to_string(setup_.time_limit_ms / 1000) + " seconds.");
  }

  void finish(Json answer) {
    if (setup_.inspection_level != "INFO") {
      Json data = inspection_data(setup_.hooks.inspection);
      if (setup_.inspection_level == "TRACE") {
        for (const char* key : {"request", "response"}) {
          if (trace_.contains(key)) data[key] = trace_[key];
        }
      }
      if (!data.empty()) answer["inspectionData"] = std::move(data);
    }
    // AWS's member order: output, error, cause, inspectionData, nextState, status.
    Json out = Json::object();
    for (const char* key : {"output", "error", "cause", "inspectionData", "nextState", "status"}) {
      if (answer.contains(key)) out[key] = std::move(answer[key]);
    }
    send(std::move(out), nullptr);
  }

  void fail(std::exception_ptr error) { send(Json(), error); }

  void send(Json response, std::exception_ptr error) {
    if (replied_.exchange(true)) return;
    reply_(std::move(response), error);
  }

  TestStateSetup setup_;
  TestStateServices services_;
  Operations::Reply reply_;
  std::atomic<bool> replied_{false};

  store::ExecutionRecord record_;
  std::vector<store::HistoryEventRecord> events_;
  std::map<std::string, int64_t> timers_;  // tag → due
  std::map<std::string, store::OutboxRecord> outbox_;
  std::set<std::string> called_;  // outbox keys whose call was made
  bool waits_for_worker_ = false;
  engine::MemoryData data_;
  Json trace_ = Json::object();  // the HTTP request and response, for TRACE
  int64_t started_ms_ = 0;
  int64_t skipped_ms_ = 0;
  int steps_ = 0;
};

}  // namespace

void run_test_state(TestStateSetup setup, TestStateServices services, Operations::Reply reply) {
  auto run = std::make_shared<Run>(std::move(setup), std::move(services), std::move(reply));
  run->start();
}

}  // namespace stepd::ops

#include "core/tasks/callback_service.h"

#include <chrono>

#include "core/common/api_error.h"

namespace stepd::tasks {

CallbackService::CallbackService(engine::Engine& engine, const TokenCodec& tokens,
                                 metrics::Registry* metrics)
    : engine_(engine), tokens_(tokens) {
  if (!metrics) return;
  auto& duration = metrics->histogram(
      "stepd_callback_duration_seconds",
      "SendTaskSuccess/Failure/Heartbeat: time from the call reaching the callback service to "
      "the engine having durably applied (or refused) it, by kind.",
      {"kind"}, metrics::latency_buckets());
  auto& outcomes = metrics->counter("stepd_callbacks_total",
                                    "SendTaskSuccess/Failure/Heartbeat calls, by kind and outcome.",
                                    {"kind", "outcome"});
  static constexpr std::array<std::string_view, kKinds> kKindNames = {"success", "failure",
                                                                      "heartbeat"};
  static constexpr std::array<std::string_view, kOutcomes> kOutcomeNames = {
      "applied", "task_timed_out", "not_found", "invalid_token"};
  for (size_t k = 0; k < kKinds; ++k) {
    duration_[k] = &duration.labels({kKindNames[k]});
    for (size_t o = 0; o < kOutcomes; ++o) {
      outcomes_[k][o] = &outcomes.labels({kKindNames[k], kOutcomeNames[o]});
    }
  }
}

CallbackService::Outcome CallbackService::deliver_once(const std::string& token,
                                                       engine::EngineEvent event) {
  auto claims = tokens_.open(token);
  if (!claims) return kInvalidToken;
  event.task_seq = claims->task_seq;
  switch (engine_.deliver(claims->execution_id, event)) {
    case engine::Engine::Delivery::kApplied:
      return kApplied;
    case engine::Engine::Delivery::kClosed:
      return kTimedOut;
    case engine::Engine::Delivery::kNotFound:
      return kNotFound;
  }
  return kNotFound;
}

void CallbackService::deliver(Kind kind, const std::string& token, engine::EngineEvent event) {
  const auto started = std::chrono::steady_clock::now();
  const Outcome outcome = deliver_once(token, std::move(event));
  if (duration_[kind]) {
    duration_[kind]->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    outcomes_[kind][outcome]->inc();
  }
  switch (outcome) {
    case kApplied:
    case kOutcomes:
      return;
    case kInvalidToken:
      throw ApiError("InvalidToken", "Invalid Token: '" + token + "'");
    case kTimedOut:
      throw ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    case kNotFound:
      // A genuine token for an execution this store does not hold (a wiped data directory).
      throw ApiError("TaskDoesNotExist", "Task Does Not Exist: the execution is unknown");
  }
}

void CallbackService::send_success(const std::string& token, const std::string& output_json) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskSucceeded;
  e.output = output_json;
  deliver(kSuccess, token, std::move(e));
}

void CallbackService::send_failure(const std::string& token, const std::string& error,
                                   const std::string& cause) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskFailed;
  e.error = {error, cause};
  deliver(kFailure, token, std::move(e));
}

void CallbackService::send_heartbeat(const std::string& token) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskHeartbeat;
  deliver(kHeartbeat, token, std::move(e));
}

}  // namespace stepd::tasks

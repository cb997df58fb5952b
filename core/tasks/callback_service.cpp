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

void CallbackService::deliver(Kind kind, const std::string& token, engine::EngineEvent event,
                              Done done) {
  const auto started = std::chrono::steady_clock::now();
  auto claims = tokens_.open(token);
  if (!claims) return finish(kind, kInvalidToken, started, token, done);
  event.task_seq = claims->task_seq;
  engine_.deliver_async(claims->execution_id, std::move(event),
                        [this, kind, started, token, done = std::move(done)](
                            engine::Engine::Delivery delivery, std::exception_ptr error) {
                          if (error) return done(std::move(error));
                          switch (delivery) {
                            case engine::Engine::Delivery::kApplied:
                              return finish(kind, kApplied, started, token, done);
                            case engine::Engine::Delivery::kClosed:
                              return finish(kind, kTimedOut, started, token, done);
                            case engine::Engine::Delivery::kNotFound:
                              return finish(kind, kNotFound, started, token, done);
                          }
                        });
}

void CallbackService::finish(Kind kind, Outcome outcome,
                             std::chrono::steady_clock::time_point started,
                             const std::string& token, const Done& done) {
  if (duration_[kind]) {
    duration_[kind]->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    outcomes_[kind][outcome]->inc();
  }
  switch (outcome) {
    case kApplied:
    case kOutcomes:
      return done(nullptr);
    case kInvalidToken:
      return done(
          std::make_exception_ptr(ApiError("InvalidToken", "Invalid Token: '" + token + "'")));
    case kTimedOut:
      return done(std::make_exception_ptr(
          ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")));
    case kNotFound:
      // A genuine token for an execution this store does not hold (a wiped data directory).
      return done(std::make_exception_ptr(
          ApiError("TaskDoesNotExist", "Task Does Not Exist: the execution is unknown")));
  }
}

void CallbackService::send_success(const std::string& token, const std::string& output_json,
                                   Done done) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskSucceeded;
  e.output = output_json;
  deliver(kSuccess, token, std::move(e), std::move(done));
}

void CallbackService::send_failure(const std::string& token, const std::string& error,
                                   const std::string& cause, Done done) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskFailed;
  e.error = {error, cause};
  deliver(kFailure, token, std::move(e), std::move(done));
}

void CallbackService::send_heartbeat(const std::string& token, Done done) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskHeartbeat;
  deliver(kHeartbeat, token, std::move(e), std::move(done));
}

}  // namespace stepd::tasks

#pragma once
// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat: checks the token, then hands the
// outcome to the engine. A forged or mangled token is InvalidToken without a store lookup; a
// token whose task is closed is TaskTimedOut, as AWS answers.
#include <array>
#include <string>

#include "core/common/metrics.h"
#include "core/common/token_codec.h"
#include "core/engine/engine.h"

namespace stepd::tasks {

class CallbackService {
 public:
  // With a registry, every SendTask* call is timed from its arrival here until the engine has
  // durably applied it (or refused it), and counted by outcome. The registry must outlive this.
  CallbackService(engine::Engine& engine, const TokenCodec& tokens,
                  metrics::Registry* metrics = nullptr);

  // Each throws ApiError: InvalidToken, TaskTimedOut (task closed or execution finished).
  void send_success(const std::string& token, const std::string& output_json);
  void send_failure(const std::string& token, const std::string& error, const std::string& cause);
  void send_heartbeat(const std::string& token);

 private:
  // Index into the arrays below: success, failure, heartbeat.
  enum Kind { kSuccess, kFailure, kHeartbeat, kKinds };
  // applied, task_timed_out (closed), not_found, invalid_token.
  enum Outcome { kApplied, kTimedOut, kNotFound, kInvalidToken, kOutcomes };
  void deliver(Kind kind, const std::string& token, engine::EngineEvent event);
  Outcome deliver_once(const std::string& token, engine::EngineEvent event);
  engine::Engine& engine_;
  const TokenCodec& tokens_;
  std::array<metrics::Histogram*, kKinds> duration_{};                       // null: no registry
  std::array<std::array<metrics::Counter*, kOutcomes>, kKinds> outcomes_{};  // null: no registry
};

}  // namespace stepd::tasks

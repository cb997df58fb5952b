#pragma once
// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat: checks the token, then hands the
// outcome to the engine. A forged or mangled token is InvalidToken without a store lookup; a
// token whose task is closed is TaskTimedOut, as AWS answers.
#include <array>
#include <chrono>
#include <exception>
#include <functional>
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

  // Each calls `done` exactly once, with no error once the engine has durably applied the
  // call, or with ApiError InvalidToken (at once, on the calling thread) or TaskTimedOut (task
  // closed or execution finished). No thread waits for the commit: `done` runs on one of the
  // engine's threads.
  using Done = std::function<void(std::exception_ptr error)>;
  void send_success(const std::string& token, const std::string& output_json, Done done);
  void send_failure(const std::string& token, const std::string& error, const std::string& cause,
                    Done done);
  void send_heartbeat(const std::string& token, Done done);

 private:
  // Index into the arrays below: success, failure, heartbeat.
  enum Kind { kSuccess, kFailure, kHeartbeat, kKinds };
  // applied, task_timed_out (closed), not_found, invalid_token.
  enum Outcome { kApplied, kTimedOut, kNotFound, kInvalidToken, kOutcomes };
  void deliver(Kind kind, const std::string& token, engine::EngineEvent event, Done done);
  void finish(Kind kind, Outcome outcome, std::chrono::steady_clock::time_point started,
              const std::string& token, const Done& done);
  engine::Engine& engine_;
  const TokenCodec& tokens_;
  std::array<metrics::Histogram*, kKinds> duration_{};                       // null: no registry
  std::array<std::array<metrics::Counter*, kOutcomes>, kKinds> outcomes_{};  // null: no registry
};

}  // namespace stepd::tasks

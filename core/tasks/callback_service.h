#pragma once
// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat: checks the token, then hands the
// outcome to the engine. A forged or mangled token is InvalidToken without a store lookup; a
// token whose task is closed is TaskTimedOut, as AWS answers.
#include <string>

#include "core/common/token_codec.h"
#include "core/engine/engine.h"

namespace stepd::tasks {

class CallbackService {
 public:
  CallbackService(engine::Engine& engine, const TokenCodec& tokens);

  // Each throws ApiError: InvalidToken, TaskTimedOut (task closed or execution finished).
  void send_success(const std::string& token, const std::string& output_json);
  void send_failure(const std::string& token, const std::string& error, const std::string& cause);
  void send_heartbeat(const std::string& token);

 private:
  void deliver(const std::string& token, engine::EngineEvent event);
  engine::Engine& engine_;
  const TokenCodec& tokens_;
};

}  // namespace stepd::tasks

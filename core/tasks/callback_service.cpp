#include "core/tasks/callback_service.h"

#include "core/common/api_error.h"

namespace stepd::tasks {

CallbackService::CallbackService(engine::Engine& engine, const TokenCodec& tokens)
    : engine_(engine), tokens_(tokens) {}

void CallbackService::deliver(const std::string& token, engine::EngineEvent event) {
  auto claims = tokens_.open(token);
  if (!claims) throw ApiError("InvalidToken", "Invalid Token: '" + token + "'");
  event.task_seq = claims->task_seq;
  switch (engine_.deliver(claims->execution_id, event)) {
    case engine::Engine::Delivery::kApplied:
      return;
    case engine::Engine::Delivery::kClosed:
      throw ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'");
    case engine::Engine::Delivery::kNotFound:
      // A genuine token for an execution this store does not hold (a wiped data directory).
      throw ApiError("TaskDoesNotExist", "Task Does Not Exist: the execution is unknown");
  }
}

void CallbackService::send_success(const std::string& token, const std::string& output_json) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskSucceeded;
  e.output = output_json;
  deliver(token, std::move(e));
}

void CallbackService::send_failure(const std::string& token, const std::string& error,
                                   const std::string& cause) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskFailed;
  e.error = {error, cause};
  deliver(token, std::move(e));
}

void CallbackService::send_heartbeat(const std::string& token) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kTaskHeartbeat;
  deliver(token, std::move(e));
}

}  // namespace stepd::tasks

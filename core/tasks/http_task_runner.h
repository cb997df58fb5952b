#pragma once
// Runs the HTTP calls of `arn:aws:states:::http:invoke` tasks. The engine writes each call to
// the outbox in the same transaction that schedules the task; this runner makes the call after
// commit (and again after a crash, from the outbox) and feeds the reply back to the engine.
#include "core/engine/engine.h"
#include "core/tasks/http_invoker.h"

namespace stepd::tasks {

class HttpTaskRunner final : public engine::EngineListener {
 public:
  HttpTaskRunner(engine::Engine& engine, HttpInvoker& invoker);
  void on_outbox(const store::OutboxRecord& record) override;

 private:
  engine::Engine& engine_;
  HttpInvoker& invoker_;
};

}  // namespace stepd::tasks

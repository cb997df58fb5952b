#pragma once
// Runs the HTTP calls of `arn:aws:states:::http:invoke` tasks. The engine writes each call to
// the outbox in the same transaction that schedules the task; this runner makes the call after
// commit (and again after a crash, from the outbox) and feeds the reply back to the engine.
#include "core/engine/engine.h"
#include "core/engine/worker_pool.h"
#include "core/tasks/http_invoker.h"

namespace stepd::tasks {

// The engine event for an http:invoke task's reply: StatusCode, StatusText, Headers and
// ResponseBody as AWS returns them, or SocketError when the call failed on the network.
engine::EngineEvent http_reply_event(int64_t task_seq, const std::optional<HttpResponse>& resp,
                                     const std::string& error);

class HttpTaskRunner final : public engine::EngineListener {
 public:
  HttpTaskRunner(engine::Engine& engine, HttpInvoker& invoker, int threads = 2);
  void on_outbox(const store::OutboxRecord& record) override;

 private:
  engine::Engine& engine_;
  HttpInvoker& invoker_;
  // Replies arrive on the HTTP client's threads; recording one waits for a store commit, so
  // that wait happens here instead of on a thread the HTTP library needs.
  engine::WorkerPool replies_;
};

}  // namespace stepd::tasks

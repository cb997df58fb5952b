#include "core/tasks/http_task_runner.h"

#include <spdlog/spdlog.h>

namespace stepd::tasks {

engine::EngineEvent http_reply_event(int64_t task_seq, const std::optional<HttpResponse>& resp,
                                     const std::string& error) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kHttpResponse;
  e.task_seq = task_seq;
  if (resp) {
    Json headers = Json::object();
    for (const auto& [k, v] : resp->headers) headers[k] = v;
    e.payload = Json{{"StatusCode", resp->status_code},
                     {"StatusText", resp->status_text},
                     {"Headers", headers},
                     {"ResponseBody", resp->body}};
  } else {
    e.payload = Json{{"SocketError", error}};
  }
  return e;
}

HttpTaskRunner::HttpTaskRunner(engine::Engine& engine, HttpInvoker& invoker, int threads)
    : engine_(engine), invoker_(invoker), replies_(threads) {}

void HttpTaskRunner::on_outbox(const store::OutboxRecord& record) {
  if (record.kind != "http") return;
  Json payload = Json::parse(record.payload, nullptr, false);
  if (payload.is_discarded() || !payload.contains("request")) {
    spdlog::error("outbox entry {} of execution {} is not an HTTP call", record.key,
                  record.execution_id);
    return;
  }
  const Json& r = payload["request"];
  HttpRequest req;
  req.method = r.value("method", "GET");
  req.url = r.value("url", "");
  for (auto& [k, v] : r["headers"].items()) req.headers.emplace_back(k, v.get<std::string>());
  req.body = r.value("body", "");
  int64_t execution_id = record.execution_id;
  int64_t seq = payload.value("task_seq", int64_t{0});
  invoker_.send(std::move(req), [this, execution_id, seq](std::optional<HttpResponse> resp,
                                                          std::string error) {
    engine::EngineEvent e = http_reply_event(seq, resp, error);
    try {
      engine_.deliver(execution_id, e);
    } catch (const std::exception& ex) {
      spdlog::error("recording the HTTP reply of execution {} failed: {}", execution_id, ex.what());
    }
  });
}

}  // namespace stepd::tasks

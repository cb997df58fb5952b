#include "core/tasks/sql_task_runner.h"

#include <spdlog/spdlog.h>

#include "core/common/states_error.h"

namespace stepd::tasks {

engine::EngineEvent sql_result_event(int64_t task_seq, const Json& response,
                                     const std::optional<ApiError>& error) {
  engine::EngineEvent e;
  e.kind = engine::EngineEvent::Kind::kSqlResult;
  e.task_seq = task_seq;
  if (!error) {
    e.payload = Json{{"Output", response}};
  } else if (error->type() == "DataLimitExceeded") {
    e.payload = Json{{"Error", errors::kDataLimitExceeded}, {"Cause", error->message()}};
  } else {
    e.payload = Json{{"Error", "RedshiftData." + error->type()}, {"Cause", error->message()}};
  }
  return e;
}

SqlTaskRunner::SqlTaskRunner(engine::Engine& engine, sql::RedshiftDataService& data, int threads)
    : engine_(engine), data_(data), replies_(threads) {}

SqlTaskRunner::~SqlTaskRunner() {
  replies_.drain();
}

void SqlTaskRunner::on_outbox(const store::OutboxRecord& record) {
  if (record.kind != "sql") return;
  Json call = Json::parse(record.payload, nullptr, false);
  if (call.is_discarded() || !call.contains("action") || !call.contains("request")) {
    spdlog::error("outbox entry {} of execution {} is not a SQL call", record.key,
                  record.execution_id);
    return;
  }
  int64_t execution_id = record.execution_id;
  int64_t seq = call.value("task_seq", int64_t{0});
  auto reply = [this, execution_id, seq](Json response, std::optional<ApiError> error) {
    replies_.post(
        [this, execution_id, seq, response = std::move(response), error = std::move(error)] {
          try {
            engine_.deliver(execution_id, sql_result_event(seq, response, error));
          } catch (const std::exception& ex) {
            spdlog::error("recording the SQL answer of execution {} failed: {}", execution_id,
                          ex.what());
          }
        });
  };
  std::string action = call["action"].get<std::string>();
  Json request = call["request"];
  sql::StatementOwner owner{execution_id, seq};
  if (call.value("sync", false)) {
    // IncludeResult is stepd's own member of the .sync step: it asks for the rows too.
    bool include_result = false;
    if (request.is_object() && request.contains("IncludeResult")) {
      const Json& v = request["IncludeResult"];
      if (!v.is_boolean()) {
        reply(Json(), ApiError("ValidationException", "IncludeResult must be true or false."));
        return;
      }
      include_result = v.get<bool>();
      request.erase("IncludeResult");
    }
    {
      std::lock_guard lk(sync_mu_);
      sync_steps_.emplace(execution_id, seq);
    }
    long long timeout_ms = call.value("timeout_s", int64_t{0}) * 1000;
    data_.run_sync(action, request, owner, timeout_ms, include_result, kMaxSqlStepOutputBytes,
                   std::move(reply));
  } else {
    data_.call(action, request, std::move(reply), owner);
  }
}

void SqlTaskRunner::stop_delivering() {
  delivering_ = false;
  replies_.drain();
}

void SqlTaskRunner::on_outbox_removed(int64_t execution_id, const std::string& key) {
  if (!key.starts_with("sql:")) return;
  int64_t seq = 0;
  try {
    seq = std::stoll(key.substr(4));
  } catch (const std::exception&) {
    return;
  }
  {
    std::lock_guard lk(sync_mu_);
    if (sync_steps_.erase({execution_id, seq}) == 0) return;
  }
  data_.cancel_owned(sql::StatementOwner{execution_id, seq});
}

}  // namespace stepd::tasks

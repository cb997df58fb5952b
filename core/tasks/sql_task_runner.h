#pragma once
// Runs the Redshift Data API calls of SQL tasks. The engine writes each call to the outbox in
// the transaction that schedules the task (kind "sql", key "sql:<task seq>"); this runner hands
// it to the Data API emulation after commit (and again after a crash, from the outbox) and feeds
// the answer back to the engine as a kSqlResult event. When the entry leaves the outbox before
// the answer came (StopExecution, TimeoutSeconds, a failing sibling branch), the statement the
// task owns is cancelled on the database server.
#include <atomic>
#include <mutex>
#include <set>
#include <utility>

#include "core/engine/engine.h"
#include "core/engine/worker_pool.h"
#include "core/sql/redshift_data.h"

namespace stepd::tasks {

// The largest step output, as Step Functions limits it.
inline constexpr size_t kMaxSqlStepOutputBytes = 256 * 1024;

// The engine event for a Data API answer: {"Output": response}, or {"Error", "Cause"} where a
// Data API error X becomes `RedshiftData.X` (as AWS names aws-sdk errors) and an answer too big
// for a step becomes States.DataLimitExceeded.
engine::EngineEvent sql_result_event(int64_t task_seq, const Json& response,
                                     const std::optional<ApiError>& error);

class SqlTaskRunner final : public engine::EngineListener {
 public:
  // `threads` wait for store commits while recording answers; many of them let many answers
  // share one group commit (measured with bench/sql_step_bench: 2 threads cap SQL steps near two
  // per commit, 16 roughly double the throughput).
  SqlTaskRunner(engine::Engine& engine, sql::RedshiftDataService& data, int threads = 16);
  ~SqlTaskRunner() override;

  void on_outbox(const store::OutboxRecord& record) override;
  void on_outbox_removed(int64_t execution_id, const std::string& key) override;

  // Waits until every answer received so far is recorded (tests, shutdown).
  void drain() { replies_.drain(); }

  // Shutdown, before the executors stop: answers from now on (statements aborted by the
  // shutdown) are not recorded, so their steps stay in the outbox and run again after restart.
  void stop_delivering();

 private:
  engine::Engine& engine_;
  sql::RedshiftDataService& data_;
  // Answers arrive on the executors' and the store's threads, which must not wait; recording
  // one waits for a store commit, so that happens here.
  engine::WorkerPool replies_;
  // .sync steps whose entry is in the outbox: only their statements are cancelled when the
  // entry goes (an aws-sdk ExecuteStatement's statement outlives its task, as on AWS).
  std::atomic<bool> delivering_{true};
  std::mutex sync_mu_;
  std::set<std::pair<int64_t, int64_t>> sync_steps_;
};

}  // namespace stepd::tasks

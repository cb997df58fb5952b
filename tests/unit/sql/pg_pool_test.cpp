// PgPool against a real PostgreSQL (postgres_server.h): results, errors, transactions,
// concurrency limits, cancellation, timeouts, lost connections and a server restart.
#include "core/sql/pg_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/sql/postgres_server.h"

namespace stepd::sql {
namespace {

using testing::PostgresServer;
using testing::TestConnection;
using namespace std::chrono_literals;
using Status = SqlOutcome::Status;

// Collects one outcome; outlives the pool in every test (declared before it), so a pool that is
// shut down by its destructor still has somewhere to deliver.
class Waiter {
 public:
  SqlExecutor::Done callback() {
    return [this](SqlOutcome o) {
      std::lock_guard lock(mu_);
      outcome_ = std::move(o);
      calls_++;
      cv_.notify_all();
    };
  }
  std::optional<SqlOutcome> wait(std::chrono::milliseconds limit = 30s) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [this] { return outcome_.has_value(); });
    return outcome_;
  }
  bool done() {
    std::lock_guard lock(mu_);
    return outcome_.has_value();
  }
  int calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<SqlOutcome> outcome_;
  int calls_ = 0;
};

SqlRequest request(std::string sql, std::vector<std::string> values = {}) {
  SqlRequest r;
  r.statements.push_back({std::move(sql), std::move(values)});
  return r;
}

int thread_count() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    n++;
  }
  return n;
}

template <typename F>
bool eventually(F&& condition, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class PgPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      PostgresServer::get();
    } catch (const std::exception& e) {
      FAIL() << "cannot start PostgreSQL for the pool tests: " << e.what();
    }
  }

  // A target on the test server; `app` names its connections in pg_stat_activity.
  static SqlTargetConfig target(int max_connections, const std::string& app,
                                const std::string& password_env = PostgresServer::kPasswordEnv) {
    Json config = {{"t",
                    {{"conninfo", PostgresServer::get().conninfo() + " application_name=" + app},
                     {"user", PostgresServer::kUser},
                     {"password_env", password_env},
                     {"max_connections", max_connections}}}};
    return parse_sql_targets(config).at("t");
  }

  static SqlOutcome run(PgPool& pool, SqlRequest r) {
    Waiter w;
    pool.submit(std::move(r), w.callback());
    auto out = w.wait();
    if (!out) {
      ADD_FAILURE() << "no outcome within 30 s";
      return {};
    }
    return *out;
  }

  // Waits until `app` has an active backend running `sql_prefix`; returns its pid or 0.
  static std::string wait_active(TestConnection& check, const std::string& app,
                                 const std::string& sql_prefix) {
    std::string pid;
    eventually(
        [&] {
          pid = check.scalar("SELECT pid FROM pg_stat_activity WHERE application_name = '" + app +
                             "' AND state = 'active' AND query LIKE '" + sql_prefix + "%'");
          return !pid.empty();
        },
        5s);
    return pid;
  }
};

TEST_F(PgPoolTest, SelectGivesTypedFieldsAndColumnMetadata) {
  PgPool pool(target(2, "stepd_types"));
  SqlOutcome out =
      run(pool, request("SELECT 42::int4 AS i, 9000000000::int8 AS big, 7::int2 AS s, "
                        "1.5::float8 AS f, true AS b, false AS nb, 12.34::numeric(10,2) "
                        "AS n, 'it''s'::text AS t, NULL::int4 AS nul, "
                        "'x'::varchar(20) AS v"));
  ASSERT_EQ(out.status, Status::kFinished) << out.message;
  ASSERT_EQ(out.results.size(), 1u);
  const SqlStatementResult& r = out.results[0];
  EXPECT_TRUE(r.has_result_set);
  EXPECT_EQ(r.result_rows, 1);
  EXPECT_GT(r.redshift_pid, 0);
  EXPECT_GT(r.started_ms, 1600000000000);
  EXPECT_GT(r.duration_ns, 0);
  Json expected = Json::parse(R"([[{"longValue":42},{"longValue":9000000000},{"longValue":7},
      {"doubleValue":1.5},{"booleanValue":true},{"booleanValue":false},{"stringValue":"12.34"},
      {"stringValue":"it's"},{"isNull":true},{"stringValue":"x"}]])");
  EXPECT_EQ(r.records, expected);
  EXPECT_EQ(r.result_size_bytes, r.records.dump().size());
  ASSERT_EQ(r.column_metadata.size(), 10u);
  EXPECT_EQ(r.column_metadata[0]["name"], "i");
  EXPECT_EQ(r.column_metadata[0]["label"], "i");
  EXPECT_EQ(r.column_metadata[0]["typeName"], "int4");
  EXPECT_EQ(r.column_metadata[0]["isSigned"], true);
  EXPECT_EQ(r.column_metadata[1]["typeName"], "int8");
  EXPECT_EQ(r.column_metadata[3]["typeName"], "float8");
  EXPECT_EQ(r.column_metadata[4]["typeName"], "bool");
  EXPECT_EQ(r.column_metadata[6]["typeName"], "numeric");
  EXPECT_EQ(r.column_metadata[6]["precision"], 10);
  EXPECT_EQ(r.column_metadata[6]["scale"], 2);
  EXPECT_EQ(r.column_metadata[7]["typeName"], "text");
  EXPECT_EQ(r.column_metadata[9]["typeName"], "varchar");
  EXPECT_EQ(r.column_metadata[9]["length"], 20);
}

TEST_F(PgPoolTest, ResultBeyondMaxBytesKeepsNoRecords) {
  PgPool pool(target(1, "stepd_big"));
  SqlRequest r = request("SELECT g FROM generate_series(1, 1000) g");
  r.max_result_bytes = 500;
  SqlOutcome out = run(pool, r);
  ASSERT_EQ(out.status, Status::kFinished) << out.message;
  EXPECT_TRUE(out.results[0].result_too_large);
  EXPECT_TRUE(out.results[0].records.empty());
  EXPECT_EQ(out.results[0].result_rows, 1000);
  EXPECT_GT(out.results[0].result_size_bytes, 500u);
}

TEST_F(PgPoolTest, ParametersWithQuotesAndSemicolonsStayData) {
  TestConnection check;
  check.query("CREATE TABLE IF NOT EXISTS victims (x int)");
  PgPool pool(target(1, "stepd_params"));
  const std::string evil = "'; DROP TABLE victims; --";
  SqlOutcome out = run(pool, request("SELECT $1::text AS v, $2::int + 1 AS w", {evil, "41"}));
  ASSERT_EQ(out.status, Status::kFinished) << out.message;
  EXPECT_EQ(out.results[0].records[0][0]["stringValue"], evil);
  EXPECT_EQ(out.results[0].records[0][1]["longValue"], 42);
  EXPECT_EQ(check.scalar("SELECT to_regclass('victims') IS NOT NULL"), "t");
}

TEST_F(PgPoolTest, RowCountsOfInsertUpdateAndDdl) {
  PgPool pool(target(1, "stepd_rows"));
  SqlRequest r;
  r.statements = {{"DROP TABLE IF EXISTS rows_t", {}},
                  {"CREATE TABLE rows_t (x int)", {}},
                  {"INSERT INTO rows_t VALUES (1), (2), (3)", {}},
                  {"UPDATE rows_t SET x = x + 1 WHERE x > $1", {"1"}},
                  {"SELECT * FROM rows_t WHERE false", {}}};
  SqlOutcome out = run(pool, r);
  ASSERT_EQ(out.status, Status::kFinished) << out.message;
  ASSERT_EQ(out.results.size(), 5u);
  EXPECT_EQ(out.results[1].result_rows, -1);
  EXPECT_FALSE(out.results[1].has_result_set);
  EXPECT_EQ(out.results[2].result_rows, 3);
  EXPECT_EQ(out.results[3].result_rows, 2);
  EXPECT_TRUE(out.results[4].has_result_set);
  EXPECT_EQ(out.results[4].result_rows, 0);
}

TEST_F(PgPoolTest, FailingStatementGivesSqlstateAndMessage) {
  PgPool pool(target(1, "stepd_fail"));
  SqlOutcome out = run(pool, request("SELECT * FROM no_such_table"));
  EXPECT_EQ(out.status, Status::kFailed);
  EXPECT_EQ(out.sqlstate, "42P01");
  EXPECT_EQ(out.error_code, "ExecuteStatementException");
  EXPECT_NE(out.message.find("no_such_table"), std::string::npos) << out.message;
  EXPECT_EQ(out.failed_index, 0);
  EXPECT_EQ(out.results.size(), 1u);
  // The connection is still good.
  EXPECT_EQ(run(pool, request("SELECT 1")).status, Status::kFinished);
}

TEST_F(PgPoolTest, TransactionFailureRollsBackEarlierStatements) {
  TestConnection check;
  check.query("DROP TABLE IF EXISTS tx_t; CREATE TABLE tx_t (x int)");
  PgPool pool(target(1, "stepd_tx"));
  SqlRequest r;
  r.transaction = true;
  r.statements = {{"INSERT INTO tx_t VALUES (1)", {}},
                  {"INSERT INTO tx_missing VALUES (2)", {}},
                  {"INSERT INTO tx_t VALUES (3)", {}}};
  SqlOutcome out = run(pool, r);
  EXPECT_EQ(out.status, Status::kFailed);
  EXPECT_EQ(out.failed_index, 1);
  EXPECT_EQ(out.sqlstate, "42P01");
  EXPECT_EQ(out.results.size(), 2u);
  EXPECT_EQ(check.scalar("SELECT count(*) FROM tx_t"), "0");

  r.statements[1].sql = "INSERT INTO tx_t VALUES (2)";
  out = run(pool, r);
  EXPECT_EQ(out.status, Status::kFinished) << out.message;
  EXPECT_EQ(check.scalar("SELECT count(*) FROM tx_t"), "3");
  // The connection is out of the transaction.
  out = run(pool, request("SELECT now() = statement_timestamp()"));
  EXPECT_EQ(out.results.at(0).records[0][0]["booleanValue"], false);
}

TEST_F(PgPoolTest, ThousandRequestsOverEightConnections) {
  TestConnection check;
  const std::string app = "stepd_thousand";
  PgPool pool(target(8, app));
  const int threads_before = thread_count();
  constexpr int kRequests = 1000;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<SqlOutcome>> outcomes(kRequests);
  int finished = 0;
  for (int i = 0; i < kRequests; ++i) {
    pool.submit(request("SELECT $1::int AS v FROM pg_sleep(0.001)", {std::to_string(i)}),
                [&, i](SqlOutcome o) {
                  std::lock_guard lock(mu);
                  outcomes[i] = std::move(o);
                  finished++;
                  cv.notify_all();
                });
  }
  int max_backends = 0;
  int max_threads = 0;
  auto until = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    {
      std::unique_lock lock(mu);
      if (finished == kRequests || std::chrono::steady_clock::now() > until) break;
    }
    max_backends =
        std::max(max_backends, std::stoi(check.scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                                                      "application_name = '" +
                                                      app + "'")));
    max_threads = std::max(max_threads, thread_count());
    std::this_thread::sleep_for(5ms);
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(finished, kRequests);
  int64_t last_start = 0;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(outcomes[i]->status, Status::kFinished) << i << ": " << outcomes[i]->message;
    EXPECT_EQ(outcomes[i]->results.at(0).records[0][0]["longValue"], i);
    // FIFO: a request starts no earlier than the one submitted before it.
    EXPECT_GE(outcomes[i]->results[0].started_ms, last_start) << i;
    last_start = outcomes[i]->results[0].started_ms;
  }
  EXPECT_LE(max_backends, 8);
  EXPECT_GT(max_backends, 1);
  EXPECT_LE(max_threads, threads_before);
  auto stats = pool.stats();
  EXPECT_LE(stats.idle + stats.busy + stats.connecting, 8);
  EXPECT_TRUE(eventually([&] { return pool.stats().finished == kRequests; }, 2s));
}

TEST_F(PgPoolTest, QueueOverflowIsActiveStatementsExceeded) {
  TestConnection check;
  PgPoolOptions options;
  options.queue_limit = 2;
  PgPool pool(target(1, "stepd_overflow"), options);
  Waiter sleeper;
  uint64_t h = pool.submit(request("SELECT pg_sleep(60)"), sleeper.callback());
  ASSERT_FALSE(wait_active(check, "stepd_overflow", "SELECT pg_sleep").empty());
  std::vector<Waiter> waiters(5);
  for (auto& w : waiters) pool.submit(request("SELECT 1"), w.callback());
  int exceeded = 0;
  for (int i = 2; i < 5; ++i) {
    auto out = waiters[i].wait(5s);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->status, Status::kFailed);
    EXPECT_EQ(out->error_code, "ActiveStatementsExceededException");
    EXPECT_NE(out->message.find("'t'"), std::string::npos) << out->message;
    EXPECT_NE(out->message.find("2"), std::string::npos) << out->message;
    exceeded++;
  }
  EXPECT_EQ(exceeded, 3);
  EXPECT_FALSE(waiters[0].done());
  pool.cancel(h);
  ASSERT_TRUE(sleeper.wait(5s).has_value());
  EXPECT_EQ(waiters[0].wait(5s)->status, Status::kFinished);
  EXPECT_EQ(waiters[1].wait(5s)->status, Status::kFinished);
}

TEST_F(PgPoolTest, CancelRunningStatementOnTheServer) {
  TestConnection check;
  const std::string app = "stepd_cancel";
  PgPool pool(target(1, app));
  Waiter w;
  uint64_t h = pool.submit(request("SELECT pg_sleep(60)"), w.callback());
  ASSERT_FALSE(wait_active(check, app, "SELECT pg_sleep").empty());
  auto t0 = std::chrono::steady_clock::now();
  pool.cancel(h);
  auto out = w.wait(2s);
  ASSERT_TRUE(out.has_value()) << "cancel did not finish the request within 2 s";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(out->status, Status::kAborted);
  EXPECT_TRUE(eventually(
      [&] {
        return check.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                            app + "' AND state = 'active'") == "0";
      },
      2s));
  pool.cancel(h);  // finished: ignored
  SqlOutcome next = run(pool, request("SELECT 5"));
  EXPECT_EQ(next.status, Status::kFinished) << next.message;
  EXPECT_EQ(w.calls(), 1);
}

TEST_F(PgPoolTest, CancelInsideTransactionRollsBack) {
  TestConnection check;
  check.query("DROP TABLE IF EXISTS cancel_t; CREATE TABLE cancel_t (x int)");
  const std::string app = "stepd_cancel_tx";
  PgPool pool(target(1, app));
  SqlRequest r;
  r.transaction = true;
  r.statements = {{"INSERT INTO cancel_t VALUES (1)", {}}, {"SELECT pg_sleep(60)", {}}};
  Waiter w;
  uint64_t h = pool.submit(r, w.callback());
  ASSERT_FALSE(wait_active(check, app, "SELECT pg_sleep").empty());
  pool.cancel(h);
  auto out = w.wait(2s);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, Status::kAborted);
  EXPECT_EQ(check.scalar("SELECT count(*) FROM cancel_t"), "0");
  SqlOutcome next = run(pool, request("SELECT count(*) FROM cancel_t"));
  ASSERT_EQ(next.status, Status::kFinished) << next.message;
  EXPECT_EQ(next.results[0].records[0][0]["longValue"], 0);
}

TEST_F(PgPoolTest, CancelQueuedRequest) {
  TestConnection check;
  const std::string app = "stepd_cancel_q";
  PgPool pool(target(1, app));
  Waiter sleeper;
  uint64_t hs = pool.submit(request("SELECT pg_sleep(60)"), sleeper.callback());
  ASSERT_FALSE(wait_active(check, app, "SELECT pg_sleep").empty());
  Waiter queued;
  uint64_t hq = pool.submit(request("SELECT 1"), queued.callback());
  pool.cancel(hq);
  auto out = queued.wait(1s);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, Status::kAborted);
  EXPECT_FALSE(sleeper.done());
  pool.cancel(hs);
  EXPECT_EQ(sleeper.wait(2s)->status, Status::kAborted);
  EXPECT_EQ(queued.calls(), 1);
}

TEST_F(PgPoolTest, StatementTimeoutDoesNotLeakToTheNextRequest) {
  PgPool pool(target(1, "stepd_timeout"));
  SqlRequest slow = request("SELECT pg_sleep(5)");
  slow.timeout_ms = 200;
  auto t0 = std::chrono::steady_clock::now();
  SqlOutcome out = run(pool, slow);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(out.status, Status::kFailed);
  EXPECT_EQ(out.error_code, "QueryTimeoutException");
  EXPECT_EQ(out.sqlstate, "57014");

  SqlOutcome show = run(pool, request("SHOW statement_timeout"));
  ASSERT_EQ(show.status, Status::kFinished) << show.message;
  EXPECT_EQ(show.results[0].records[0][0]["stringValue"], "0");

  SqlRequest limited = request("SHOW statement_timeout");
  limited.timeout_ms = 1500;
  show = run(pool, limited);
  ASSERT_EQ(show.status, Status::kFinished) << show.message;
  EXPECT_EQ(show.results[0].records[0][0]["stringValue"], "1500ms");
}

TEST_F(PgPoolTest, TerminatedBackendIsReplaced) {
  TestConnection check;
  const std::string app = "stepd_terminate";
  PgPool pool(target(1, app));
  Waiter w;
  pool.submit(request("SELECT pg_sleep(30)"), w.callback());
  std::string pid = wait_active(check, app, "SELECT pg_sleep");
  ASSERT_FALSE(pid.empty());
  check.query("SELECT pg_terminate_backend(" + pid + ")");
  auto out = w.wait(5s);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, Status::kFailed);
  EXPECT_EQ(out->error_code, "DatabaseConnectionException");
  // The server's FATAL is read before the connection counts as gone.
  EXPECT_EQ(out->sqlstate, "57P01") << out->message;
  SqlOutcome next = run(pool, request("SELECT pg_backend_pid()"));
  ASSERT_EQ(next.status, Status::kFinished) << next.message;
  EXPECT_NE(std::to_string(next.results[0].records[0][0]["longValue"].get<int64_t>()), pid);
}

TEST_F(PgPoolTest, LongIdleConnectionIsCheckedAndReplacedWhenDead) {
  TestConnection check;
  const std::string app = "stepd_health";
  PgPoolOptions options;
  options.idle_check_after_ms = 0;  // every reuse runs the health check
  PgPool pool(target(1, app), options);
  SqlOutcome first = run(pool, request("SELECT pg_backend_pid()"));
  ASSERT_EQ(first.status, Status::kFinished) << first.message;
  std::string pid = std::to_string(first.results[0].records[0][0]["longValue"].get<int64_t>());
  check.query("SELECT pg_terminate_backend(" + pid + ")");
  // Whether the loop sees the close first or the health check finds it, the request must not
  // fail: it never started on the dead connection.
  SqlOutcome next = run(pool, request("SELECT pg_backend_pid()"));
  ASSERT_EQ(next.status, Status::kFinished) << next.message;
  EXPECT_NE(std::to_string(next.results[0].records[0][0]["longValue"].get<int64_t>()), pid);
}

TEST_F(PgPoolTest, IdleConnectionPastItsLifetimeIsClosed) {
  TestConnection check;
  const std::string app = "stepd_lifetime";
  PgPoolOptions options;
  options.max_lifetime_ms = 200;
  PgPool pool(target(2, app), options);
  ASSERT_EQ(run(pool, request("SELECT 1")).status, Status::kFinished);
  EXPECT_TRUE(eventually(
      [&] {
        return check.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                            app + "'") == "0";
      },
      3s));
  EXPECT_EQ(run(pool, request("SELECT 1")).status, Status::kFinished);
}

TEST_F(PgPoolTest, WrongPasswordIsConnectionErrorWithoutThePassword) {
  const char* wrong = "Wr0ng-Pa55-9f3k";
  setenv("STEPD_PG_POOL_TEST_WRONG_PASSWORD", wrong, 1);
  PgPool pool(target(1, "stepd_wrongpw", "STEPD_PG_POOL_TEST_WRONG_PASSWORD"));
  SqlOutcome out = run(pool, request("SELECT 1"));
  EXPECT_EQ(out.status, Status::kFailed);
  EXPECT_EQ(out.error_code, "DatabaseConnectionException");
  EXPECT_NE(out.message.find("password authentication failed"), std::string::npos) << out.message;
  EXPECT_EQ(out.message.find(wrong), std::string::npos);
  EXPECT_EQ(out.message.find(PostgresServer::kPassword), std::string::npos);
}

TEST_F(PgPoolTest, DatabaseOverrideRunsOnAnotherDatabase) {
  PgPool pool(target(1, "stepd_dbs"));
  SqlRequest other = request("SELECT current_database()");
  other.session.database = PostgresServer::kOtherDatabase;
  SqlOutcome out = run(pool, other);
  ASSERT_EQ(out.status, Status::kFinished) << out.message;
  EXPECT_EQ(out.results[0].records[0][0]["stringValue"], PostgresServer::kOtherDatabase);
  // With one connection allowed, the idle one of the other database makes room.
  out = run(pool, request("SELECT current_database()"));
  ASSERT_EQ(out.status, Status::kFinished) << out.message;
  EXPECT_EQ(out.results[0].records[0][0]["stringValue"], PostgresServer::kDatabase);
}

TEST_F(PgPoolTest, ServerRestartFailsRequestsThenRecovers) {
  PgPoolOptions options;
  options.reconnect_backoff_max_ms = 1000;
  PgPool pool(target(2, "stepd_restart"), options);
  ASSERT_EQ(run(pool, request("SELECT 1")).status, Status::kFinished);
  PostgresServer::get().stop();
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    SqlOutcome out = run(pool, request("SELECT 1"));
    EXPECT_EQ(out.status, Status::kFailed) << i;
    EXPECT_EQ(out.error_code, "DatabaseConnectionException") << i << ": " << out.message;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  }
  PostgresServer::get().start();
  bool recovered =
      eventually([&] { return run(pool, request("SELECT 1")).status == Status::kFinished; }, 20s);
  EXPECT_TRUE(recovered);
  auto stats = pool.stats();
  EXPECT_GE(stats.failed, 3);
}

TEST_F(PgPoolTest, ShutdownAbortsRunningAndQueuedRequests) {
  TestConnection check;
  const std::string app = "stepd_shutdown";
  Waiter running;
  Waiter queued;
  PgPool pool(target(1, app));
  pool.submit(request("SELECT pg_sleep(60)"), running.callback());
  ASSERT_FALSE(wait_active(check, app, "SELECT pg_sleep").empty());
  pool.submit(request("SELECT 1"), queued.callback());
  pool.shutdown();
  EXPECT_EQ(running.wait(1s)->status, Status::kAborted);
  EXPECT_EQ(queued.wait(1s)->status, Status::kAborted);
  EXPECT_TRUE(eventually(
      [&] {
        return check.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                            app + "'") == "0";
      },
      2s));
  Waiter late;
  pool.submit(request("SELECT 1"), late.callback());
  EXPECT_EQ(late.wait(2s)->status, Status::kAborted);
}

}  // namespace
}  // namespace stepd::sql

// The embedded SQLite target: typed records, parameters as data, transactions, timeouts,
// cancel and the bounded queue. Runs on a real file in a temporary directory.
#include "core/sql/sqlite_executor.h"
#include "tests/unit/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace stepd::sql {
namespace {

namespace fs = std::filesystem;

using stepd::test_support::TempDir;

// Counts to a billion: minutes of work, so only a timeout or a cancel can end it in a test.
constexpr const char* kEndless =
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000) "
    "SELECT count(*) FROM c";

SqlRequest request_of(std::vector<std::string> sqls, bool transaction = false) {
  SqlRequest r;
  for (auto& sql : sqls) r.statements.push_back(SqlStatement{std::move(sql), {}});
  r.transaction = transaction;
  return r;
}

class SqliteExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteExecutor::Options options;
    options.path = (dir_.path() / "target.db").string();
    options.max_queue = 4;
    executor_ = std::make_unique<SqliteExecutor>(options);
  }

  // Submits and waits for the outcome, checking that done runs off the calling thread.
  SqlOutcome run(SqlRequest request) {
    std::promise<SqlOutcome> promise;
    const auto caller = std::this_thread::get_id();
    executor_->submit(std::move(request), [&promise, caller](SqlOutcome outcome) {
      EXPECT_NE(std::this_thread::get_id(), caller);
      promise.set_value(std::move(outcome));
    });
    return promise.get_future().get();
  }

  TempDir dir_;
  std::unique_ptr<SqliteExecutor> executor_;
};

TEST_F(SqliteExecutorTest, RecordsAreTypedByStorageClass) {
  SqlOutcome out = run(
      request_of({"SELECT 42 AS i, 2.5 AS r, 'it''s' AS t, x'00ff10' AS b, NULL AS n, -7 AS neg"}));
  ASSERT_EQ(out.status, SqlOutcome::Status::kFinished) << out.message;
  ASSERT_EQ(out.results.size(), 1u);
  const SqlStatementResult& r = out.results[0];
  EXPECT_TRUE(r.has_result_set);
  EXPECT_EQ(r.result_rows, 1);
  EXPECT_EQ(r.records, Json::parse(R"([[{"longValue":42},{"doubleValue":2.5},
      {"stringValue":"it's"},{"blobValue":"AP8Q"},{"isNull":true},{"longValue":-7}]])"));
  ASSERT_EQ(r.column_metadata.size(), 6u);
  EXPECT_EQ(r.column_metadata[0]["name"], "i");
  EXPECT_EQ(r.column_metadata[0]["label"], "i");
  EXPECT_EQ(r.column_metadata[0]["typeName"], "integer");
  EXPECT_EQ(r.column_metadata[2]["typeName"], "text");
  EXPECT_EQ(r.column_metadata[3]["typeName"], "blob");
  EXPECT_EQ(r.result_size_bytes, r.records[0].dump().size() + 1);
}

TEST_F(SqliteExecutorTest, DeclaredTypesNameColumnsAndCountsFollowTheStatementKind) {
  SqlOutcome out = run(
      request_of({"CREATE TABLE t (id INTEGER, name VARCHAR(10))",
                  "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')",
                  "UPDATE t SET name = 'z' WHERE id >= 2", "SELECT id, name FROM t WHERE id > 5"}));
  ASSERT_EQ(out.status, SqlOutcome::Status::kFinished) << out.message;
  ASSERT_EQ(out.results.size(), 4u);
  EXPECT_EQ(out.results[0].result_rows, -1) << "DDL has no count";
  EXPECT_FALSE(out.results[0].has_result_set);
  EXPECT_EQ(out.results[1].result_rows, 3);
  EXPECT_EQ(out.results[2].result_rows, 2);
  EXPECT_TRUE(out.results[3].has_result_set);
  EXPECT_EQ(out.results[3].result_rows, 0);
  EXPECT_EQ(out.results[3].column_metadata[1]["typeName"], "varchar(10)");
}

TEST_F(SqliteExecutorTest, ParametersStayData) {
  ASSERT_EQ(run(request_of({"CREATE TABLE t (id INTEGER, name TEXT)"})).status,
            SqlOutcome::Status::kFinished);
  const std::string nasty = "x'); DROP TABLE t; --";
  SqlRequest insert;
  insert.statements.push_back(SqlStatement{"INSERT INTO t VALUES ($1, $2)", {"7", nasty}});
  SqlOutcome out = run(std::move(insert));
  ASSERT_EQ(out.status, SqlOutcome::Status::kFinished) << out.message;
  EXPECT_EQ(out.results[0].result_rows, 1);

  SqlRequest select;
  select.statements.push_back(SqlStatement{"SELECT id, name FROM t WHERE id = $1", {"7"}});
  out = run(std::move(select));
  ASSERT_EQ(out.status, SqlOutcome::Status::kFinished) << out.message;
  EXPECT_EQ(out.results[0].records,
            Json::parse(R"([[{"longValue":7},{"stringValue":)" + Json(nasty).dump() + "}]]"));
}

TEST_F(SqliteExecutorTest, AFailingStatementRollsTheTransactionBack) {
  ASSERT_EQ(run(request_of({"CREATE TABLE t (id INTEGER PRIMARY KEY)"})).status,
            SqlOutcome::Status::kFinished);
  SqlOutcome out = run(request_of(
      {"INSERT INTO t VALUES (1)", "INSERT INTO nope VALUES (2)", "INSERT INTO t VALUES (3)"},
      true));
  EXPECT_EQ(out.status, SqlOutcome::Status::kFailed);
  EXPECT_EQ(out.failed_index, 1);
  EXPECT_EQ(out.error_code, "ExecuteStatementException");
  EXPECT_NE(out.message.find("no such table: nope"), std::string::npos) << out.message;
  EXPECT_EQ(out.results.size(), 2u);
  SqlOutcome count = run(request_of({"SELECT count(*) FROM t"}));
  EXPECT_EQ(count.results[0].records[0][0]["longValue"], 0) << "the first insert was undone";

  // Without a transaction the first insert stays and the third never runs.
  out = run(request_of(
      {"INSERT INTO t VALUES (1)", "INSERT INTO nope VALUES (2)", "INSERT INTO t VALUES (3)"}));
  EXPECT_EQ(out.status, SqlOutcome::Status::kFailed);
  count = run(request_of({"SELECT group_concat(id) FROM t"}));
  EXPECT_EQ(count.results[0].records[0][0]["stringValue"], "1");
}

TEST_F(SqliteExecutorTest, ATimeoutEndsTheStatementAsQueryTimeout) {
  SqlRequest r = request_of({kEndless});
  r.timeout_ms = 100;
  const auto start = std::chrono::steady_clock::now();
  SqlOutcome out = run(std::move(r));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(out.status, SqlOutcome::Status::kFailed);
  EXPECT_EQ(out.error_code, "QueryTimeoutException");
  EXPECT_EQ(out.failed_index, 0);
  // The connection is usable afterwards.
  EXPECT_EQ(run(request_of({"SELECT 1"})).status, SqlOutcome::Status::kFinished);
}

TEST_F(SqliteExecutorTest, CancelStopsARunningStatementAndDropsAQueuedOne) {
  std::promise<SqlOutcome> first_done;
  std::promise<SqlOutcome> second_done;
  const uint64_t first = executor_->submit(
      request_of({kEndless}), [&](SqlOutcome o) { first_done.set_value(std::move(o)); });
  const uint64_t second =
      executor_->submit(request_of({"CREATE TABLE never (x)"}),
                        [&](SqlOutcome o) { second_done.set_value(std::move(o)); });
  // Wait until the first is running, then cancel both.
  for (int i = 0; i < 500 && executor_->stats().busy == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  executor_->cancel(second);
  executor_->cancel(first);
  auto f1 = first_done.get_future();
  ASSERT_EQ(f1.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(f1.get().status, SqlOutcome::Status::kAborted);
  EXPECT_EQ(second_done.get_future().get().status, SqlOutcome::Status::kAborted);
  SqlOutcome out = run(request_of({"SELECT count(*) FROM sqlite_master WHERE name = 'never'"}));
  EXPECT_EQ(out.results[0].records[0][0]["longValue"], 0);
  EXPECT_EQ(executor_->stats().aborted, 2);
  executor_->cancel(first);  // finished handles are ignored
}

TEST_F(SqliteExecutorTest, AFullQueueRefusesWithActiveStatementsExceeded) {
  std::promise<void> blocker_done;
  const uint64_t blocker =
      executor_->submit(request_of({kEndless}), [&](SqlOutcome) { blocker_done.set_value(); });
  for (int i = 0; i < 500 && executor_->stats().busy == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::vector<std::promise<SqlOutcome>> outcomes(6);
  for (auto& p : outcomes) {
    executor_->submit(request_of({"SELECT 1"}), [&p](SqlOutcome o) { p.set_value(std::move(o)); });
  }
  // max_queue is 4: the fifth and sixth are refused at once, while the blocker still runs.
  for (int i = 4; i < 6; ++i) {
    auto f = outcomes[i].get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    SqlOutcome o = f.get();
    EXPECT_EQ(o.status, SqlOutcome::Status::kFailed);
    EXPECT_EQ(o.error_code, "ActiveStatementsExceededException");
  }
  executor_->cancel(blocker);
  blocker_done.get_future().get();
  for (int i = 0; i < 4; ++i) {
    SqlOutcome o = outcomes[i].get_future().get();
    EXPECT_EQ(o.status, SqlOutcome::Status::kFinished) << o.error_code << ": " << o.message;
  }
}

TEST_F(SqliteExecutorTest, ResultsOverTheLimitAreNotKept) {
  SqlRequest r =
      request_of({"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) "
                  "SELECT n, 'padding padding padding' FROM c"});
  r.max_result_bytes = 1000;
  SqlOutcome out = run(std::move(r));
  ASSERT_EQ(out.status, SqlOutcome::Status::kFinished) << out.message;
  EXPECT_TRUE(out.results[0].result_too_large);
  EXPECT_TRUE(out.results[0].records.empty());
  EXPECT_EQ(out.results[0].result_rows, 1000);
}

TEST_F(SqliteExecutorTest, ShutdownAbortsWhatIsQueuedAndRunning) {
  std::promise<SqlOutcome> a;
  std::promise<SqlOutcome> b;
  executor_->submit(request_of({kEndless}), [&](SqlOutcome o) { a.set_value(std::move(o)); });
  executor_->submit(request_of({"SELECT 1"}), [&](SqlOutcome o) { b.set_value(std::move(o)); });
  for (int i = 0; i < 500 && executor_->stats().busy == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  executor_->shutdown();
  EXPECT_EQ(a.get_future().get().status, SqlOutcome::Status::kAborted);
  EXPECT_EQ(b.get_future().get().status, SqlOutcome::Status::kAborted);
}

TEST(Base64Test, EncodesWithPadding) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe", 2)), "//4=");
}

}  // namespace
}  // namespace stepd::sql

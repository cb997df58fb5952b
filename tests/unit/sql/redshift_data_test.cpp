// The Redshift Data API emulation end to end: a real SqliteStore (migrated with the repository's
// migrations) and a real SqliteExecutor target, in a temporary directory.
#include "core/sql/redshift_data.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "core/sql/sqlite_executor.h"
#include "core/store/sqlite_store.h"
#include "tests/unit/temp_dir.h"

namespace stepd::sql {
namespace {

namespace fs = std::filesystem;

const std::string kMigrations = STEPD_SOURCE_DIR "/migrations/sqlite";

constexpr const char* kEndless =
    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000) "
    "SELECT count(*) FROM c";

using stepd::test_support::TempDir;

struct Answer {
  Json response;
  std::optional<ApiError> error;
  std::string code() const { return error ? error->type() : ""; }
  std::string message() const { return error ? error->message() : ""; }
};

class RedshiftDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directory(dir_.path() / "scripts");
    targets_ = parse_sql_targets(
        Json{{"demo", {{"kind", "sqlite"}, {"path", (dir_.path() / "target.db").string()}}}});
    open();
  }
  void TearDown() override { close(); }

  void open(RedshiftDataService::Options options = {}) {
    store_ = std::make_unique<store::SqliteStore>((dir_.path() / "stepd.db").string());
    store_->migrate(kMigrations);
    executor_ = std::make_unique<SqliteExecutor>(targets_.at("demo"));
    options.scripts_dir = (dir_.path() / "scripts").string();
    service_ = std::make_unique<RedshiftDataService>(
        *store_, targets_, std::map<std::string, SqlExecutor*>{{"demo", executor_.get()}}, clock_,
        ids_, options);
  }
  void close() {
    // The order the service asks for (see redshift_data.h).
    if (executor_) executor_->shutdown();
    store_.reset();  // drains the writer, so every reply has been given
    service_.reset();
    executor_.reset();
  }
  void reopen(RedshiftDataService::Options options = {}) {
    close();
    open(options);
  }

  Answer call(const std::string& action, Json request) {
    std::promise<Answer> promise;
    service_->call(action, request, [&promise](Json response, std::optional<ApiError> error) {
      promise.set_value(Answer{std::move(response), std::move(error)});
    });
    auto future = promise.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return future.get();
  }

  // Each call is its own task attempt of execution 7 unless `owner` says otherwise (a repeated
  // owner is a step dispatched again after a restart).
  Answer sync(const std::string& action, Json request, StatementOwner owner = {},
              long long timeout_ms = 0, bool include_result = true,
              size_t max_output = 256 * 1024) {
    if (owner.execution_id == 0) owner = {7, ++last_task_seq_};
    std::promise<Answer> promise;
    service_->run_sync(action, request, owner, timeout_ms, include_result, max_output,
                       [&promise](Json response, std::optional<ApiError> error) {
                         promise.set_value(Answer{std::move(response), std::move(error)});
                       });
    auto future = promise.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return future.get();
  }

  static Json on_demo(Json request) {
    request["ClusterIdentifier"] = "demo";
    request["Database"] = "dev";
    return request;
  }

  // ExecuteStatement, then DescribeStatement until the statement ends.
  std::pair<std::string, Json> execute(const std::string& action, Json request) {
    Answer a = call(action, on_demo(std::move(request)));
    EXPECT_FALSE(a.error) << a.code() << ": " << a.message();
    const std::string id = a.response.value("Id", "");
    return {id, wait_final(id)};
  }

  Json wait_final(const std::string& id) {
    for (int i = 0; i < 3000; ++i) {
      Answer d = call("DescribeStatement", Json{{"Id", id}});
      if (d.error) {
        ADD_FAILURE() << d.message();
        return Json();
      }
      const std::string status = d.response["Status"];
      if (status == "FINISHED" || status == "FAILED" || status == "ABORTED") return d.response;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "statement " << id << " did not end";
    return Json();
  }

  void write_script(const std::string& name, const std::string& text) {
    fs::create_directories((dir_.path() / "scripts" / name).parent_path());
    std::ofstream(dir_.path() / "scripts" / name, std::ios::binary) << text;
  }

  TempDir dir_;
  SqlTargets targets_;
  SystemClock clock_;
  RandomIdSource ids_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<SqliteExecutor> executor_;
  std::unique_ptr<RedshiftDataService> service_;
  int64_t last_task_seq_ = 0;
};

TEST_F(RedshiftDataTest, ExecuteDescribeAndPageThroughTheResult) {
  Answer a = call("ExecuteStatement", on_demo(Json{{"Sql",
                                                    "CREATE TABLE t (n INTEGER, s TEXT, "
                                                    "r REAL, b BLOB)"},
                                                   {"StatementName", "make"}}));
  ASSERT_FALSE(a.error) << a.message();
  EXPECT_EQ(a.response["ClusterIdentifier"], "demo");
  EXPECT_EQ(a.response["Database"], "dev");
  EXPECT_TRUE(a.response["CreatedAt"].is_number());
  EXPECT_FALSE(a.response.contains("WorkgroupName"));
  Json d = wait_final(a.response["Id"]);
  EXPECT_EQ(d["Status"], "FINISHED");
  EXPECT_EQ(d["ResultRows"], -1);
  EXPECT_EQ(d["HasResultSet"], false);
  EXPECT_EQ(d["QueryString"], "CREATE TABLE t (n INTEGER, s TEXT, r REAL, b BLOB)");
  EXPECT_GE(d["Duration"].get<int64_t>(), 0);

  auto [insert_id, inserted] = execute(
      "ExecuteStatement",
      Json{{"Sql",
            "INSERT INTO t WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE "
            "n < 2500) SELECT n, 'row ' || n, n / 2.0, CASE WHEN n = 1 THEN x'0102' END FROM c"}});
  EXPECT_EQ(inserted["Status"], "FINISHED") << inserted.dump();
  EXPECT_EQ(inserted["ResultRows"], 2500);
  Answer no_result = call("GetStatementResult", Json{{"Id", insert_id}});
  EXPECT_EQ(no_result.code(), "ResourceNotFoundException");

  auto [id, described] =
      execute("ExecuteStatement", Json{{"Sql", "SELECT n, s, r, b FROM t ORDER BY n"}});
  EXPECT_EQ(described["ResultRows"], 2500);
  EXPECT_EQ(described["HasResultSet"], true);
  EXPECT_GT(described["ResultSize"].get<int64_t>(), 0);

  Answer page = call("GetStatementResult", Json{{"Id", id}});
  ASSERT_FALSE(page.error) << page.message();
  EXPECT_EQ(page.response["TotalNumRows"], 2500);
  ASSERT_EQ(page.response["Records"].size(), 1000u);
  EXPECT_EQ(page.response["Records"][0],
            Json::parse(R"([{"longValue":1},{"stringValue":"row 1"},{"doubleValue":0.5},
                            {"blobValue":"AQI="}])"));
  EXPECT_EQ(page.response["Records"][1][3], Json::parse(R"({"isNull":true})"));
  EXPECT_EQ(page.response["ColumnMetadata"][1]["name"], "s");
  EXPECT_EQ(page.response["ColumnMetadata"][1]["typeName"], "text");
  size_t seen = page.response["Records"].size();
  int64_t last = page.response["Records"].back()[0]["longValue"];
  while (page.response.contains("NextToken")) {
    page = call("GetStatementResult", Json{{"Id", id}, {"NextToken", page.response["NextToken"]}});
    ASSERT_FALSE(page.error) << page.message();
    EXPECT_EQ(page.response["Records"][0][0]["longValue"], last + 1);
    last = page.response["Records"].back()[0]["longValue"];
    seen += page.response["Records"].size();
  }
  EXPECT_EQ(seen, 2500u);
  EXPECT_EQ(call("GetStatementResult", Json{{"Id", id}, {"NextToken", "garbage"}}).code(),
            "ValidationException");
  EXPECT_EQ(call("DescribeStatement", Json{{"Id", "00000000-0000-4000-8000-000000000000"}}).code(),
            "ResourceNotFoundException");
}

TEST_F(RedshiftDataTest, SmallPagesAreCutByBytes) {
  RedshiftDataService::Options options;
  options.page_max_bytes = 200;
  reopen(options);
  auto [id, d] =
      execute("ExecuteStatement", Json{{"Sql",
                                        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                                        "FROM c WHERE n < 50) SELECT n FROM c"}});
  Answer page = call("GetStatementResult", Json{{"Id", id}});
  ASSERT_FALSE(page.error);
  EXPECT_LT(page.response["Records"].size(), 50u);
  EXPECT_GT(page.response["Records"].size(), 1u);
  EXPECT_TRUE(page.response.contains("NextToken"));
}

TEST_F(RedshiftDataTest, ABatchIsOneTransactionAndNamesTheFailingStatement) {
  execute("ExecuteStatement", Json{{"Sql", "CREATE TABLE t (id INTEGER PRIMARY KEY)"}});
  auto [id, d] = execute("BatchExecuteStatement",
                         Json{{"Sqls",
                               {"INSERT INTO t VALUES (1)", "INSERT INTO missing VALUES (2)",
                                "INSERT INTO t VALUES (3)"}}});
  EXPECT_EQ(d["Status"], "FAILED");
  EXPECT_NE(d["Error"].get<std::string>().find("statement 2 of 3"), std::string::npos)
      << d["Error"];
  EXPECT_NE(d["Error"].get<std::string>().find("no such table: missing"), std::string::npos);
  ASSERT_EQ(d["SubStatements"].size(), 3u);
  EXPECT_EQ(d["SubStatements"][0]["Id"], id + ":1");
  EXPECT_EQ(d["SubStatements"][0]["Status"], "FINISHED");
  EXPECT_EQ(d["SubStatements"][1]["Status"], "FAILED");
  EXPECT_EQ(d["SubStatements"][2]["Status"], "ABORTED");
  EXPECT_FALSE(d.contains("QueryString"));

  auto [count_id, counted] = execute("ExecuteStatement", Json{{"Sql", "SELECT count(*) FROM t"}});
  Answer r = call("GetStatementResult", Json{{"Id", count_id}});
  EXPECT_EQ(r.response["Records"][0][0]["longValue"], 0) << "the first insert was rolled back";

  // A successful batch: each sub-statement's result by its own id; the parent id is refused.
  auto [ok_id, ok] = execute("BatchExecuteStatement",
                             Json{{"Sqls", {"INSERT INTO t VALUES (5)", "SELECT id FROM t"}}});
  EXPECT_EQ(ok["Status"], "FINISHED");
  EXPECT_EQ(call("GetStatementResult", Json{{"Id", ok_id}}).code(), "ValidationException");
  Answer sub = call("GetStatementResult", Json{{"Id", ok_id + ":2"}});
  ASSERT_FALSE(sub.error) << sub.message();
  EXPECT_EQ(sub.response["Records"], Json::parse(R"([[{"longValue":5}]])"));
  Answer described_sub = call("DescribeStatement", Json{{"Id", ok_id + ":1"}});
  EXPECT_EQ(described_sub.response["ResultRows"], 1);
  EXPECT_EQ(call("GetStatementResult", Json{{"Id", ok_id + ":9"}}).code(),
            "ResourceNotFoundException");
}

TEST_F(RedshiftDataTest, SqlFilesRunWholeAndCannotEscapeTheScriptsDir) {
  write_script("etl/load.sql", R"(-- a script with every trap the splitter knows
CREATE TABLE notes (id INTEGER, body TEXT);
/* a block comment; with a semicolon */
INSERT INTO notes VALUES (1, 'semi;colon and ''quotes''');
INSERT INTO notes VALUES (2, 'dollar $$ sign; -- not a comment');
CREATE TRIGGER keep AFTER INSERT ON notes BEGIN SELECT 1; END;
)");
  // The trigger body splits at its inner semicolon (see statement_splitter.h), so this file
  // fails on the fourth statement and, being one transaction, leaves nothing behind.
  auto [bad_id, bad] = execute("ExecuteStatement", Json{{"SqlFile", "etl/load.sql"}});
  EXPECT_EQ(bad["Status"], "FAILED");
  const std::string error = bad["Error"];
  EXPECT_NE(error.find("statement 4 of 5 (etl/load.sql line 6)"), std::string::npos) << error;

  write_script("etl/good.sql", R"(CREATE TABLE notes (id INTEGER, body TEXT);
/* a block comment; with a semicolon */
INSERT INTO notes VALUES (1, 'semi;colon and ''quotes''');
-- a comment; with one too
INSERT INTO notes VALUES (2, 'dollar $$ sign; -- not a comment');
SELECT body FROM notes ORDER BY id
)");
  auto [id, d] = execute("ExecuteStatement", Json{{"SqlFile", "etl/good.sql"}});
  EXPECT_EQ(d["Status"], "FINISHED") << d.dump();
  EXPECT_EQ(d["SubStatements"].size(), 4u);
  Answer r = call("GetStatementResult", Json{{"Id", id + ":4"}});
  EXPECT_EQ(r.response["Records"], Json::parse(R"([[{"stringValue":"semi;colon and 'quotes'"}],
                            [{"stringValue":"dollar $$ sign; -- not a comment"}]])"));

  Answer escape = call("ExecuteStatement", on_demo(Json{{"SqlFile", "../stepd.db"}}));
  EXPECT_EQ(escape.code(), "ValidationException");
  EXPECT_EQ(call("ExecuteStatement", on_demo(Json{{"SqlFile", "/etc/passwd"}})).code(),
            "ValidationException");
  EXPECT_EQ(
      call("ExecuteStatement", on_demo(Json{{"SqlFile", "etl/good.sql"}, {"Sql", "SELECT 1"}}))
          .code(),
      "ValidationException");
}

TEST_F(RedshiftDataTest, ParametersAreDataNotSql) {
  execute("ExecuteStatement", Json{{"Sql", "CREATE TABLE t (id INTEGER, name TEXT)"}});
  const std::string nasty = "o'brien'); DROP TABLE t; --";
  auto [id, d] =
      execute("ExecuteStatement",
              Json{{"Sql", "INSERT INTO t VALUES (:id, :name)"},
                   {"Parameters",
                    {{{"name", "id"}, {"value", "3"}}, {{"name", "name"}, {"value", nasty}}}}});
  EXPECT_EQ(d["Status"], "FINISHED") << d.dump();
  EXPECT_EQ(d["QueryString"], "INSERT INTO t VALUES (:id, :name)");
  EXPECT_EQ(d["QueryParameters"][1]["value"], nasty);
  auto [sid, s] =
      execute("ExecuteStatement", Json{{"Sql", "SELECT name FROM t WHERE id = :id"},
                                       {"Parameters", {{{"name", "id"}, {"value", "3"}}}}});
  Answer r = call("GetStatementResult", Json{{"Id", sid}});
  EXPECT_EQ(r.response["Records"][0][0]["stringValue"], nasty);
  EXPECT_EQ(call("BatchExecuteStatement",
                 on_demo(Json{{"Sqls", {"SELECT :a"}},
                              {"Parameters", {{{"name", "a"}, {"value", "1"}}}}}))
                .code(),
            "ValidationException");
}

TEST_F(RedshiftDataTest, RequestsStepdCannotServeAreRefusedClearly) {
  EXPECT_EQ(
      call("ExecuteStatement", on_demo(Json{{"Sql", "SELECT 1"}, {"ResultFormat", "CSV"}})).code(),
      "ValidationException");
  EXPECT_EQ(
      call("ExecuteStatement", on_demo(Json{{"Sql", "SELECT 1"}, {"SessionKeepAliveSeconds", 60}}))
          .code(),
      "ValidationException");
  Answer unknown =
      call("ExecuteStatement", Json{{"Sql", "SELECT 1"}, {"ClusterIdentifier", "nope"}});
  EXPECT_EQ(unknown.code(), "ValidationException");
  EXPECT_NE(unknown.message().find("nope"), std::string::npos) << unknown.message();
  EXPECT_EQ(call("BatchExecuteStatement", on_demo(Json{{"Sqls", Json::array()}})).code(),
            "ValidationException");
  EXPECT_EQ(call("ExecuteStatement",
                 on_demo(Json{{"Sql", "SELECT 1"}, {"StatementName", std::string(2049, 'x')}}))
                .code(),
            "ValidationException");
  EXPECT_EQ(call("ExecuteStatement", on_demo(Json::object())).code(), "ValidationException");
}

TEST_F(RedshiftDataTest, RunSyncRepliesWhenFinishedWithOrWithoutTheResult) {
  Answer with = sync("ExecuteStatement", on_demo(Json{{"Sql", "SELECT 1 AS one, 'x' AS two"}}));
  ASSERT_FALSE(with.error) << with.message();
  EXPECT_EQ(with.response["Status"], "FINISHED");
  EXPECT_EQ(with.response["TotalNumRows"], 1);
  EXPECT_EQ(with.response["Records"], Json::parse(R"([[{"longValue":1},{"stringValue":"x"}]])"));
  EXPECT_EQ(with.response["ColumnMetadata"][0]["name"], "one");

  Answer without = sync("ExecuteStatement", on_demo(Json{{"Sql", "SELECT 1"}}), {}, 0, false);
  ASSERT_FALSE(without.error);
  EXPECT_EQ(without.response["Status"], "FINISHED");
  EXPECT_FALSE(without.response.contains("Records"));
  EXPECT_EQ(without.response["ResultRows"], 1);

  Answer failed =
      sync("BatchExecuteStatement", on_demo(Json{{"Sqls", {"SELECT 1", "SELECT * FROM missing"}}}));
  EXPECT_EQ(failed.code(), "BatchExecuteStatementException");
  EXPECT_NE(failed.message().find("statement 2 of 2"), std::string::npos) << failed.message();
  Answer single = sync("ExecuteStatement", on_demo(Json{{"Sql", "SELECT * FROM missing"}}));
  EXPECT_EQ(single.code(), "ExecuteStatementException");
  EXPECT_NE(single.message().find("no such table"), std::string::npos);

  // The statement row records its owner.
  Json listed = call("ListStatements", Json::object()).response;
  const std::string id = listed["Statements"][0]["Id"];
  EXPECT_EQ(store_->get_sql_statement(id)->execution_id, 7);
}

TEST_F(RedshiftDataTest, AStepDispatchedAgainAnswersFromTheStatementItAlreadyRan) {
  // After a crash the engine hands the same task attempt over again; its SQL must not run twice.
  execute("ExecuteStatement", Json{{"Sql", "CREATE TABLE once (v INTEGER)"}});
  const StatementOwner step{8, 1};
  Answer first =
      sync("ExecuteStatement", on_demo(Json{{"Sql", "INSERT INTO once VALUES (1)"}}), step);
  ASSERT_FALSE(first.error) << first.message();
  Answer again =
      sync("ExecuteStatement", on_demo(Json{{"Sql", "INSERT INTO once VALUES (1)"}}), step);
  ASSERT_FALSE(again.error) << again.message();
  EXPECT_EQ(again.response["Id"], first.response["Id"]);
  Answer count = sync("ExecuteStatement", on_demo(Json{{"Sql", "SELECT count(*) FROM once"}}));
  EXPECT_EQ(count.response["Records"][0][0]["longValue"], 1);

  // A failure is answered again as a failure, with the stored cause.
  const StatementOwner failing{8, 2};
  Answer failed =
      sync("ExecuteStatement", on_demo(Json{{"Sql", "SELECT * FROM missing"}}), failing);
  Answer failed_again = sync("ExecuteStatement", on_demo(Json{{"Sql", "SELECT 1"}}), failing);
  EXPECT_EQ(failed_again.code(), "ExecuteStatementException");
  EXPECT_EQ(failed_again.message(), failed.message());

  // The aws-sdk form gets the Id it was given the first time.
  std::promise<Answer> p1, p2;
  auto keep = [](std::promise<Answer>& p) {
    return [&p](Json response, std::optional<ApiError> error) {
      p.set_value(Answer{std::move(response), std::move(error)});
    };
  };
  service_->call("ExecuteStatement", on_demo(Json{{"Sql", "SELECT 2"}}), keep(p1), {8, 3});
  const Json id = p1.get_future().get().response["Id"];
  service_->call("ExecuteStatement", on_demo(Json{{"Sql", "SELECT 2"}}), keep(p2), {8, 3});
  EXPECT_EQ(p2.get_future().get().response["Id"], id);
}

TEST_F(RedshiftDataTest, AResultTooBigForTheTaskIsDataLimitExceeded) {
  Answer a = sync("ExecuteStatement",
                  on_demo(Json{{"Sql",
                                "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                                "FROM c WHERE n < 1000) SELECT n, 'some text' FROM c"}}),
                  {}, 0, true, 10 * 1024);
  EXPECT_EQ(a.code(), "DataLimitExceeded");
  EXPECT_NE(a.message().find("UNLOAD"), std::string::npos);
  EXPECT_NE(a.message().find("GetStatementResult"), std::string::npos);
}

TEST_F(RedshiftDataTest, AResultOverTheStoredLimitFailsTheStatement) {
  RedshiftDataService::Options options;
  options.max_stored_result_bytes = 1000;
  reopen(options);
  auto [id, d] =
      execute("ExecuteStatement", Json{{"Sql",
                                        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 "
                                        "FROM c WHERE n < 1000) SELECT n FROM c"}});
  EXPECT_EQ(d["Status"], "FAILED");
  EXPECT_NE(d["Error"].get<std::string>().find("UNLOAD"), std::string::npos) << d["Error"];
}

TEST_F(RedshiftDataTest, ATimeoutIsQueryTimeoutException) {
  Answer a = sync("ExecuteStatement", on_demo(Json{{"Sql", kEndless}}), {7, 1}, 100);
  EXPECT_EQ(a.code(), "QueryTimeoutException");
  EXPECT_NE(a.message().find("57014"), std::string::npos) << a.message();
}

TEST_F(RedshiftDataTest, CancelOwnedAbortsTheTasksStatements) {
  std::promise<Answer> promise;
  service_->run_sync("ExecuteStatement", on_demo(Json{{"Sql", kEndless}}), StatementOwner{9, 4}, 0,
                     false, 1024, [&promise](Json response, std::optional<ApiError> error) {
                       promise.set_value(Answer{std::move(response), std::move(error)});
                     });
  for (int i = 0; i < 1000 && executor_->stats().busy == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  service_->cancel_owned(StatementOwner{9, 3});  // another task: nothing happens
  auto future = promise.get_future();
  EXPECT_EQ(future.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  service_->cancel_owned(StatementOwner{9, 4});
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Answer a = future.get();
  EXPECT_EQ(a.code(), "StatementAborted");
  EXPECT_EQ(service_->running_count(), 0u);
}

TEST_F(RedshiftDataTest, CancelStatementAbortsRunningAndRefusesFinished) {
  Answer started = call("ExecuteStatement", on_demo(Json{{"Sql", kEndless}}));
  const std::string id = started.response["Id"];
  for (int i = 0; i < 1000 && executor_->stats().busy == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Answer cancelled = call("CancelStatement", Json{{"Id", id}});
  ASSERT_FALSE(cancelled.error) << cancelled.message();
  EXPECT_EQ(cancelled.response, Json::parse(R"({"Status":true})"));
  EXPECT_EQ(wait_final(id)["Status"], "ABORTED");

  auto [done_id, done] = execute("ExecuteStatement", Json{{"Sql", "SELECT 1"}});
  Answer refused = call("CancelStatement", Json{{"Id", done_id}});
  EXPECT_EQ(refused.code(), "ValidationException");
  EXPECT_EQ(refused.message(), "Could not cancel a query that is already in FINISHED state.");
  EXPECT_EQ(call("CancelStatement", Json{{"Id", "00000000-0000-4000-8000-000000000000"}}).code(),
            "ResourceNotFoundException");
}

TEST_F(RedshiftDataTest, ListStatementsFiltersAndPages) {
  execute("ExecuteStatement", Json{{"Sql", "SELECT 1"}, {"StatementName", "nightly-a"}});
  execute("ExecuteStatement",
          Json{{"Sql", "SELECT * FROM missing"}, {"StatementName", "nightly-b"}});
  execute("BatchExecuteStatement",
          Json{{"Sqls", {"SELECT 1", "SELECT 2"}}, {"StatementName", "adhoc"}});

  Answer all = call("ListStatements", Json::object());
  ASSERT_FALSE(all.error) << all.message();
  ASSERT_EQ(all.response["Statements"].size(), 3u);
  EXPECT_EQ(all.response["Statements"][0]["StatementName"], "adhoc") << "newest first";
  EXPECT_EQ(all.response["Statements"][0]["IsBatchStatement"], true);
  EXPECT_EQ(all.response["Statements"][0]["QueryStrings"],
            Json::parse(R"(["SELECT 1","SELECT 2"])"));
  EXPECT_EQ(all.response["Statements"][2]["QueryString"], "SELECT 1");
  EXPECT_FALSE(all.response.contains("NextToken"));

  Answer nightly = call("ListStatements", Json{{"StatementName", "nightly"}});
  EXPECT_EQ(nightly.response["Statements"].size(), 2u);
  Answer failed = call("ListStatements", Json{{"Status", "FAILED"}});
  ASSERT_EQ(failed.response["Statements"].size(), 1u);
  EXPECT_EQ(failed.response["Statements"][0]["StatementName"], "nightly-b");
  EXPECT_EQ(call("ListStatements", Json{{"Status", "ALL"}}).response["Statements"].size(), 3u);
  EXPECT_EQ(call("ListStatements", Json{{"Database", "other"}}).response["Statements"].size(), 0u);
  EXPECT_EQ(call("ListStatements", Json{{"Status", "DONE"}}).code(), "ValidationException");
  EXPECT_EQ(call("ListStatements", Json{{"MaxResults", 101}}).code(), "ValidationException");

  Answer first = call("ListStatements", Json{{"MaxResults", 2}, {"RoleLevel", true}});
  ASSERT_EQ(first.response["Statements"].size(), 2u);
  ASSERT_TRUE(first.response.contains("NextToken"));
  Answer second =
      call("ListStatements", Json{{"MaxResults", 2}, {"NextToken", first.response["NextToken"]}});
  ASSERT_EQ(second.response["Statements"].size(), 1u);
  EXPECT_EQ(second.response["Statements"][0]["StatementName"], "nightly-a");
  EXPECT_EQ(call("ListStatements", Json{{"NextToken", "bogus"}}).code(), "ValidationException");
}

TEST_F(RedshiftDataTest, RecoverFailsStatementsThatWereRunning) {
  store::SqlStatementRecord r;
  r.id = "11111111-1111-4111-8111-111111111111";
  r.status = "STARTED";
  r.target = "demo";
  r.query_string = "SELECT 1";
  store_->put_sql_statement(r);
  service_->recover();
  Json d = call("DescribeStatement", Json{{"Id", r.id}}).response;
  EXPECT_EQ(d["Status"], "FAILED");
  EXPECT_NE(d["Error"].get<std::string>().find("stepd stopped while the statement was running"),
            std::string::npos);
  EXPECT_TRUE(store_->unfinished_sql_statements().empty());
}

TEST_F(RedshiftDataTest, StatementsAndResultsSurviveARestart) {
  auto [id, d] = execute("ExecuteStatement", Json{{"Sql", "SELECT 'kept' AS v"}});
  ASSERT_EQ(d["Status"], "FINISHED");
  reopen();
  service_->recover();
  Json again = call("DescribeStatement", Json{{"Id", id}}).response;
  EXPECT_EQ(again["Status"], "FINISHED");
  EXPECT_EQ(again["QueryString"], "SELECT 'kept' AS v");
  Answer r = call("GetStatementResult", Json{{"Id", id}});
  ASSERT_FALSE(r.error) << r.message();
  EXPECT_EQ(r.response["Records"], Json::parse(R"([[{"stringValue":"kept"}]])"));
}

}  // namespace
}  // namespace stepd::sql

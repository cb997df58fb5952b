// How the Data API's answers become engine events (the runner itself runs in the SQL
// integration tests, against a real PostgreSQL).
#include "core/tasks/sql_task_runner.h"

#include <gtest/gtest.h>

namespace stepd::tasks {
namespace {

TEST(SqlResultEvent, AnAnswerIsTheStepOutput) {
  engine::EngineEvent e = sql_result_event(3, Json{{"Id", "x"}, {"Status", "FINISHED"}}, {});
  EXPECT_EQ(e.kind, engine::EngineEvent::Kind::kSqlResult);
  EXPECT_EQ(e.task_seq, 3);
  EXPECT_EQ(e.payload, Json::parse(R"({"Output":{"Id":"x","Status":"FINISHED"}})"));
}

TEST(SqlResultEvent, DataApiErrorsAreNamedAsAwsNamesAwsSdkErrors) {
  engine::EngineEvent e =
      sql_result_event(1, Json(), ApiError("ExecuteStatementException", "relation t (42P01)"));
  EXPECT_EQ(e.payload["Error"], "RedshiftData.ExecuteStatementException");
  EXPECT_EQ(e.payload["Cause"], "relation t (42P01)");
}

TEST(SqlResultEvent, AnAnswerTooBigForAStepIsDataLimitExceeded) {
  engine::EngineEvent e = sql_result_event(1, Json(), ApiError("DataLimitExceeded", "use UNLOAD"));
  EXPECT_EQ(e.payload["Error"], "States.DataLimitExceeded");
  EXPECT_EQ(e.payload["Cause"], "use UNLOAD");
}

}  // namespace
}  // namespace stepd::tasks

// not_redrivable_reason: the one rule behind redriveStatus and RedriveExecution.
#include "core/engine/redrive_rules.h"

#include <gtest/gtest.h>

namespace stepd::engine {
namespace {

constexpr int64_t kStart = 1700000000000;
constexpr int64_t kStop = kStart + 60000;
constexpr int64_t kLimit = 25000;

store::ExecutionRecord closed(const std::string& status) {
  store::ExecutionRecord e;
  e.status = status;
  e.start_ms = kStart;
  e.stop_ms = kStop;
  e.event_count = 10;
  return e;
}

TEST(RedriveRules, FailedTimedOutAndAbortedExecutionsAreRedrivable) {
  for (const char* status : {"FAILED", "TIMED_OUT", "ABORTED"}) {
    EXPECT_EQ(not_redrivable_reason(closed(status), kStop + 1000, kLimit), std::nullopt) << status;
  }
}

TEST(RedriveRules, OtherStatusesAreNamedInTheReason) {
  EXPECT_EQ(not_redrivable_reason(closed("RUNNING"), kStop, kLimit),
            "Execution is RUNNING and cannot be redriven");
  EXPECT_EQ(not_redrivable_reason(closed("SUCCEEDED"), kStop, kLimit),
            "Execution is SUCCEEDED and cannot be redriven");
  EXPECT_EQ(not_redrivable_reason(closed("PENDING_REDRIVE"), kStop, kLimit),
            "Execution is PENDING_REDRIVE and cannot be redriven");
  // The status decides before the age: an old success is refused for being a success.
  EXPECT_EQ(not_redrivable_reason(closed("SUCCEEDED"), kStop + 2 * kRedrivePeriodMs, kLimit),
            "Execution is SUCCEEDED and cannot be redriven");
}

TEST(RedriveRules, FourteenDaysAfterTheStopTheWindowCloses) {
  const store::ExecutionRecord e = closed("FAILED");
  EXPECT_EQ(not_redrivable_reason(e, kStop + kRedrivePeriodMs - 1, kLimit), std::nullopt);
  EXPECT_EQ(not_redrivable_reason(e, kStop + kRedrivePeriodMs, kLimit),
            "Execution redrivable period exceeded");
  EXPECT_EQ(kRedrivePeriodMs, 14 * 86400000LL);
}

TEST(RedriveRules, AnExecutionStartedOverAYearAgoIsPastItsMaximumTime) {
  store::ExecutionRecord e = closed("TIMED_OUT");
  e.stop_ms = kStart + kMaxExecutionMs - 1000;  // ran for almost a year, stopped a second ago
  EXPECT_EQ(not_redrivable_reason(e, kStart + kMaxExecutionMs - 1, kLimit), std::nullopt);
  EXPECT_EQ(not_redrivable_reason(e, kStart + kMaxExecutionMs, kLimit),
            "Execution has exceeded the max execution time");
}

TEST(RedriveRules, TheHistoryMustHaveRoomForTheRedriveAndOneMoreEvent) {
  store::ExecutionRecord e = closed("FAILED");
  e.event_count = kLimit - 2;  // 24998: ExecutionRedriven makes 24999, one more fits
  EXPECT_EQ(not_redrivable_reason(e, kStop, kLimit), std::nullopt);
  e.event_count = kLimit - 1;
  EXPECT_EQ(not_redrivable_reason(e, kStop, kLimit), "Execution history event limit exceeded");
  e.event_count = kLimit;
  EXPECT_EQ(not_redrivable_reason(e, kStop, kLimit), "Execution history event limit exceeded");
  // The limit is the engine's option, not a constant.
  e.event_count = 98;
  EXPECT_EQ(not_redrivable_reason(e, kStop, 100), std::nullopt);
  EXPECT_EQ(not_redrivable_reason(e, kStop, 99), "Execution history event limit exceeded");
}

}  // namespace
}  // namespace stepd::engine

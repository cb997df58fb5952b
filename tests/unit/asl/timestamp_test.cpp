#include "core/asl/timestamp.h"

#include <gtest/gtest.h>

namespace stepd::asl {
namespace {

TEST(Timestamp, ParsesUtcAndOffsets) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("2016-08-18T17:33:00Z"), 1471541580000);
  EXPECT_EQ(parse_rfc3339_ms("2016-08-18T19:33:00+02:00"), 1471541580000);
  EXPECT_EQ(parse_rfc3339_ms("2016-08-18T17:03:00-00:30"), 1471541580000);
  EXPECT_EQ(parse_rfc3339_ms("2016-08-18T17:33:00.5Z"), 1471541580500);
  EXPECT_EQ(parse_rfc3339_ms("2016-08-18T17:33:00.123456789Z"), 1471541580123);
  EXPECT_EQ(parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(Timestamp, RejectsWhatAwsRejects) {
  // The definition_validation cases: bad month, bad hour, no 'T', no zone.
  EXPECT_FALSE(parse_rfc3339_ms("2016-13-05T21:29:29Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2016-12-05T25:29:29Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2016-12-05 21:29:29Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2016-12-05T21:29:29"));
  EXPECT_FALSE(parse_rfc3339_ms("{% '2016-03-14T01:59:00Z' %}"));
  EXPECT_FALSE(parse_rfc3339_ms("2023-02-24"));
  EXPECT_FALSE(parse_rfc3339_ms("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2023-04-31T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2023-01-01T00:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2023-01-01T00:00:00+0100"));
  EXPECT_FALSE(parse_rfc3339_ms("2023-01-01T00:00:00Zjunk"));
  EXPECT_FALSE(parse_rfc3339_ms(""));
  EXPECT_FALSE(parse_rfc3339_ms(" 2023-01-01T00:00:00Z"));
}

TEST(Timestamp, FormatsWithMillisecondsInUtc) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(1471541580123), "2016-08-18T17:33:00.123Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Timestamp, RoundTrips) {
  for (int64_t ms :
       {int64_t{0}, int64_t{951782400000}, int64_t{4102444799999}, int64_t{-86400001}}) {
    EXPECT_EQ(parse_rfc3339_ms(format_rfc3339(ms)), ms) << ms;
  }
}

}  // namespace
}  // namespace stepd::asl

// $fromMillis / $toMillis / $now with XPath F&O picture strings and time zones. Expected values
// are those JSONata 2.0 gives (its documentation and test suite), except where a comment says
// where and why stepd differs.
#include <gtest/gtest.h>

#include "core/jsonata/jsonata.h"
#include "tests/unit/jsonata/eval_helpers.h"

namespace stepd::jsonata {
namespace {

using namespace testing;  // NOLINT: the shared helpers

constexpr int64_t kFri20180323 = 1521801216617;  // 2018-03-23T10:33:36.617Z, a Friday

Options at(int64_t now_ms) {
  Options o;
  o.now_ms = [now_ms] { return now_ms; };
  return o;
}

std::string format(std::string_view picture, int64_t ms = kFri20180323,
                   std::string_view zone = "") {
  std::string expr = "$fromMillis(" + std::to_string(ms) + ", '" + std::string(picture) + "'";
  if (!zone.empty()) expr += ", '" + std::string(zone) + "'";
  return eval(expr + ")").get<std::string>();
}

TEST(JsonataDatePictures, LiteralsAndBrackets) {
  EXPECT_EQ(format("Hello"), "Hello");
  EXPECT_EQ(format("Year: <[Y0001]>"), "Year: <2018>");
  EXPECT_EQ(format("[[Year: <[Y0001]>"), "[Year: <2018>");
  EXPECT_EQ(format("Year]]: <[Y0001]>"), "Year]: <2018>");
  EXPECT_EQ(format("[[Year]]: [[[Y0001]]]"), "[Year]: [2018]");
  // Whitespace inside a marker does not count.
  EXPECT_EQ(format("[Y]-[ M01]-[D 01]T[H01 ]:[ m   ]:[s].[f0  01][Z01:\n 01t]"),
            "2018-03-23T10:33:36.617Z");
  EXPECT_EQ(error_code("$fromMillis(0, '[Y]-[M')"), "D3135");
  EXPECT_EQ(error_code("$fromMillis(0, '[q]')"), "D3132");
  EXPECT_EQ(error_code("$fromMillis(0, '[YN]')"), "D3133");
  // A picture of thousands of markers is refused before any work is done on it.
  EXPECT_EQ(error_code("$toMillis('x', $join([1..300].('[Yw]')))"), "U1003");
  EXPECT_EQ(error_code("$fromMillis(0, $join([1..300].('[Y]')))"), "U1003");
}

TEST(JsonataDatePictures, NumbersNamesAndWidths) {
  EXPECT_EQ(format("[Y0001]-[M01]-[D01]"), "2018-03-23");
  EXPECT_EQ(format("[D#1]/[M#1]/[Y0001]"), "23/3/2018");
  EXPECT_EQ(format("[M01]/[D01]/[Y0001] at [H01]:[m01]:[s01]"), "03/23/2018 at 10:33:36");
  EXPECT_EQ(format("Year: <[Y9,999,*]>"), "Year: <2,018>");
  EXPECT_EQ(format("[D#1,2]/[M1,2]/[Y,2]"), "23/03/18");
  EXPECT_EQ(format("[D#1,2]/[M1,2]/[Y0001,2]"), "23/03/2018");
  EXPECT_EQ(format("[D#1,2]/[M1,2]/[Y##01,2-2]"), "23/03/18");
  EXPECT_EQ(format("[D1] [M01] [YI]"), "23 03 MMXVIII");
  EXPECT_EQ(format("[Da] [MA] [Yi]"), "w C mmxviii");
  EXPECT_EQ(format("[D1o] [M01] [Y]"), "23rd 03 2018");
  EXPECT_EQ(format("[Yw]"), "two thousand and eighteen");
  EXPECT_EQ(format("[Dwo] [M01] [Y]"), "twenty-third 03 2018");
  EXPECT_EQ(format("[D1o] [MNn] [Y]"), "23rd March 2018");
  EXPECT_EQ(format("[D1o] [MN] [Y]"), "23rd MARCH 2018");
  EXPECT_EQ(format("[FNn], the [Dwo] of [MNn] [Y] [E]"),
            "Friday, the twenty-third of March 2018 ISO");
  EXPECT_EQ(format("[FNn,3-3], [D1o] [MNn,3-3] [Y] [C]"), "Fri, 23rd Mar 2018 ISO");
  EXPECT_EQ(format("[F], [D]/[M]/[Y] [h]:[m]:[s] [P]"), "friday, 23/3/2018 10:33:36 am");
  EXPECT_EQ(format("[F], [D]/[M]/[Y] [h]:[m]:[s] [P]", 1204405500000),
            "saturday, 1/3/2008 9:05:00 pm");
  EXPECT_EQ(format("[h]:[m] [PN]", 1199664000000), "12:00 AM");  // midnight is 12 am
  EXPECT_EQ(format("[F0] [FNn]", 1522616700000), "7 Sunday");    // ISO: Monday 1 … Sunday 7
  EXPECT_EQ(format("[F0] [FNn]", 1522703100000), "1 Monday");
  EXPECT_EQ(format("[H01]:[m01]:[s01]", -1), "23:59:59");  // before 1970 too
}

TEST(JsonataDatePictures, FractionalSeconds) {
  EXPECT_EQ(format("[s].[f001]"), "36.617");
  // F&O formats the fraction, not a count of milliseconds: two digits are hundredths and a
  // single 1 takes as many digits as it needs. (jsonata-js prints the millisecond count, so
  // its [f01] gives 617 and its [f1] gives 5 for 5 ms; those read back wrong.)
  EXPECT_EQ(format("[f01]"), "61");
  EXPECT_EQ(format("[f1]", 1500), "5");
  EXPECT_EQ(format("[f1]", 1005), "005");
  EXPECT_EQ(format("[f0001]"), "6170");
}

TEST(JsonataDatePictures, DayAndWeekNumbers) {
  EXPECT_EQ(format("[dwo] day of the year", 1514808000000), "first day of the year");
  EXPECT_EQ(format("[d] days in [Y0001]", 1546257600000), "365 days in 2018");
  EXPECT_EQ(format("[d] days in [Y0001]", 1483185600000), "366 days in 2016");
  // ISO 8601 weeks: week 1 holds the year's first Thursday.
  EXPECT_EQ(format("[W]", 1514808000000), "1");            // Mon 1 Jan 2018
  EXPECT_EQ(format("[W]", 1515326400000), "1");            // Sun 7 Jan 2018
  EXPECT_EQ(format("[W]", 1545739200000), "52");           // Tue 25 Dec 2018
  EXPECT_EQ(format("[W]", 1419854400000), "1");            // Mon 29 Dec 2014 is in 2015's week 1
  EXPECT_EQ(format("[W] [X]", 1419768000000), "52 2014");  // Sun 28 Dec 2014
  EXPECT_EQ(format("[W] [X]", 1451304000000), "53 2015");  // Mon 28 Dec 2015
  EXPECT_EQ(format("[W] [X] [Y]", 1451736000000), "53 2015 2016");  // Sat 2 Jan 2016
  EXPECT_EQ(format("[W]", 1420459200000), "2");                     // Mon 5 Jan 2015
  // Weeks of the month are counted the same way.
  EXPECT_EQ(format("Week: [w] of [xNn]", 1359460800000), "Week: 5 of January");   // Tue 29 Jan 2013
  EXPECT_EQ(format("Week: [w] of [xNn]", 1359720000000), "Week: 5 of January");   // Fri 1 Feb 2013
  EXPECT_EQ(format("Week: [w] of [xNn]", 1483272000000), "Week: 5 of December");  // Sun 1 Jan 2017
  EXPECT_EQ(format("Week: [w] of [xNn]", 1533038400000), "Week: 1 of August");    // Tue 31 Jul 2018
  EXPECT_EQ(format("Week: [w] of [xNn]", 1419940800000), "Week: 1 of January");   // Tue 30 Dec 2014
}

TEST(JsonataDatePictures, TimeZones) {
  EXPECT_EQ(format("[Y]-[M01]-[D01]T[H01]:[m]:[s].[f001][Z0101t]", kFri20180323, "+0100"),
            "2018-03-23T11:33:36.617+0100");
  EXPECT_EQ(format("[H01]:[m][Z01:01]", 1531310400000), "12:00+00:00");
  EXPECT_EQ(format("[H01]:[m][Z01:01t]", 1531310400000), "12:00Z");
  EXPECT_EQ(format("[H01]:[m][Z]", 1531310400000, "-0500"), "07:00-05:00");
  EXPECT_EQ(format("[H01]:[m][Z0]", 1531310400000, "-0500"), "07:00-5");
  EXPECT_EQ(format("[H01]:[m][Z0]", 1531310400000, "+1000"), "22:00+10");
  EXPECT_EQ(format("[H01]:[m][Z0]", 1531310400000, "+0530"), "17:30+5:30");
  EXPECT_EQ(format("[H01]:[m][z]", 1531310400000, "-0500"), "07:00GMT-05:00");
  // A negative offset that is not whole hours keeps its sign on the minutes too.
  EXPECT_EQ(format("[H01]:[m][Z]", 1531310400000, "-0930"), "02:30-09:30");
  EXPECT_EQ(format("[H01]:[m][Z0]", 1531310400000, "-0030"), "11:30-0:30");
  // Day and year boundaries move with the zone.
  EXPECT_EQ(format("[Y]-[M01]-[D01]T[H01]:[m]", 1204405500000, "+0530"), "2008-03-02T02:35");
  EXPECT_EQ(format("[Y]-[M01]-[D01]T[H01]:[m]", 1230757500000, "+0530"), "2009-01-01T02:35");
  EXPECT_EQ(error_code("$fromMillis(0, '[Z010101t]', '+0530')"), "D3134");
  EXPECT_EQ(error_code("$fromMillis(0, '[H]', 'Europe/Paris')"), "D3134");
  // Without a picture: ISO 8601, with the offset unless it is zero.
  EXPECT_EQ(eval("$toMillis('2018-10-21T13:05:00Z').[$fromMillis(), $fromMillis($, (), '-0500'), "
                 "$fromMillis($, (), '0000')]"),
            Json::parse(R"(["2018-10-21T13:05:00.000Z", "2018-10-21T08:05:00.000-05:00",
                            "2018-10-21T13:05:00.000Z"])"));
}

TEST(JsonataDatePictures, NowTakesAPictureAndZone) {
  const Options o = at(kFri20180323);
  EXPECT_EQ(eval("$now('[Y0001]-[M01]-[D01]')", nullptr, o), Json("2018-03-23"));
  EXPECT_EQ(eval("$now('[H01]:[m01] [z]', '+0200')", nullptr, o), Json("12:33 GMT+02:00"));
  EXPECT_EQ(eval("$now()", nullptr, o), Json("2018-03-23T10:33:36.617Z"));
}

TEST(JsonataDatePictures, ParsesWithPictures) {
  EXPECT_EQ(eval("$toMillis('2018', '[Y1]')"), Json(1514764800000));
  EXPECT_EQ(eval("$toMillis('2018-03-27', '[Y1]-[M01]-[D01]')"), Json(1522108800000));
  EXPECT_EQ(eval("$toMillis('2018-03-27T14:03:00.123Z', "
                 "'[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z')"),
            Json(1522159380123));
  EXPECT_EQ(eval("$toMillis('27th 3 1976', '[D1o] [M#1] [Y0001]')"), Json(196732800000));
  EXPECT_EQ(eval("$toMillis('21st 12 1881', '[D1o] [M01] [Y0001]')"), Json(-2777932800000));
  EXPECT_EQ(eval("$toMillis('MCMLXXXIV', '[YI]')"), Json(441763200000));
  EXPECT_EQ(eval("$toMillis('27 iii MMXVIII', '[D1] [Mi] [YI]')"), Json(1522108800000));
  EXPECT_EQ(eval("$toMillis('ae C mmxviii', '[Da] [MA] [Yi]')"), Json(1522454400000));
  EXPECT_EQ(eval("$toMillis('27th April 2008', '[D1o] [MNn] [Y0001]')"), Json(1209254400000));
  EXPECT_EQ(eval("$toMillis('2 Feb 2012', '[D1] [MNn,3-3] [Y0001]')"), Json(1328140800000));
  EXPECT_EQ(eval("$toMillis('2 FEB 2012', '[D1] [MNn,3-3] [Y0001]')"), Json(1328140800000));
  EXPECT_EQ(eval("$toMillis('one thousand, nine hundred and eighty-four', '[Yw]')"),
            Json(441763200000));
  EXPECT_EQ(eval("$toMillis('nineteen hundred and eighty-four', '[Yw]')"), Json(441763200000));
  EXPECT_EQ(eval("$toMillis('twenty-seventh April 2008', '[Dw] [MNn] [Y0001]')"),
            Json(1209254400000));
  EXPECT_EQ(eval("$toMillis('Twentieth of August, two thousand and seventeen', "
                 "'[DW] of [MNn], [Yw]')"),
            Json(1503187200000));
  EXPECT_EQ(eval("$toMillis('4/4/2018 12:06 am', '[D1]/[M1]/[Y0001] [h]:[m] [P]')"),
            Json(1522800360000));
  EXPECT_EQ(eval("$toMillis('4/4/2018 12:06 pm', '[D1]/[M1]/[Y0001] [h]:[m] [P]')"),
            Json(1522843560000));
  EXPECT_EQ(eval("$toMillis('4/4/2018 11:30 pm', '[D1]/[M1]/[Y0001] [h]:[m] [P]')"),
            Json(1522884600000));
  EXPECT_EQ(eval("$toMillis('2018-094', '[Y0001]-[d001]')"), Json(1522800000000));
  EXPECT_EQ(eval("$toMillis('2018--180', '[Y]--[d]') ~> $fromMillis()"),
            Json("2018-06-29T00:00:00.000Z"));
  EXPECT_EQ(eval("$toMillis('Mon, Twelfth November 2018', '[FNn,*-3], [DWwo] [MNn] [Y]') ~> "
                 "$fromMillis()"),
            Json("2018-11-12T00:00:00.000Z"));
  EXPECT_EQ(eval("$toMillis('2018-07-11T07:00:00-05:00', '[Y]-[M01]-[D01]T[H01]:[m]:[s][Z]')"),
            Json(1531310400000));
  EXPECT_EQ(eval("$toMillis('12:00GMT+05:30', '[H01]:[m01][z]') ~> $fromMillis('[H01]:[m01]')",
                 nullptr, at(kFri20180323)),
            Json("06:30"));
  // Whatever $fromMillis writes, $toMillis reads back.
  EXPECT_EQ(eval("$fromMillis(1521801216617, '[FNn], [D1o] [MNn] [Y] [H01]:[m01]:[s01].[f001] "
                 "[Z]', '-0330') ~> $toMillis('[FNn], [D1o] [MNn] [Y] [H01]:[m01]:[s01].[f001] "
                 "[Z]')"),
            Json(kFri20180323));
}

TEST(JsonataDatePictures, ParsingFillsInWhatThePictureLeavesOut) {
  const Options o = at(kFri20180323);
  // A time alone is today; what follows the last component given is zero.
  EXPECT_EQ(eval("$toMillis('13:45', '[H]:[m]') ~> $fromMillis()", nullptr, o),
            Json("2018-03-23T13:45:00.000Z"));
  EXPECT_EQ(eval("$toMillis('Wednesday, 14th November 2018', '[FNn], [D1o] [MNn] [Y]') ~> "
                 "$fromMillis()",
                 nullptr, o),
            Json("2018-11-14T00:00:00.000Z"));
  // A two-digit year is one of the current century.
  EXPECT_EQ(
      eval("$toMillis('23/03/18', '[D01]/[M01]/[Y01]') ~> $fromMillis('[Y0001]')", nullptr, o),
      Json("2018"));
  // Gaps between the components given cannot be filled.
  EXPECT_EQ(error_code("$toMillis('2018-22', '[Y]-[D]')"), "D3136");
  EXPECT_EQ(error_code("$toMillis('5-22 23:59', '[M]-[D] [m]:[s]')"), "D3136");
  // Week-based dates cannot be read (as in JSONata).
  EXPECT_EQ(error_code("$toMillis('2018-3-2-5', '[Y]-[x]-[w]-[F1]')"), "D3136");
  EXPECT_EQ(error_code("$toMillis('2018-32-5', '[X]-[W]-[F1]')"), "D3136");
  // Text that does not fit the picture is undefined, a bad picture an error.
  EXPECT_EQ(eval("$toMillis('irrelevant string', '[Y]-[M]-[D]')"), Json("<undefined>"));
  EXPECT_EQ(eval("$toMillis('Hello', 'Hello')"), Json("<undefined>"));
  EXPECT_EQ(eval("$toMillis('31 Smarch 2018', '[D] [MNn] [Y]')"), Json("<undefined>"));
  EXPECT_EQ(eval("$toMillis(undefined, '[Y]')"), Json("<undefined>"));
  EXPECT_EQ(error_code("$toMillis('2018-05-22', '[Y]-[M]-[q]')"), "D3132");
  EXPECT_EQ(error_code("$toMillis('2018-05-22', '[YN]-[M]-[D]')"), "D3133");
  // Huge components are no timestamp (and no overflow).
  EXPECT_EQ(eval("$toMillis('999999999999999999', '[Y]')"), Json("<undefined>"));
  EXPECT_EQ(eval("$toMillis('2018', '[Y,*-5000]')"), Json(1514764800000));
  EXPECT_EQ(eval("$toMillis('2018-01-01 99999999999:00', '[Y]-[M]-[D] [H]:[m]')"),
            Json("<undefined>"));
}

TEST(JsonataDatePictures, IsoTextWithoutPicture) {
  EXPECT_EQ(eval("$toMillis('2018')"), Json(1514764800000));
  EXPECT_EQ(eval("$toMillis('2018-03')"), Json(1519862400000));
  EXPECT_EQ(error_code("$toMillis('2018-02-30')"), "D3110");
  EXPECT_EQ(error_code("$toMillis('2018-3-1')"), "D3110");
}

}  // namespace
}  // namespace stepd::jsonata

// The pieces under the actions: request reading, names, ARNs, page tokens.
#include "core/ops/validation.h"

#include <gtest/gtest.h>

#include "core/common/api_error.h"
#include "core/ops/arn.h"
#include "core/ops/pagination.h"

namespace stepd::ops {
namespace {

std::string validation_message(const Json& body, void (*read)(RequestReader&)) {
  RequestReader r(body);
  read(r);
  try {
    r.done();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "ValidationException");
    return e.message();
  }
  return "";
}

TEST(RequestReaderTest, MissingRequiredMemberIsNamed) {
  auto msg = validation_message(Json::object(),
                                [](RequestReader& r) { r.string("name", name_rule(true)); });
  EXPECT_EQ(msg,
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
            "Member must not be null");
}

TEST(RequestReaderTest, ExplicitNullCountsAsMissing) {
  auto msg = validation_message({{"name", nullptr}},
                                [](RequestReader& r) { r.string("name", name_rule(true)); });
  EXPECT_NE(msg.find("Value null at 'name'"), std::string::npos);
}

TEST(RequestReaderTest, AllViolationsAreReportedTogether) {
  auto msg = validation_message({{"name", 5}, {"maxResults", 5000}}, [](RequestReader& r) {
    r.string("name", name_rule(true));
    r.string("definition", definition_rule(true));
    r.integer("maxResults", 0, 1000);
  });
  EXPECT_TRUE(msg.starts_with("3 validation errors detected: ")) << msg;
  EXPECT_NE(msg.find("at 'name' failed to satisfy constraint: Member must be a string"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("Value null at 'definition'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Value '5000' at 'maxResults' failed to satisfy constraint: Member must "
                     "have value less than or equal to 1000"),
            std::string::npos)
      << msg;
}

TEST(RequestReaderTest, NestedMembersAreNamedWithTheirPath) {
  Json body = {{"mock", {{"result", 5}, {"errorOutput", {{"error", std::string(300, 'e')}}}}}};
  auto msg = validation_message(body, [](RequestReader& r) {
    auto mock = r.object("mock");
    RequestReader m = r.nested(*mock, "mock");
    m.string("result", payload_rule(false));
    auto error_output = m.object("errorOutput");
    RequestReader e = m.nested(*error_output, "errorOutput");
    e.string("error", error_rule());
    e.string("cause", {.required = true});
  });
  EXPECT_TRUE(msg.starts_with("3 validation errors detected: ")) << msg;
  EXPECT_NE(msg.find("at 'mock.result' failed to satisfy constraint: Member must be a string"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("Value at 'mock.errorOutput.error' failed to satisfy constraint: Member "
                     "must have length less than or equal to 256"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("Value null at 'mock.errorOutput.cause'"), std::string::npos) << msg;
}

TEST(RequestReaderTest, LengthsAreCheckedInCharactersOrBytes) {
  std::string eighty(80, 'a');
  std::string umlauts;
  for (int i = 0; i < 80; ++i) umlauts += "\xc3\xa4";  // 80 characters, 160 bytes
  EXPECT_EQ(validation_message({{"name", eighty}},
                               [](RequestReader& r) { r.string("name", name_rule(true)); }),
            "");
  EXPECT_EQ(validation_message({{"name", umlauts}},
                               [](RequestReader& r) { r.string("name", name_rule(true)); }),
            "");
  auto msg = validation_message({{"name", eighty + "a"}},
                                [](RequestReader& r) { r.string("name", name_rule(true)); });
  EXPECT_NE(msg.find("Member must have length less than or equal to 80"), std::string::npos);
  msg = validation_message({{"name", ""}},
                           [](RequestReader& r) { r.string("name", name_rule(true)); });
  EXPECT_NE(msg.find("Member must have length greater than or equal to 1"), std::string::npos);
  // Payloads count bytes and are never echoed back.
  std::string big(262145, 'x');
  msg = validation_message({{"input", big}},
                           [](RequestReader& r) { r.string("input", payload_rule(false)); });
  EXPECT_EQ(msg,
            "1 validation error detected: Value at 'input' failed to satisfy constraint: Member "
            "must have length less than or equal to 262144");
}

TEST(RequestReaderTest, EnumsListTheirValues) {
  auto msg = validation_message({{"type", "FAST"}}, [](RequestReader& r) {
    r.string("type", {.one_of = {"STANDARD", "EXPRESS"}});
  });
  EXPECT_NE(msg.find("Value 'FAST' at 'type' failed to satisfy constraint: Member must satisfy "
                     "enum value set: [STANDARD, EXPRESS]"),
            std::string::npos)
      << msg;
}

TEST(RequestReaderTest, PatternsAreQuotedAsTheModelWritesThem) {
  auto read = [](RequestReader& r) { r.string("clientToken", client_token_rule()); };
  EXPECT_EQ(validation_message({{"clientToken", "!abc~XYZ019"}}, read), "");
  EXPECT_EQ(validation_message(Json::object(), read), "");  // optional
  EXPECT_EQ(validation_message({{"clientToken", "two words"}}, read),
            "1 validation error detected: Value 'two words' at 'clientToken' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [!-~]+");
  // Empty breaks both the length and the pattern, and both are said.
  EXPECT_EQ(validation_message({{"clientToken", ""}}, read),
            "2 validation errors detected: Value '' at 'clientToken' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1; Value '' at "
            "'clientToken' failed to satisfy constraint: Member must satisfy regular expression "
            "pattern: [!-~]+");
  for (const char* bad : {"\x01", "a\x7f", "\xc3\xa4", "new\nline"}) {
    EXPECT_NE(validation_message({{"clientToken", bad}}, read).find("regular expression"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(validation_message({{"clientToken", std::string(65, 'x')}}, read)
                .find("Member must have length less than or equal to 64"),
            std::string::npos);
  EXPECT_EQ(validation_message({{"clientToken", std::string(64, 'x')}}, read), "");
}

TEST(RequestReaderTest, TypesOfOtherMembers) {
  auto msg =
      validation_message({{"reverseOrder", "yes"}, {"maxResults", 1.5}, {"tags", "x"}, {"cfg", 3}},
                         [](RequestReader& r) {
                           r.boolean("reverseOrder");
                           r.integer("maxResults", 0, 1000);
                           r.list("tags");
                           r.object("cfg");
                         });
  EXPECT_TRUE(msg.starts_with("4 validation errors detected")) << msg;
}

TEST(RequestReaderTest, BodyMustBeAnObject) {
  EXPECT_NO_THROW(RequestReader{Json()});  // empty body
  EXPECT_THROW(RequestReader{Json::array()}, ApiError);
  EXPECT_THROW(RequestReader{Json("text")}, ApiError);
}

TEST(NameTest, AcceptsWhatAwsAccepts) {
  for (std::string ok :
       {"a", "my-machine_1", "Äpfel", "名前", "a.b", "a=b", "a+b", "a(b)", "a!b", "a'b", "a@b"}) {
    EXPECT_NO_THROW(check_name(ok)) << ok;
  }
}

TEST(NameTest, RefusesWhatAwsRefuses) {
  for (std::string bad : std::vector<std::string>{"a b",
                                                  "a\tb",
                                                  "a\nb",
                                                  "<a>",
                                                  "{a}",
                                                  "[a]",
                                                  "a?",
                                                  "a*",
                                                  "a\"b",
                                                  "a#b",
                                                  "a%b",
                                                  "a\\b",
                                                  "a^b",
                                                  "a|b",
                                                  "a~b",
                                                  "a`b",
                                                  "a$b",
                                                  "a&b",
                                                  "a,b",
                                                  "a;b",
                                                  "a:b",
                                                  "a/b",
                                                  std::string("a\0b", 3),
                                                  "a\x1f",
                                                  "a\x7f",
                                                  "a\xc2\x85" /* U+0085 */,
                                                  "a\xc2\xa0" /* no-break space */,
                                                  "a\xe2\x80\x83" /* em space */,
                                                  "\xff",
                                                  "a\xc3",
                                                  "\xef\xbf\xbf" /* U+FFFF */,
                                                  "\xc0\xaf" /* overlong '/' */}) {
    try {
      check_name(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.type(), "InvalidName");
    }
  }
}

TEST(JsonTextTest, InvalidJsonNamesTheProblem) {
  EXPECT_NO_THROW(check_json_text("{\"a\": [1, 2]}", "InvalidOutput", "Invalid Output"));
  EXPECT_NO_THROW(check_json_text("\"just a string\"", "InvalidOutput", "Invalid Output"));
  EXPECT_NO_THROW(check_json_text("42", "InvalidOutput", "Invalid Output"));
  try {
    check_json_text("{oops", "InvalidOutput", "Invalid Output");
    ADD_FAILURE();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "InvalidOutput");
    EXPECT_TRUE(e.message().starts_with("Invalid Output: '")) << e.message();
    EXPECT_EQ(e.message().find("json.exception"), std::string::npos) << e.message();
  }
  EXPECT_THROW(check_json_text("", "InvalidOutput", "x"), ApiError);
  EXPECT_THROW(check_json_text("{} {}", "InvalidOutput", "x"), ApiError);
  // The parser would stop at a NUL and accept "{}"; numbers beyond double throw out_of_range.
  EXPECT_THROW(check_json_text(std::string("{}\0junk", 7), "InvalidOutput", "x"), ApiError);
  EXPECT_THROW(check_json_text("1e400", "InvalidOutput", "x"), ApiError);
  EXPECT_THROW(check_json_text("[-1e400]", "InvalidOutput", "x"), ApiError);
}

TEST(JsonTextTest, DepthIsCountedOutsideStrings) {
  EXPECT_EQ(json_depth("42"), 0u);
  EXPECT_EQ(json_depth(R"({"a":[1,{"b":[]}]})"), 4u);
  EXPECT_EQ(json_depth(R"(["[[[\"{{"])"), 1u);  // brackets in a string, an escaped quote
}

TEST(JsonTextTest, PayloadsNestedTooDeepAreRefused) {
  std::string ok = std::string(kMaxPayloadDepth, '[') + std::string(kMaxPayloadDepth, ']');
  EXPECT_NO_THROW(check_json_text(ok, "InvalidOutput", "Invalid Output"));
  std::string deep = "[" + ok + "]";
  try {
    check_json_text(deep, "InvalidOutput", "Invalid Output");
    ADD_FAILURE();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "InvalidOutput");
    EXPECT_EQ(e.message(), "Invalid Output: 'the JSON is nested more than 1000 levels deep'");
  }
}

TEST(TimestampTest, EpochSecondsWithMilliseconds) {
  EXPECT_EQ(timestamp(1700000000123).dump(), "1700000000.123");
  EXPECT_DOUBLE_EQ(timestamp(1700000000000).get<double>(), 1700000000.0);
}

TEST(ArnTest, BuildsAwsFormats) {
  EXPECT_EQ(state_machine_arn("us-east-1", "123456789012", "m"),
            "arn:aws:states:us-east-1:123456789012:stateMachine:m");
  EXPECT_EQ(execution_arn("eu-west-1", "000000000000", "m", "e"),
            "arn:aws:states:eu-west-1:000000000000:execution:m:e");
  EXPECT_EQ(activity_arn("us-east-1", "123456789012", "a"),
            "arn:aws:states:us-east-1:123456789012:activity:a");
}

TEST(ArnTest, ParsesAndRefuses) {
  auto arn = parse_states_arn("arn:aws:states:us-east-1:123456789012:execution:m:e");
  ASSERT_TRUE(arn);
  EXPECT_EQ(arn->resource_type, "execution");
  EXPECT_EQ(arn->parts, (std::vector<std::string>{"m", "e"}));
  for (const char* bad : {"", "foo", "arn:aws:states:us-east-1:123456789012:stateMachine",
                          "arn:aws:states:us-east-1:123456789012:stateMachine:",
                          "arn:aws:lambda:us-east-1:123456789012:function:f",
                          "arn:aws:states::123456789012:stateMachine:m"}) {
    EXPECT_FALSE(parse_states_arn(bad)) << bad;
  }
  try {
    require_states_arn("arn:aws:states:us-east-1:123456789012:activity:a", "stateMachine", 1, 1);
    ADD_FAILURE();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "InvalidArn");
    EXPECT_EQ(e.message(), "Invalid Arn: 'Resource type not valid in this context: activity'");
  }
  EXPECT_THROW(require_states_arn("nope", "execution", 2, 2), ApiError);
  EXPECT_THROW(
      require_states_arn("arn:aws:states:us-east-1:123456789012:execution:m", "execution", 2, 2),
      ApiError);
  EXPECT_TRUE(is_arn("arn:aws:iam::123456789012:role/x"));
  EXPECT_FALSE(is_arn("role/x"));
}

TEST(PageTokensTest, RoundTripAndScope) {
  ManualClock clock;
  PageTokens tokens(clock);
  Json scope = {{"op", "ListExecutions"}, {"arn", "x"}};
  EXPECT_EQ(tokens.issue(scope, ""), "");
  std::string t = tokens.issue(scope, "cursor-1");
  EXPECT_EQ(tokens.open(t, scope), "cursor-1");
  EXPECT_EQ(tokens.open(std::nullopt, scope), "");
  Json other = {{"op", "ListExecutions"}, {"arn", "y"}};
  EXPECT_THROW(tokens.open(t, other), ApiError);
}

TEST(PageTokensTest, GarbageAndTamperingAreInvalidToken) {
  ManualClock clock;
  PageTokens tokens(clock);
  Json scope = {{"op", "ListActivities"}};
  for (const char* bad : {"x", "!!!", "eyJhIjoxfQ", "AAAA"}) {
    try {
      tokens.open(std::string(bad), scope);
      ADD_FAILURE() << bad;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.type(), "InvalidToken");
    }
  }
}

TEST(PageTokensTest, ExpireAfterOneDay) {
  ManualClock clock;
  PageTokens tokens(clock);
  Json scope = {{"op", "ListActivities"}};
  std::string t = tokens.issue(scope, "c");
  clock.advance_ms(kPageTokenLifetimeMs);
  EXPECT_EQ(tokens.open(t, scope), "c");
  clock.advance_ms(1);
  EXPECT_THROW(tokens.open(t, scope), ApiError);
}

TEST(PageSizeTest, AwsDefaults) {
  EXPECT_EQ(page_size(std::nullopt), 100);
  EXPECT_EQ(page_size(0), 100);
  EXPECT_EQ(page_size(1), 1);
  EXPECT_EQ(page_size(1000), 1000);
}

}  // namespace
}  // namespace stepd::ops

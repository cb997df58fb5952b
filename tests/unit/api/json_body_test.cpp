// Body parsing limits and the route matcher, without sockets.
#include "api/json_body.h"

#include <gtest/gtest.h>

#include "api/route_table.h"
#include "core/common/api_error.h"

namespace stepd::api {
namespace {

std::string error_type(const std::string& body, JsonLimits limits = {}) {
  try {
    parse_json_object(body, limits);
  } catch (const ApiError& e) {
    return e.type();
  }
  return "";
}

TEST(JsonBody, ParsesObjectsAndKeepsKeyOrder) {
  auto j = parse_json_object(R"({"z":1,"a":2})");
  EXPECT_EQ(j.dump(), R"({"z":1,"a":2})");
  EXPECT_EQ(parse_json_object(" \r\n"), Json::object());
}

TEST(JsonBody, RejectsWhatIsNotAnObject) {
  EXPECT_EQ(error_type("[]"), "SerializationException");
  EXPECT_EQ(error_type("null"), "SerializationException");
  EXPECT_EQ(error_type("{"), "SerializationException");
  EXPECT_EQ(error_type("{} {}"), "SerializationException");
}

TEST(JsonBody, RejectsNulBytesAndNumbersBeyondDouble) {
  // nlohmann would stop at the NUL and accept what came before it.
  EXPECT_EQ(error_type(std::string("{\"a\":1}\0{\"b\"", 12)), "SerializationException");
  EXPECT_EQ(error_type(R"({"maxResults": 1e400})"), "SerializationException");
  EXPECT_EQ(error_type(R"({"maxResults": -1e400})"), "SerializationException");
  // Found by fuzz_aws_json_request too: nlohmann throws out_of_range, not parse_error.
  EXPECT_EQ(error_type(R"({"a": [-1E+999]})"), "SerializationException");
}

TEST(JsonBody, DepthLimit) {
  JsonLimits limits;
  limits.max_depth = 4;
  EXPECT_EQ(error_type(R"({"a":[[{}]]})", limits), "");
  EXPECT_EQ(error_type(R"({"a":[[[{}]]]})", limits), "SerializationException");
  EXPECT_EQ(error_type(R"({"a":"[[[[[[[[\"[[[["})", limits), "");
  // A very deep document is refused without recursing into it.
  std::string deep(1000000, '[');
  EXPECT_EQ(error_type("{\"a\":" + deep), "SerializationException");
}

TEST(JsonBody, MemberLimit) {
  JsonLimits limits;
  limits.max_object_members = 3;
  EXPECT_EQ(error_type(R"({"a":1,"b":2,"c":[1,2,3]})", limits), "");
  EXPECT_EQ(error_type(R"({"a":1,"b":2,"c":3,"d":4})", limits), "SerializationException");
  EXPECT_EQ(error_type(R"({"a":[{"x":1,"y":2,"z":3,"w":4}]})", limits), "SerializationException");
  // Arrays parse in linear time and are not limited; commas in strings are not members.
  EXPECT_EQ(error_type(R"({"a":[1,2,3,4,5,6,7]})", limits), "");
  EXPECT_EQ(error_type(R"({"a":"1,2,3,4,5"})", limits), "");
}

TEST(RouteTable, MatchesTemplatesAndDecodesParameters) {
  auto m = match_route("GET", "/v1/executions/arn%3Aaws%3Ax/history");
  ASSERT_TRUE(m && m->route);
  EXPECT_EQ(m->route->action, "GetExecutionHistory");
  ASSERT_EQ(m->params.size(), 1u);
  EXPECT_EQ(m->params[0].first, "executionArn");
  EXPECT_EQ(m->params[0].second, "arn:aws:x");

  EXPECT_FALSE(match_route("GET", "/v1/executions//history"));
  EXPECT_FALSE(match_route("GET", "/v1/executions/a%zz/history"));
  EXPECT_FALSE(match_route("GET", "/v1"));
  m = match_route("PUT", "/v1/activities/a");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route, nullptr);
  EXPECT_EQ(m->allowed_methods, (std::vector<std::string_view>{"GET", "DELETE"}));
}

TEST(RouteTable, MethodAndPathPairsAreUnique) {
  const auto& table = route_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    for (std::size_t j = i + 1; j < table.size(); ++j) {
      EXPECT_FALSE(table[i].method == table[j].method && table[i].path == table[j].path)
          << table[i].method << " " << table[i].path;
    }
  }
}

TEST(PercentDecode, HandlesEscapesAndRejectsBrokenOnes) {
  EXPECT_EQ(percent_decode("a%3Ab%2fc+d"), "a:b/c+d");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%g1"));
}

}  // namespace
}  // namespace stepd::api

// The server as a whole, over real sockets: the AWS JSON 1.0 door, error shapes, limits,
// health, unknown paths and methods, threads, and shutdown.
#include "api/http_server.h"

#include <gtest/gtest.h>

#include <cctype>
#include <future>

#include "api/cpprest_threads.h"
#include "core/common/api_error.h"
#include "tests/unit/api/api_test_support.h"

namespace stepd::api {
namespace {

using testing::FakeOperations;
using testing::send;

constexpr const char* kAmzJson = "application/x-amz-json-1.0";

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    initialize_cpprest_threads(4);
    HttpServer::Options options;
    options.port = testing::free_port();
    options.max_body_bytes = 64 * 1024;
    options.drain_timeout = std::chrono::milliseconds(2000);
    server_ = std::make_unique<HttpServer>(ops_, options);
    server_->start();
    web::http::client::http_client_config config;
    config.set_timeout(std::chrono::seconds(10));
    client_ = std::make_unique<web::http::client::http_client>(server_->url(), config);
  }

  void TearDown() override { server_->stop(); }

  testing::Reply aws(const std::string& action, const std::string& body) {
    return send(*client_, "POST", "/", body, {{"X-Amz-Target", "AWSStepFunctions." + action}},
                kAmzJson);
  }

  FakeOperations ops_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<web::http::client::http_client> client_;
};

// 8-4-4-4-12 lowercase hex, version 4, RFC 4122 variant. (Not std::regex: GCC 12 warns inside
// it under the sanitizers, and warnings are errors.)
bool is_uuid_v4(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    if (!dash && std::isupper(static_cast<unsigned char>(s[i]))) return false;
  }
  return s[14] == '4' && std::string("89ab").find(s[19]) != std::string::npos;
}

void expect_error(const testing::Reply& r, int status, const std::string& type) {
  EXPECT_EQ(r.status, status) << r.body;
  auto body = r.json();
  EXPECT_EQ(body.value("__type", ""), type) << r.body;
  EXPECT_TRUE(body.contains("message") && body["message"].is_string()) << r.body;
}

TEST_F(HttpServerTest, AwsTargetRoutesToTheActionWithTheBody) {
  ops_.set_behaviour([](const std::string&, const Json& request, FakeOperations::Reply reply) {
    reply(Json{{"executionArn", "arn:x"}, {"echo", request}}, nullptr);
  });
  auto r = aws("StartExecution", R"({"stateMachineArn":"arn:sm","input":"{}"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), kAmzJson);
  EXPECT_EQ(ops_.last_call().action, "StartExecution");
  EXPECT_EQ(ops_.last_call().request, Json::parse(R"({"stateMachineArn":"arn:sm","input":"{}"})"));
  EXPECT_EQ(r.json()["executionArn"], "arn:x");
}

TEST_F(HttpServerTest, EveryResponseCarriesAUuidRequestId) {
  for (const auto& r : {aws("ListStateMachines", "{}"), aws("Nope", "{}"),
                        send(*client_, "GET", "/healthz"), send(*client_, "GET", "/nowhere")}) {
    EXPECT_TRUE(is_uuid_v4(r.header("x-amzn-RequestId"))) << r.header("x-amzn-RequestId");
  }
  EXPECT_NE(aws("ListStateMachines", "{}").header("x-amzn-RequestId"),
            aws("ListStateMachines", "{}").header("x-amzn-RequestId"));
}

TEST_F(HttpServerTest, EmptyBodyIsAnEmptyObject) {
  auto r = aws("ListStateMachines", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ops_.last_call().request, Json::object());
}

TEST_F(HttpServerTest, PlainJsonContentTypeAndSigV4HeadersAreAccepted) {
  auto r = send(*client_, "POST", "/", "{}",
                {{"X-Amz-Target", "AWSStepFunctions.ListActivities"},
                 {"Authorization",
                  "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/states/aws4_request, "
                  "SignedHeaders=host;x-amz-date, Signature=abc"},
                 {"X-Amz-Date", "20240101T000000Z"}},
                "application/json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ops_.last_call().action, "ListActivities");
}

TEST_F(HttpServerTest, SyncHostPrefixIsAnsweredLikeAnyHost) {
  auto r =
      send(*client_, "POST", "/", "{}",
           {{"X-Amz-Target", "AWSStepFunctions.StartSyncExecution"}, {"Host", "sync-127.0.0.1"}},
           kAmzJson);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ops_.last_call().action, "StartSyncExecution");
}

TEST_F(HttpServerTest, ApiErrorsKeepTheirTypeAndStatus) {
  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply reply) {
    reply(Json(), std::make_exception_ptr(ApiError("ExecutionDoesNotExist", "no such", 400)));
  });
  auto r = aws("DescribeExecution", R"({"executionArn":"arn:e"})");
  expect_error(r, 400, "ExecutionDoesNotExist");
  EXPECT_EQ(r.json()["message"], "no such");
  EXPECT_EQ(r.header("Content-Type"), kAmzJson);

  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply reply) {
    reply(Json(), std::make_exception_ptr(ApiError("ConflictException", "busy", 409)));
  });
  expect_error(aws("CreateStateMachine", "{}"), 409, "ConflictException");
}

TEST_F(HttpServerTest, ApiErrorThrownSynchronouslyIsAnsweredToo) {
  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply) {
    throw ApiError("InvalidToken", "bad token", 400);
  });
  expect_error(aws("SendTaskSuccess", R"({"taskToken":"x","output":"{}"})"), 400, "InvalidToken");
}

TEST_F(HttpServerTest, OtherExceptionsAreInternalFailureWithoutDetails) {
  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply) {
    throw std::runtime_error("secret internal detail");
  });
  auto r = aws("ListActivities", "{}");
  expect_error(r, 500, "InternalFailure");
  EXPECT_EQ(r.body.find("secret"), std::string::npos);

  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply reply) {
    reply(Json(), std::make_exception_ptr(std::logic_error("boom")));
  });
  expect_error(aws("ListActivities", "{}"), 500, "InternalFailure");
  // The server is still there.
  ops_.set_behaviour(nullptr);
  EXPECT_EQ(aws("ListActivities", "{}").status, 200);
}

TEST_F(HttpServerTest, ADroppedReplyIsAnsweredAsInternalFailure) {
  ops_.set_behaviour([](const std::string&, const Json&, FakeOperations::Reply) {});
  expect_error(aws("ListActivities", "{}"), 500, "InternalFailure");
}

TEST_F(HttpServerTest, ReplyFromAnotherThreadIsDelivered) {
  ops_.set_behaviour([this](const std::string&, const Json&, FakeOperations::Reply reply) {
    ops_.reply_later(std::move(reply), Json{{"taskToken", "t"}, {"input", "{}"}});
  });
  auto r = aws("GetActivityTask", R"({"activityArn":"arn:a"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["taskToken"], "t");
}

TEST_F(HttpServerTest, MalformedJsonIsSerializationException) {
  expect_error(aws("ListActivities", "{\"a\":"), 400, "SerializationException");
  expect_error(aws("ListActivities", "not json"), 400, "SerializationException");
  expect_error(aws("ListActivities", "\xff\xfe"), 400, "SerializationException");
  EXPECT_TRUE(ops_.calls().empty());
}

TEST_F(HttpServerTest, NonObjectBodyIsSerializationException) {
  expect_error(aws("ListActivities", "[1,2]"), 400, "SerializationException");
  expect_error(aws("ListActivities", "\"text\""), 400, "SerializationException");
  expect_error(aws("ListActivities", "42"), 400, "SerializationException");
}

TEST_F(HttpServerTest, MissingOrForeignTargetIsUnknownOperation) {
  expect_error(send(*client_, "POST", "/", "{}", {}, kAmzJson), 400, "UnknownOperationException");
  expect_error(send(*client_, "POST", "/", "{}", {{"X-Amz-Target", "DynamoDB_20120810.ListTables"}},
                    kAmzJson),
               400, "UnknownOperationException");
  expect_error(aws("BakeACake", "{}"), 400, "UnknownOperationException");
  EXPECT_TRUE(ops_.calls().empty());
}

TEST_F(HttpServerTest, OversizeBodyWithContentLengthIs413) {
  std::string big = R"({"definition":")" + std::string(100 * 1024, 'x') + R"("})";
  auto r = aws("CreateStateMachine", big);
  expect_error(r, 413, "ValidationException");
  EXPECT_TRUE(ops_.calls().empty());
  // The connection and server stay usable.
  EXPECT_EQ(aws("ListActivities", "{}").status, 200);
}

TEST_F(HttpServerTest, OversizeUriIs414AndOversizeHeadersAre431) {
  auto long_uri =
      send(*client_, "GET", "/v1/activities?x=" + std::string(20 * 1024, 'a'), "", {}, kAmzJson);
  expect_error(long_uri, 414, "ValidationException");
  auto plain = aws("ListActivities", "{}");
  web::http::http_request request("POST");
  request.set_request_uri(web::uri("/"));
  request.headers().add("X-Amz-Target", "AWSStepFunctions.ListActivities");
  request.headers().add("X-Big", std::string(17 * 1024, 'v'));
  request.set_body(std::string("{}"), kAmzJson);
  expect_error(send(*client_, request), 431, "ValidationException");
  web::http::http_request many("POST");
  many.set_request_uri(web::uri("/"));
  many.headers().add("X-Amz-Target", "AWSStepFunctions.ListActivities");
  for (int i = 0; i < 120; ++i) many.headers().add("X-Pad-" + std::to_string(i), "v");
  many.set_body(std::string("{}"), kAmzJson);
  expect_error(send(*client_, many), 431, "ValidationException");
  EXPECT_EQ(ops_.calls().size(), 1u);  // only the plain ListActivities got through
  EXPECT_EQ(plain.status, 200);
}

TEST_F(HttpServerTest, OversizeChunkedBodyIs413) {
  std::string big = R"({"definition":")" + std::string(100 * 1024, 'x') + R"("})";
  web::http::http_request request("POST");
  request.set_request_uri(web::uri("/"));
  request.headers().add("X-Amz-Target", "AWSStepFunctions.CreateStateMachine");
  // A stream of unknown length makes the client send Transfer-Encoding: chunked.
  request.set_body(concurrency::streams::bytestream::open_istream(big), kAmzJson);
  auto r = send(*client_, request);
  expect_error(r, 413, "ValidationException");
  EXPECT_TRUE(ops_.calls().empty());
}

TEST_F(HttpServerTest, ChunkedBodyWithinTheLimitIsRead) {
  std::string body = R"({"name":")" + std::string(20 * 1024, 'n') + R"("})";
  web::http::http_request request("POST");
  request.set_request_uri(web::uri("/"));
  request.headers().add("X-Amz-Target", "AWSStepFunctions.CreateActivity");
  request.set_body(concurrency::streams::bytestream::open_istream(body), kAmzJson);
  auto r = send(*client_, request);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ops_.last_call().request["name"].get<std::string>().size(), 20u * 1024);
}

TEST_F(HttpServerTest, DeepNestingIsRejectedBeforeParsing) {
  std::string deep = "{\"a\":" + std::string(200, '[') + std::string(200, ']') + "}";
  expect_error(aws("ListActivities", deep), 400, "SerializationException");
  std::string fine = "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(aws("ListActivities", fine).status, 200);
  // Brackets inside strings do not count.
  std::string in_string = "{\"a\":\"" + std::string(500, '[') + "\"}";
  EXPECT_EQ(aws("ListActivities", in_string).status, 200);
}

TEST_F(HttpServerTest, HealthzFollowsReadiness) {
  auto r = send(*client_, "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), Json::parse(R"({"status":"ok"})"));
  ops_.set_ready(false);
  r = send(*client_, "GET", "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json()["status"], "starting");
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405) {
  auto r = send(*client_, "GET", "/v2/things");
  expect_error(r, 404, "UnknownOperationException");
  EXPECT_EQ(r.header("Content-Type"), "application/json");

  r = send(*client_, "DELETE", "/v1/executions/arn:aws:states:us-east-1:1:execution:a:b");
  expect_error(r, 405, "UnknownOperationException");
  EXPECT_EQ(r.header("Allow"), "GET");

  r = send(*client_, "GET", "/");
  expect_error(r, 405, "UnknownOperationException");
  EXPECT_EQ(r.header("Allow"), "POST");

  r = send(*client_, "PATCH", "/v1/state-machines");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST, GET");
  EXPECT_TRUE(ops_.calls().empty());
}

TEST_F(HttpServerTest, ManyConcurrentRequestsAllGetAnswers) {
  ops_.set_behaviour([this](const std::string&, const Json& request, FakeOperations::Reply reply) {
    ops_.reply_later(std::move(reply), request);
  });
  std::vector<std::future<int>> results;
  for (int i = 0; i < 32; ++i) {
    results.push_back(std::async(std::launch::async, [this, i] {
      auto r = aws("DescribeActivity", "{\"n\":" + std::to_string(i) + "}");
      return r.status == 200 && r.json()["n"] == i ? 1 : 0;
    }));
  }
  int ok = 0;
  for (auto& f : results) ok += f.get();
  EXPECT_EQ(ok, 32);
}

TEST_F(HttpServerTest, StopLetsRequestsInFlightFinishAndRefusesNewOnes) {
  std::promise<FakeOperations::Reply> held;
  ops_.set_behaviour([&held](const std::string&, const Json&, FakeOperations::Reply reply) {
    held.set_value(std::move(reply));
  });
  auto in_flight = std::async(std::launch::async, [this] { return aws("GetActivityTask", "{}"); });
  auto reply = held.get_future().get();

  auto stopping = std::async(std::launch::async, [this] { server_->stop(); });
  // Wait for stop() to begin (however slow the machine), not for a fixed time.
  for (int i = 0; i < 60000 && !server_->draining(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(server_->draining());
  web::http::client::http_client other(server_->url());
  auto refused = send(other, "POST", "/", "{}",
                      {{"X-Amz-Target", "AWSStepFunctions.ListActivities"}}, kAmzJson);
  expect_error(refused, 503, "ServiceUnavailable");
  EXPECT_EQ(send(other, "GET", "/healthz").status, 503);

  reply(Json{{"taskToken", "late"}}, nullptr);
  auto answered = in_flight.get();
  EXPECT_EQ(answered.status, 200);
  EXPECT_EQ(answered.json()["taskToken"], "late");
  stopping.get();
}

// Whether two handlers queued on cpprestsdk's pool ever run at once: the first waits (up to
// `patience`) for the second to start.
bool pool_runs_two_at_once(std::chrono::milliseconds patience) {
  auto started = std::make_shared<std::promise<void>>();
  auto overlapped = std::make_shared<std::promise<bool>>();
  auto& service = crossplat::threadpool::shared_instance().service();
  service.post([started, overlapped, patience] {
    auto second = started->get_future();
    overlapped->set_value(second.wait_for(patience) == std::future_status::ready);
  });
  service.post([started] { started->set_value(); });
  return overlapped->get_future().get();
}

// What HttpServer::start() opens its listener under (see cpprest_threads.h): while it lasts,
// the pool runs one handler at a time, so the listener's registration (a handler) ends before
// an early connection's request (another handler) is looked at.
TEST(CpprestThreadsTest, ThePoolRunsOneHandlerAtATimeWhileNarrowed) {
  initialize_cpprest_threads(4);
  ASSERT_TRUE(pool_runs_two_at_once(std::chrono::seconds(30)));  // the pool as it normally is
  bool overlapped = true;
  EXPECT_TRUE(with_one_cpprest_thread(
      [&] { overlapped = pool_runs_two_at_once(std::chrono::milliseconds(300)); }));
  EXPECT_FALSE(overlapped);
  EXPECT_TRUE(pool_runs_two_at_once(std::chrono::seconds(30)));  // and as it is after
}

TEST(CpprestThreadsTest, ThePoolIsWholeAgainWhenTheWorkThrows) {
  initialize_cpprest_threads(4);
  EXPECT_THROW(with_one_cpprest_thread([] { throw std::runtime_error("open failed"); }),
               std::runtime_error);
  EXPECT_TRUE(pool_runs_two_at_once(std::chrono::seconds(30)));
}

}  // namespace
}  // namespace stepd::api

// The outbound HTTP invoker against a second, plain cpprestsdk listener.
#include "api/cpprest_http_invoker.h"

#include <gtest/gtest.h>

#include <future>

#include "api/cpprest_threads.h"
#include "tests/unit/api/api_test_support.h"

namespace stepd::api {
namespace {

struct Outcome {
  std::optional<tasks::HttpResponse> response;
  std::string error;
};

Outcome call(CpprestHttpInvoker& invoker, tasks::HttpRequest request) {
  std::promise<Outcome> promise;
  invoker.send(std::move(request),
               [&promise](std::optional<tasks::HttpResponse> response, std::string error) {
                 promise.set_value({std::move(response), std::move(error)});
               });
  return promise.get_future().get();
}

std::string header(const tasks::HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return {};
}

class InvokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    initialize_cpprest_threads(4);
    port_ = testing::free_port();
    base_ = "http://127.0.0.1:" + std::to_string(port_);
    listener_ = std::make_unique<web::http::experimental::listener::http_listener>(base_);
    listener_->support([this](web::http::http_request request) {
      std::string path = request.request_uri().path();
      std::string method = request.method();
      std::string query = request.request_uri().query();
      auto it = request.headers().find("X-Custom");
      std::string custom = it == request.headers().end() ? "" : it->second;
      it = request.headers().find("Content-Type");
      std::string type = it == request.headers().end() ? "" : it->second;
      request.extract_string(true).then([=](pplx::task<std::string> body) {
        web::http::http_response response(path == "/fail" ? 500 : 200);
        response.headers().add("X-Echo-Method", method);
        response.headers().add("X-Echo-Custom", custom);
        response.headers().add("X-Echo-Type", type);
        response.headers().add("X-Echo-Query", query);
        std::string text = path == "/big" ? std::string(4096, 'b') : "got:" + body.get();
        response.set_body(text, "text/plain");
        request.reply(response).then([](pplx::task<void> t) {
          try {
            t.get();
          } catch (...) {
          }
        });
      });
    });
    listener_->open().wait();
  }
  void TearDown() override { listener_->close().wait(); }

  int port_ = 0;
  std::string base_;
  std::unique_ptr<web::http::experimental::listener::http_listener> listener_;
};

TEST_F(InvokerTest, SendsMethodHeadersBodyAndReturnsTheResponse) {
  CpprestHttpInvoker invoker;
  tasks::HttpRequest request;
  request.method = "PUT";
  request.url = base_ + "/things?x=1&y=two";
  request.headers = {{"X-Custom", "hello"}, {"Content-Type", "application/json"}};
  request.body = R"({"a":1})";
  request.timeout_seconds = 5;
  auto out = call(invoker, request);
  ASSERT_TRUE(out.response) << out.error;
  EXPECT_EQ(out.response->status_code, 200);
  EXPECT_EQ(out.response->status_text, "OK");
  EXPECT_EQ(out.response->body, R"(got:{"a":1})");
  EXPECT_EQ(header(*out.response, "X-Echo-Method"), "PUT");
  EXPECT_EQ(header(*out.response, "X-Echo-Custom"), "hello");
  EXPECT_EQ(header(*out.response, "X-Echo-Type"), "application/json");
  EXPECT_EQ(header(*out.response, "X-Echo-Query"), "x=1&y=two");
  EXPECT_EQ(header(*out.response, "Content-Type"), "text/plain");

  // A second call to the same origin reuses the cached client.
  request.method = "GET";
  request.body.clear();
  out = call(invoker, request);
  ASSERT_TRUE(out.response) << out.error;
  EXPECT_EQ(header(*out.response, "X-Echo-Method"), "GET");
}

TEST_F(InvokerTest, ErrorStatusIsAResponseNotAFailure) {
  CpprestHttpInvoker invoker;
  tasks::HttpRequest request;
  request.method = "POST";
  request.url = base_ + "/fail";
  request.body = "x";
  auto out = call(invoker, request);
  ASSERT_TRUE(out.response) << out.error;
  EXPECT_EQ(out.response->status_code, 500);
  EXPECT_EQ(out.response->body, "got:x");
  EXPECT_TRUE(out.error.empty());
}

TEST_F(InvokerTest, OversizeResponseIsAFailure) {
  CpprestHttpInvoker::Options options;
  options.max_response_bytes = 1000;
  CpprestHttpInvoker invoker(options);
  tasks::HttpRequest request;
  request.method = "GET";
  request.url = base_ + "/big";
  auto out = call(invoker, request);
  EXPECT_FALSE(out.response);
  EXPECT_NE(out.error.find("larger than"), std::string::npos) << out.error;
}

TEST(InvokerFailures, ConnectionRefusedIsReported) {
  initialize_cpprest_threads(4);
  CpprestHttpInvoker invoker;
  tasks::HttpRequest request;
  request.method = "GET";
  request.url = "http://127.0.0.1:" + std::to_string(testing::free_port()) + "/";
  request.timeout_seconds = 5;
  auto out = call(invoker, request);
  EXPECT_FALSE(out.response);
  EXPECT_FALSE(out.error.empty());
}

TEST(InvokerFailures, MalformedUrlIsReported) {
  CpprestHttpInvoker invoker;
  for (const char* url : {"not a url", "ftp://example.com/x"}) {
    tasks::HttpRequest request;
    request.method = "GET";
    request.url = url;
    auto out = call(invoker, request);
    EXPECT_FALSE(out.response) << url;
    EXPECT_FALSE(out.error.empty()) << url;
  }
}

}  // namespace
}  // namespace stepd::api

#pragma once
// Shared pieces of the api tests: a scripted ops::Operations, a free loopback port, and a
// blocking client (blocking is fine here: the test thread is not one of cpprestsdk's).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/cpprest.h"
#include "api/route_table.h"
#include "core/common/json.h"
#include "core/ops/operations.h"

namespace stepd::api::testing {

// cpprestsdk cannot listen on port 0, so ask the kernel for a free port and give it back.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class FakeOperations : public ops::Operations {
 public:
  struct Call {
    std::string action;
    Json request;
  };
  struct Wait {
    std::string arn;
    int timeout_seconds;
    bool include_data;
  };
  // Decides the reply; the default answers {"ok": true}.
  using Behaviour = std::function<void(const std::string& action, const Json& request, Reply)>;

  ~FakeOperations() override {
    for (auto& t : threads_) t.join();
  }

  void invoke(const std::string& action, Json request, Reply reply) override {
    Behaviour behaviour;
    {
      std::lock_guard lock(mu_);
      calls_.push_back({action, request});
      behaviour = behaviour_;
    }
    if (behaviour) {
      behaviour(action, request, std::move(reply));
    } else {
      reply(Json{{"ok", true}}, nullptr);
    }
  }

  std::vector<std::string> actions() const override {
    std::vector<std::string> names = {"StartSyncExecution", "TestState", "ListTagsForResource"};
    for (const auto& route : route_table()) {
      if (route.kind == RouteKind::kRest) names.emplace_back(route.action);
    }
    return names;
  }

  void wait_for_execution(const std::string& arn, int timeout_seconds, bool include_data,
                          Reply reply) override {
    Json description;
    {
      std::lock_guard lock(mu_);
      waits_.push_back({arn, timeout_seconds, include_data});
      description = wait_description_;
    }
    reply(description, nullptr);
  }

  bool ready() const override { return ready_.load(); }

  void set_behaviour(Behaviour b) {
    std::lock_guard lock(mu_);
    behaviour_ = std::move(b);
  }
  void set_wait_description(Json d) {
    std::lock_guard lock(mu_);
    wait_description_ = std::move(d);
  }
  void set_ready(bool ready) { ready_ = ready; }

  // Replies from a thread of its own, like a long poll completing later.
  void reply_later(Reply reply, Json response) {
    std::lock_guard lock(mu_);
    threads_.emplace_back([reply = std::move(reply), response = std::move(response)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      reply(response, nullptr);
    });
  }

  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  Call last_call() const {
    std::lock_guard lock(mu_);
    return calls_.empty() ? Call{} : calls_.back();
  }
  std::vector<Wait> waits() const {
    std::lock_guard lock(mu_);
    return waits_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::vector<Wait> waits_;
  Behaviour behaviour_;
  Json wait_description_ = Json{{"status", "SUCCEEDED"}};
  std::atomic<bool> ready_{true};
  std::vector<std::thread> threads_;
};

struct Reply {
  int status = 0;
  std::string body;
  web::http::http_headers headers;
  Json json() const { return body.empty() ? Json() : Json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline Reply send(web::http::client::http_client& client, web::http::http_request request) {
  auto response = client.request(request).get();
  Reply r;
  r.status = response.status_code();
  r.headers = response.headers();
  auto bytes = response.extract_vector().get();
  r.body.assign(bytes.begin(), bytes.end());
  return r;
}

inline Reply send(web::http::client::http_client& client, const std::string& method,
                  const std::string& path, const std::string& body = {},
                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                  const std::string& content_type = "application/json") {
  web::http::http_request request(method);
  request.set_request_uri(web::uri(path));
  for (const auto& [name, value] : headers) request.headers().add(name, value);
  if (!body.empty()) request.set_body(body, content_type);
  return send(client, std::move(request));
}

}  // namespace stepd::api::testing

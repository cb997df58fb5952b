#pragma once
// Outbound HTTP for `arn:aws:states:::http:invoke` tasks, on cpprestsdk's http_client.
//
// Clients are cached per (scheme://host:port, timeout): an http_client keeps its own pool of
// keep-alive connections, and workflows tend to call the same few endpoints again and again, so
// reusing the client saves a TCP (and TLS) handshake per call. The timeout is part of the key
// because cpprestsdk fixes it per client, not per request. The cache is a small LRU so that
// calls to many different hosts cannot grow it without bound; an evicted client lives on until
// its requests in flight finish.
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/tasks/http_invoker.h"

namespace web::http::client {
class http_client;
}

namespace stepd::api {

class CpprestHttpInvoker : public tasks::HttpInvoker {
 public:
  struct Options {
    std::size_t max_cached_clients = 32;
    // Responses larger than this are drained and reported as a failure: a task result is
    // capped far lower (256 KiB) anyway, and the body is held in memory whole.
    std::size_t max_response_bytes = 8 * 1024 * 1024;
  };

  CpprestHttpInvoker();
  explicit CpprestHttpInvoker(Options options);
  ~CpprestHttpInvoker() override;

  // Never blocks: the call runs on cpprestsdk's pool and `done` fires from there (or at once,
  // for a request that cannot be sent, such as a malformed URL).
  void send(tasks::HttpRequest request, Done done) override;

 private:
  std::shared_ptr<web::http::client::http_client> client_for(const std::string& origin,
                                                             int timeout_seconds);

  Options options_;
  std::mutex mu_;
  using Entry = std::pair<std::string, std::shared_ptr<web::http::client::http_client>>;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
};

}  // namespace stepd::api

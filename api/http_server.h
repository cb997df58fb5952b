#pragma once
// The HTTP server: one cpprestsdk listener serving both front doors (AWS JSON 1.0 on POST /,
// REST under /v1) and /healthz. It owns transport concerns only — body limits, request ids,
// error shapes, logging, draining on stop — and hands every call to ops::Operations.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "api/cpprest_threads.h"
#include "api/json_body.h"
#include "core/auth/authenticator.h"
#include "core/common/metrics.h"
#include "core/ops/operations.h"

namespace web::http::experimental::listener {
class http_listener;
}

namespace stepd::api {

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 8083;  // cpprestsdk cannot listen on port 0: pick a real one
    // Size of cpprestsdk's shared pool; applied by start() unless initialize_cpprest_threads()
    // already ran (main should call that first, with this same number).
    std::size_t threads = kDefaultHttpThreads;
    // Request body cap. A 1 MiB definition (the AWS maximum) grows when JSON-escaped inside the
    // AWS request, up to twice its size if it is mostly quotes and backslashes; 3 MiB takes the
    // worst realistic case plus the other fields, and still bounds memory per request.
    std::size_t max_body_bytes = 3 * 1024 * 1024;
    // The request head. cpprestsdk has read the request line and headers whole before our
    // handler runs, so these do not bound its memory (a reverse proxy must; see api/README.md);
    // they keep oversized heads away from the operations and the logs. AWS clients send about
    // 15 headers of under 2 KiB in all, SigV4 included.
    std::size_t max_uri_bytes = 16 * 1024;           // path and query as sent (414 beyond)
    std::size_t max_header_count = 100;              // 431 beyond
    std::size_t max_header_bytes = 16 * 1024;        // one header, name and value (431 beyond)
    std::size_t max_header_total_bytes = 64 * 1024;  // all headers together (431 beyond)
    JsonLimits json_limits;
    // Plain names in REST paths become ARNs in this region and account.
    std::string region = "us-east-1";
    std::string account = "123456789012";
    // stop() lets requests in flight finish for up to this long before closing connections.
    std::chrono::milliseconds drain_timeout{10000};
    // Checks every request but /healthz (core/auth); null serves everyone.
    std::shared_ptr<const auth::Authenticator> authenticator;
    // Where requests are counted and timed, and what GET /metrics renders; it must outlive the
    // server. Null: nothing is recorded and /metrics answers an empty page.
    metrics::Registry* metrics = nullptr;
  };

  HttpServer(ops::Operations& ops, Options options);
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts answering. Throws if the address cannot be bound.
  void start();
  // From now on new requests get 503 ServiceUnavailable; those in flight go on. The first step
  // of a shutdown: the owner then releases what holds requests open (long polls, ?wait=), so
  // that stop() does not wait for them.
  void refuse_new_requests();
  // New requests get 503; requests in flight get up to drain_timeout to be answered; then the
  // listener closes. Idempotent. Must not be called from a cpprestsdk thread.
  void stop();
  // True once stop() has begun: new requests are being refused.
  bool draining() const;

  // "http://HOST:PORT" as configured.
  std::string url() const;

  struct Shared;  // state that replies arriving after stop() may still touch

 private:
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<web::http::experimental::listener::http_listener> listener_;
};

}  // namespace stepd::api

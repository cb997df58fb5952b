#include "api/http_server.h"

#include <spdlog/spdlog.h>
#include "api/cpprest.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "api/auth_gate.h"
#include "api/aws_json_adapter.h"
#include "api/body_reader.h"
#include "api/cpprest_threads.h"
#include "api/error_reply.h"
#include "api/request_id.h"
#include "api/rest_adapter.h"
#include "api/route_table.h"
#include "core/common/api_error.h"

namespace stepd::api {

namespace {

// The label for requests that name no action this server knows (404, 405, bad targets, refused
// heads): one value, so that junk traffic cannot grow the number of series.
constexpr std::string_view kUnknownAction = "unknown";

// The status codes this server answers with, each given a slot so that recording a reply is an
// array index and an atomic add; any other code takes the family's mutex (rare by design).
int status_slot(int status) {
  switch (status) {
    case 200:
      return 0;
    case 400:
      return 1;
    case 403:
      return 2;
    case 404:
      return 3;
    case 405:
      return 4;
    case 408:
      return 5;
    case 413:
      return 6;
    case 414:
      return 7;
    case 429:
      return 8;
    case 431:
      return 9;
    case 500:
      return 10;
    case 503:
      return 11;
    default:
      return -1;
  }
}
constexpr size_t kStatusSlots = 12;

// Lets the action map be searched with a string_view, without building a string per request.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

// The request metrics of one action label, resolved once so that a reply records without
// building strings or looking anything up by name.
struct HttpActionMetrics {
  std::string action;
  metrics::Family<metrics::Counter>* requests = nullptr;
  metrics::Family<metrics::Histogram>* durations = nullptr;
  // Resolved at the first request of the action, so that actions nobody calls add no series.
  std::atomic<metrics::Histogram*> duration{nullptr};
  std::array<std::atomic<metrics::Counter*>, kStatusSlots> by_status{};

  void record(int status, double seconds) {
    metrics::Histogram* histogram = duration.load(std::memory_order_acquire);
    if (!histogram) {
      histogram = &durations->labels({action});
      duration.store(histogram, std::memory_order_release);
    }
    histogram->observe(seconds);
    const int slot = status_slot(status);
    if (slot < 0) {
      requests->labels({action, std::to_string(status)}).inc();
      return;
    }
    auto& cached = by_status[static_cast<size_t>(slot)];
    metrics::Counter* counter = cached.load(std::memory_order_acquire);
    if (!counter) {
      // Two threads may both resolve it; labels() gives both the same child.
      counter = &requests->labels({action, std::to_string(status)});
      cached.store(counter, std::memory_order_release);
    }
    counter->inc();
  }
};

struct HttpServer::Shared {
  Shared(ops::Operations& o, Options opt) : ops(o), options(std::move(opt)) {
    scope.region = options.region;
    scope.account = options.account;
    if (options.metrics) {
      requests_family = &options.metrics->counter(
          "stepd_http_requests_total", "HTTP requests answered, by action and status code.",
          {"action", "status"});
      duration_family = &options.metrics->histogram(
          "stepd_http_request_duration_seconds",
          "Time from a request's arrival to its reply being handed to the connection, by action.",
          {"action"}, metrics::latency_buckets());
      unknown_action = add_action_metrics(kUnknownAction);
      health_action = add_action_metrics("healthz");
      metrics_action = add_action_metrics("metrics");
    }
  }

  // Called before serving starts (constructor, start()); read-only afterwards.
  HttpActionMetrics* add_action_metrics(std::string_view action) {
    auto [it, inserted] = action_metrics.try_emplace(std::string(action));
    if (inserted) {
      it->second = std::make_unique<HttpActionMetrics>();
      it->second->action = std::string(action);
      it->second->requests = requests_family;
      it->second->durations = duration_family;
    }
    return it->second.get();
  }
  // The metrics of a known action, or those of the "unknown" label (null without a registry).
  HttpActionMetrics* metrics_for(std::string_view action) const {
    if (!options.metrics) return nullptr;
    auto it = action_metrics.find(action);
    return it == action_metrics.end() ? unknown_action : it->second.get();
  }

  void begin_request() {
    std::lock_guard lock(mu);
    ++in_flight;
  }
  void end_request() {
    std::lock_guard lock(mu);
    if (--in_flight == 0) idle.notify_all();
  }

  ops::Operations& ops;
  const Options options;
  ArnScope scope;
  std::unordered_set<std::string> actions;  // filled by start(), read-only afterwards
  metrics::Family<metrics::Counter>* requests_family = nullptr;
  metrics::Family<metrics::Histogram>* duration_family = nullptr;
  std::unordered_map<std::string, std::unique_ptr<HttpActionMetrics>, StringHash, std::equal_to<>>
      action_metrics;
  HttpActionMetrics* unknown_action = nullptr;
  HttpActionMetrics* health_action = nullptr;
  HttpActionMetrics* metrics_action = nullptr;
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::condition_variable idle;
  std::size_t in_flight = 0;
};

namespace {

using web::http::http_request;
using web::http::http_response;
using Headers = std::vector<std::pair<std::string, std::string>>;

// One request from its arrival to its single reply. Shared by every continuation and operation
// callback working on the request; whichever replies first wins, later attempts are ignored.
class Exchange {
 public:
  Exchange(std::shared_ptr<HttpServer::Shared> shared, http_request request)
      : shared_(std::move(shared)),
        request_(std::move(request)),
        request_id_(new_request_id()),
        started_(std::chrono::steady_clock::now()),
        label_(request_.method() + " " + request_.request_uri().path()),
        metrics_(shared_->unknown_action) {
    shared_->begin_request();
  }

  ~Exchange() {
    if (!replied_.load()) {
      // Operations promise to reply exactly once; a callback dropped without a reply is a bug,
      // but the client must still get an answer rather than a connection that never returns.
      spdlog::error("request {} ({}) was dropped without a reply", request_id_, label_);
      reply_error(std::make_exception_ptr(std::runtime_error("operation dropped its reply")));
    }
  }

  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const http_request& request() const { return request_; }
  HttpServer::Shared& shared() { return *shared_; }

  // Set before the request is handed to an operation, so the reply thread sees them.
  void set_action(std::string_view action) {
    label_ += " " + std::string(action);
    metrics_ = shared_->metrics_for(action);
  }
  // For routes that are not actions (/healthz, /metrics).
  void set_metrics(HttpActionMetrics* metrics) { metrics_ = metrics; }
  void set_content_type(std::string_view type) { content_type_ = type; }

  void reply(int status, const Json& body, const Headers& extra = {}) {
    if (replied_.load()) return;  // no serialising for a reply that will not be sent
    send(status, body.dump(-1, ' ', false, Json::error_handler_t::replace), extra);
  }

  // A body that is not JSON (GET /metrics).
  void reply_text(int status, std::string text, std::string_view content_type) {
    set_content_type(content_type);
    send(status, std::move(text), {});
  }

  void reply_error(std::exception_ptr error, const Headers& extra = {}) {
    auto [status, body] = error_reply(error);
    reply(status, body, extra);
  }

 private:
  void send(int status, std::string body, const Headers& extra) {
    if (replied_.exchange(true)) return;
    http_response response(static_cast<web::http::status_code>(status));
    response.headers().add("x-amzn-RequestId", request_id_);
    for (const auto& [name, value] : extra) response.headers().add(name, value);
    response.set_body(std::move(body), content_type_);
    const auto elapsed = std::chrono::steady_clock::now() - started_;
    if (metrics_) metrics_->record(status, std::chrono::duration<double>(elapsed).count());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    spdlog::debug("{} -> {} ({} ms) id={}", label_, status, ms, request_id_);
    try {
      // The request stays in flight until the reply has been written: stop() closes the
      // listener once nothing is in flight, and closing it earlier cuts replies short.
      // The reply task fails when the client has gone away; a failed task nobody looks at
      // terminates the process under pplx, so it is always observed.
      request_.reply(response).then([shared = shared_](pplx::task<void> sent) {
        try {
          sent.get();
        } catch (const std::exception& e) {
          spdlog::debug("reply not delivered: {}", e.what());
        }
        shared->end_request();
      });
    } catch (const std::exception& e) {
      // cpprestsdk already answered (it does on close()), so ours is surplus.
      spdlog::debug("reply not sent: {}", e.what());
      shared_->end_request();
    }
  }

  std::shared_ptr<HttpServer::Shared> shared_;
  http_request request_;
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;
  std::string label_;
  HttpActionMetrics* metrics_;  // null without a registry
  std::string content_type_{kRestContentType};
  std::atomic<bool> replied_{false};
};

using ExchangePtr = std::shared_ptr<Exchange>;

ops::Operations::Reply plain_reply(ExchangePtr ex) {
  return [ex = std::move(ex)](Json response, std::exception_ptr error) {
    if (error) {
      ex->reply_error(error);
    } else {
      ex->reply(200, response);
    }
  };
}

// Calls into the operations, turning a synchronous throw into an error reply.
template <typename Call>
void call_operations(const ExchangePtr& ex, Call&& call) {
  try {
    call();
  } catch (...) {
    ex->reply_error(std::current_exception());
  }
}

void reply_waited(const ExchangePtr& ex, Json description) {
  const int status = waited_execution_status(description);
  Headers extra;
  if (auto it = description.find("status"); it != description.end() && it->is_string()) {
    extra.emplace_back("x-stepd-execution-status", it->get<std::string>());
  }
  ex->reply(status, description, extra);
}

void wait_and_reply(const ExchangePtr& ex, const std::string& arn, int seconds, bool include_data) {
  auto& shared = ex->shared();
  call_operations(ex, [&] {
    shared.ops.wait_for_execution(arn, seconds, include_data,
                                  [ex](Json description, std::exception_ptr error) {
                                    if (error) {
                                      ex->reply_error(error);
                                    } else {
                                      reply_waited(ex, std::move(description));
                                    }
                                  });
  });
}

void serve_rest(const ExchangePtr& ex, const RouteMatch& match, const std::string& body) {
  auto& shared = ex->shared();
  RestCall call = prepare_rest_call(match, ex->request().request_uri().query(), body, shared.scope,
                                    shared.options.json_limits);
  ex->set_action(call.action);
  if (!shared.actions.contains(call.action)) {
    throw ApiError("UnknownOperationException", call.action + " is not supported by this server",
                   400);
  }
  if (!call.wait_seconds) {
    call_operations(
        ex, [&] { shared.ops.invoke(call.action, std::move(call.request), plain_reply(ex)); });
    return;
  }
  const int seconds = *call.wait_seconds;
  if (call.action != "StartExecution") {  // DescribeExecution: wait on the named execution
    bool include_data = call.request.value("includedData", "ALL_DATA") != "METADATA_ONLY";
    wait_and_reply(ex, call.request.at("executionArn").get<std::string>(), seconds, include_data);
    return;
  }
  call_operations(ex, [&] {
    shared.ops.invoke(call.action, std::move(call.request),
                      [ex, seconds](Json started, std::exception_ptr error) {
                        if (error) return ex->reply_error(error);
                        auto arn = started.find("executionArn");
                        if (arn == started.end() || !arn->is_string()) {
                          return ex->reply_error(std::make_exception_ptr(std::runtime_error(
                              "StartExecution answered without an executionArn")));
                        }
                        wait_and_reply(ex, arn->get<std::string>(), seconds, true);
                      });
  });
}

void serve_aws_json(const ExchangePtr& ex, const std::string& body) {
  auto& shared = ex->shared();
  std::optional<std::string> target;
  auto it = ex->request().headers().find("X-Amz-Target");
  if (it != ex->request().headers().end()) target = it->second;
  AwsJsonCall call =
      prepare_aws_json_call(target, body, shared.actions, shared.options.json_limits);
  ex->set_action(call.action);
  call_operations(
      ex, [&] { shared.ops.invoke(call.action, std::move(call.request), plain_reply(ex)); });
}

void serve_health(const ExchangePtr& ex) {
  auto& shared = ex->shared();
  ex->set_metrics(shared.health_action);
  Json body = Json::object();
  if (shared.draining.load()) {
    body["status"] = "stopping";
    ex->reply(503, body);
  } else if (!shared.ops.ready()) {
    body["status"] = "starting";
    ex->reply(503, body);
  } else {
    body["status"] = "ok";
    ex->reply(200, body);
  }
}

// Prometheus' text exposition format; the registry renders every family.
constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4";

void serve_metrics(const ExchangePtr& ex) {
  auto& shared = ex->shared();
  ex->set_metrics(shared.metrics_action);
  ex->reply_text(200, shared.options.metrics ? shared.options.metrics->render() : std::string(),
                 kMetricsContentType);
}

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
}

struct Refusal {
  int status;
  std::string message;
};

// Checks the request line and headers against the limits of Options; nullopt when they fit.
std::optional<Refusal> check_request_head(const http_request& request,
                                          const HttpServer::Options& options) {
  const std::size_t uri_bytes = request.relative_uri().to_string().size();
  if (uri_bytes > options.max_uri_bytes) {
    return Refusal{414, "request URI is " + std::to_string(uri_bytes) + " bytes, more than " +
                            std::to_string(options.max_uri_bytes)};
  }
  std::size_t count = 0;
  std::size_t total = 0;
  for (const auto& [name, value] : request.headers()) {
    const std::size_t bytes = name.size() + value.size();
    ++count;
    total += bytes;
    if (bytes > options.max_header_bytes) {
      return Refusal{431, "header " + name.substr(0, 64) + " is " + std::to_string(bytes) +
                              " bytes, more than " + std::to_string(options.max_header_bytes)};
    }
  }
  if (count > options.max_header_count) {
    return Refusal{431, "request has " + std::to_string(count) + " headers, more than " +
                            std::to_string(options.max_header_count)};
  }
  if (total > options.max_header_total_bytes) {
    return Refusal{431, "request headers are " + std::to_string(total) + " bytes, more than " +
                            std::to_string(options.max_header_total_bytes)};
  }
  return std::nullopt;
}

// Runs once the whole body is in.
void serve(const ExchangePtr& ex, const RequestBody& body) {
  auto& shared = ex->shared();
  const auto& request = ex->request();
  const std::string path = request.request_uri().path();

  if (body.too_large) {
    ex->reply(413, error_body("ValidationException",
                              "request body is larger than " +
                                  std::to_string(shared.options.max_body_bytes) + " bytes"));
    return;
  }
  auto match = match_route(request.method(), path);
  if (match && match->route && match->route->kind == RouteKind::kHealth) {
    serve_health(ex);
    return;
  }
  if (shared.draining.load()) {
    ex->reply(503, error_body("ServiceUnavailable", "the server is shutting down"),
              {{"Connection", "close"}});
    return;
  }
  if (!match) {
    ex->reply(404, error_body("UnknownOperationException",
                              "no such resource: " + request.method() + " " + path));
    return;
  }
  if (!match->route) {
    const std::string allowed = join(match->allowed_methods);
    ex->reply(405,
              error_body("UnknownOperationException", request.method() + " is not allowed on " +
                                                          path + " (allowed: " + allowed + ")"),
              {{"Allow", allowed}});
    return;
  }
  // Refusals by the authenticator are counted under the action that was asked for.
  ex->set_metrics(match->route->kind == RouteKind::kMetrics
                      ? shared.metrics_action
                      : shared.metrics_for(action_of(request, *match)));
  authorize_request(shared.options.authenticator.get(), request, *match, body.bytes);
  switch (match->route->kind) {
    case RouteKind::kAwsJson:
      serve_aws_json(ex, body.bytes);
      return;
    case RouteKind::kRest:
      serve_rest(ex, *match, body.bytes);
      return;
    case RouteKind::kHealth:
      serve_health(ex);
      return;
    case RouteKind::kMetrics:
      serve_metrics(ex);
      return;
  }
}

void handle(const std::shared_ptr<HttpServer::Shared>& shared, const http_request& request) {
  ExchangePtr ex;
  try {
    ex = std::make_shared<Exchange>(shared, request);  // a handle; copying is cheap
    if (ex->request().request_uri().path() == "/") ex->set_content_type(kAwsJsonContentType);
    // A refused head is answered without keeping any of the body. cpprestsdk sends no reply
    // before the body has fully arrived, so it is still read, and thrown away as it comes.
    auto refusal = check_request_head(ex->request(), shared->options);
    const std::size_t max_body = refusal ? 0 : shared->options.max_body_bytes;
    read_body_capped(ex->request(), max_body).then([ex, refusal](pplx::task<RequestBody> read) {
      RequestBody body;
      try {
        body = read.get();
      } catch (const std::exception& e) {
        // The client went away or broke the framing; nobody may be left to answer.
        spdlog::debug("request body could not be read: {}", e.what());
        ex->reply(400, error_body("SerializationException", "request body could not be read"));
        return;
      }
      if (refusal) {
        ex->reply(refusal->status, error_body("ValidationException", refusal->message));
        return;
      }
      try {
        serve(ex, body);
      } catch (...) {
        ex->reply_error(std::current_exception());
      }
    });
  } catch (...) {
    if (ex) {
      ex->reply_error(std::current_exception());
    } else {
      // Not even an Exchange: answer directly so the connection is not left hanging.
      spdlog::error("could not start serving a request");
      try {
        request.reply(web::http::status_codes::InternalError).then([](pplx::task<void> t) {
          try {
            t.get();
          } catch (...) {
          }
        });
      } catch (...) {
      }
    }
  }
}

}  // namespace

HttpServer::HttpServer(ops::Operations& ops, Options options)
    : shared_(std::make_shared<Shared>(ops, std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
}

std::string HttpServer::url() const {
  return "http://" + shared_->options.host + ":" + std::to_string(shared_->options.port);
}

void HttpServer::start() {
  if (listener_) return;
  initialize_cpprest_threads(shared_->options.threads);
  for (auto& action : shared_->ops.actions()) {
    shared_->actions.insert(action);
    if (shared_->options.metrics) shared_->add_action_metrics(action);
  }
  shared_->draining = false;

  auto listener = std::make_unique<web::http::experimental::listener::http_listener>(url() + "/");
  listener->support([shared = shared_](http_request request) { handle(shared, request); });
  if (!with_one_cpprest_thread([&] { listener->open().wait(); })) {
    spdlog::debug(
        "HTTP listener opened on the whole cpprestsdk pool; a request in its first "
        "instant may be answered 404 by the library");
  }
  listener_ = std::move(listener);
  spdlog::info("HTTP server listening on {}", url());
}

bool HttpServer::draining() const {
  return shared_->draining.load();
}

void HttpServer::refuse_new_requests() {
  shared_->draining = true;
}

void HttpServer::stop() {
  if (!listener_) return;
  shared_->draining = true;
  {
    std::unique_lock lock(shared_->mu);
    if (!shared_->idle.wait_for(lock, shared_->options.drain_timeout,
                                [&] { return shared_->in_flight == 0; })) {
      spdlog::warn("closing the HTTP server with {} requests still in flight", shared_->in_flight);
    }
  }
  try {
    listener_->close().wait();
  } catch (const std::exception& e) {
    spdlog::warn("closing the HTTP listener: {}", e.what());
  }
  listener_.reset();
  spdlog::info("HTTP server on {} stopped", url());
}

}  // namespace stepd::api

#include "api/cpprest_http_invoker.h"

#include <spdlog/spdlog.h>
#include "api/cpprest.h"

#include <algorithm>
#include <cctype>

#include "api/body_reader.h"

namespace stepd::api {

namespace {

using Done = tasks::HttpInvoker::Done;

void deliver(const Done& done, std::optional<tasks::HttpResponse> response, std::string error) {
  // `done` runs on a pplx continuation, where an escaping exception would go unobserved and
  // terminate the process.
  try {
    done(std::move(response), std::move(error));
  } catch (const std::exception& e) {
    spdlog::error("HTTP task completion handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("HTTP task completion handler threw an unknown exception");
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

CpprestHttpInvoker::CpprestHttpInvoker() : CpprestHttpInvoker(Options{}) {}

CpprestHttpInvoker::CpprestHttpInvoker(Options options) : options_(options) {}

CpprestHttpInvoker::~CpprestHttpInvoker() = default;

std::shared_ptr<web::http::client::http_client> CpprestHttpInvoker::client_for(
    const std::string& origin, int timeout_seconds) {
  const std::string key = origin + " " + std::to_string(timeout_seconds);
  std::lock_guard lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  web::http::client::http_client_config config;
  config.set_timeout(std::chrono::seconds(std::max(1, timeout_seconds)));
  auto client = std::make_shared<web::http::client::http_client>(web::uri(origin), config);
  lru_.emplace_front(key, client);
  by_key_[key] = lru_.begin();
  while (lru_.size() > std::max<std::size_t>(1, options_.max_cached_clients)) {
    by_key_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return client;
}

void CpprestHttpInvoker::send(tasks::HttpRequest request, Done done) {
  std::shared_ptr<web::http::client::http_client> client;
  web::http::http_request out;
  try {
    web::uri uri(request.url);
    if (uri.scheme() != "http" && uri.scheme() != "https") {
      deliver(done, std::nullopt, "unsupported URL scheme in " + request.url);
      return;
    }
    web::uri_builder origin;
    origin.set_scheme(uri.scheme()).set_host(uri.host()).set_port(uri.port());
    client = client_for(origin.to_string(), request.timeout_seconds);

    out.set_method(request.method);
    out.set_request_uri(uri.resource());
    std::optional<std::string> content_type;
    for (const auto& [name, value] : request.headers) {
      if (iequals(name, "Content-Type")) {
        content_type = value;  // set_body() owns this header
      } else {
        out.headers().add(name, value);
      }
    }
    if (!request.body.empty()) {
      out.set_body(std::move(request.body), content_type.value_or("application/octet-stream"));
    } else if (content_type) {
      out.headers().set_content_type(*content_type);
    }
  } catch (const std::exception& e) {
    deliver(done, std::nullopt, std::string("cannot send HTTP request: ") + e.what());
    return;
  }

  auto shared_done = std::make_shared<Done>(std::move(done));
  const std::size_t max_bytes = options_.max_response_bytes;
  client->request(out).then(
      [client, shared_done, max_bytes](pplx::task<web::http::http_response> sent) {
        web::http::http_response response;
        try {
          response = sent.get();
        } catch (const std::exception& e) {
          deliver(*shared_done, std::nullopt, e.what());
          return;
        }
        auto result = std::make_shared<tasks::HttpResponse>();
        result->status_code = response.status_code();
        result->status_text = response.reason_phrase();
        for (const auto& [name, value] : response.headers()) {
          result->headers.emplace_back(name, value);
        }
        read_capped(response.body(), response.headers(), max_bytes)
            .then([client, shared_done, result, max_bytes](pplx::task<RequestBody> read) {
              try {
                RequestBody body = read.get();
                if (body.too_large) {
                  deliver(*shared_done, std::nullopt,
                          "response body is larger than " + std::to_string(max_bytes) + " bytes");
                  return;
                }
                result->body = std::move(body.bytes);
              } catch (const std::exception& e) {
                deliver(*shared_done, std::nullopt,
                        std::string("reading the response body: ") + e.what());
                return;
              }
              deliver(*shared_done, std::move(*result), {});
            });
      });
}

}  // namespace stepd::api

#pragma once
// Outbound HTTP for the `arn:aws:states:::http:invoke` task. The core only knows this
// interface; the implementation lives beside the HTTP server (api/) so that one library owns
// all HTTP code.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stepd::tasks {

struct HttpRequest {
  std::string method;  // GET POST PUT DELETE PATCH HEAD OPTIONS
  std::string url;     // absolute, query string already appended
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_seconds = 60;
};

struct HttpResponse {
  int status_code = 0;
  std::string status_text;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class HttpInvoker {
 public:
  virtual ~HttpInvoker() = default;
  // Calls done exactly once, from any thread: with the response (any status code), or with
  // nullopt and a description of the network failure (connection refused, timeout ...).
  using Done = std::function<void(std::optional<HttpResponse>, std::string error)>;
  virtual void send(HttpRequest request, Done done) = 0;
};

}  // namespace stepd::tasks

#pragma once
// Errors of the API (InvalidToken, ExecutionDoesNotExist ...): the AWS error name, a message a
// person can act on, and the HTTP status AWS answers with. Thrown by operations and mapped to
// {"__type": ..., "message": ...} by api/.
#include <exception>
#include <string>
#include <utility>

namespace stepd {

class ApiError : public std::exception {
 public:
  ApiError(std::string type, std::string message, int http_status = 400)
      : type_(std::move(type)), message_(std::move(message)), http_status_(http_status) {}
  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }
  int http_status() const { return http_status_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string type_;
  std::string message_;
  int http_status_;
};

}  // namespace stepd

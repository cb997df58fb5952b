#include "api/error_reply.h"

#include <spdlog/spdlog.h>

#include <string>

#include "core/common/api_error.h"
#include "core/store/store_error.h"

namespace stepd::api {

Json error_body(std::string_view type, std::string_view message) {
  Json body = Json::object();
  body["__type"] = std::string(type);
  body["message"] = std::string(message);
  return body;
}

ErrorReply error_reply(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
    spdlog::error("request failed without an error value");
  } catch (const ApiError& e) {
    return {e.http_status(), error_body(e.type(), e.message())};
  } catch (const store::StoreUnavailable& e) {
    // The write was rolled back whole and can be sent again; AWS clients retry
    // ServiceUnavailable by themselves. SQLite's message (with its SQL) stays in the log.
    spdlog::warn("store unavailable while serving a request: {}", e.what());
    return {503, error_body("ServiceUnavailable",
                            "stepd cannot write to its store right now (disk full, read-only "
                            "database or I/O error); reads still work; retry later")};
  } catch (const std::exception& e) {
    spdlog::error("internal failure while serving a request: {}", e.what());
  } catch (...) {
    spdlog::error("internal failure while serving a request: unknown exception");
  }
  return {500, error_body("InternalFailure",
                          "The request processing has failed because of an "
                          "unknown error, exception or failure.")};
}

}  // namespace stepd::api

#pragma once
// The one error shape of both front doors: {"__type": "<AWS error name>", "message": "..."} with
// the status AWS uses for that error. botocore and the AWS CLI read exactly these two fields.
#include <exception>
#include <string_view>

#include "core/common/json.h"

namespace stepd::api {

struct ErrorReply {
  int status = 500;
  Json body;
};

Json error_body(std::string_view type, std::string_view message);

// ApiError keeps its type and status; store::StoreUnavailable (disk full, read-only database)
// is 503 ServiceUnavailable. Anything else is a bug or an unexpected failure: it is
// logged with its text and answered as a bare 500 InternalFailure, so internals never leak.
ErrorReply error_reply(std::exception_ptr error);

}  // namespace stepd::api

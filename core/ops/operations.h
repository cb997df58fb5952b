#pragma once
// The API actions, one entry point for both front doors (AWS JSON 1.0 and REST). A request is
// the AWS JSON body of the action and so is the response; field names, validation and errors
// are AWS's. api/ only translates transports onto this.
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "core/common/json.h"

namespace stepd::ops {

class Operations {
 public:
  virtual ~Operations() = default;

  // Called exactly once: with the response body, or with an exception (ApiError for AWS
  // errors; anything else is an internal failure). May run on another thread than the caller
  // (GetActivityTask long-polls; a start with a wait completes when the execution ends).
  using Reply = std::function<void(Json response, std::exception_ptr error)>;

  // `action` is the AWS action name, e.g. "StartExecution". Unknown names reply with
  // UnknownOperationException.
  virtual void invoke(const std::string& action, Json request, Reply reply) = 0;

  // The action names invoke() accepts.
  virtual std::vector<std::string> actions() const = 0;

  // Replies with DescribeExecution's response once the execution has left RUNNING, or after
  // `timeout_seconds` with its current description (status still RUNNING). Without
  // `include_data` the description leaves out input and output (includedData METADATA_ONLY).
  virtual void wait_for_execution(const std::string& execution_arn, int timeout_seconds,
                                  bool include_data, Reply reply) = 0;

  // True once the store is open and recovery is done.
  virtual bool ready() const = 0;
};

}  // namespace stepd::ops

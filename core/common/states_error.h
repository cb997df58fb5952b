#pragma once
// Runtime errors of an execution, named as Step Functions names them (States.Timeout,
// States.ParameterPathFailure, a worker's own error name ...). They are values: the engine
// routes them through Retry/Catch. StatesException carries one out of deep evaluation code
// (paths, templates, intrinsics) to the state that was running.
#include <exception>
#include <string>
#include <utility>

namespace stepd {

struct StatesError {
  std::string error;  // e.g. "States.Runtime"; may be empty for SendTaskFailure without error
  std::string cause;
};

class StatesException : public std::exception {
 public:
  StatesException(std::string error, std::string cause)
      : value_{std::move(error), std::move(cause)} {}
  explicit StatesException(StatesError value) : value_(std::move(value)) {}
  const StatesError& value() const { return value_; }
  const char* what() const noexcept override { return value_.cause.c_str(); }

 private:
  StatesError value_;
};

// Error names used in more than one place.
namespace errors {
inline constexpr const char* kAll = "States.ALL";
inline constexpr const char* kTaskFailed = "States.TaskFailed";
inline constexpr const char* kTimeout = "States.Timeout";
inline constexpr const char* kHeartbeatTimeout = "States.HeartbeatTimeout";
inline constexpr const char* kRuntime = "States.Runtime";
inline constexpr const char* kDataLimitExceeded = "States.DataLimitExceeded";
inline constexpr const char* kParameterPathFailure = "States.ParameterPathFailure";
inline constexpr const char* kResultPathMatchFailure = "States.ResultPathMatchFailure";
inline constexpr const char* kIntrinsicFailure = "States.IntrinsicFailure";
inline constexpr const char* kNoChoiceMatched = "States.NoChoiceMatched";
inline constexpr const char* kBranchFailed = "States.BranchFailed";
inline constexpr const char* kHttpSocket = "States.Http.Socket";
}  // namespace errors

}  // namespace stepd

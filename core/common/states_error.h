#pragma once
// Runtime errors of an execution, named as Step Functions names them (States.Timeout,
// States.ParameterPathFailure, a worker's own error name ...). They are values: the engine
// routes them through Retry/Catch. StatesException carries one out of deep evaluation code
// (paths, templates, intrinsics) to the state that was running; when a JSONata expression failed
// it also names the field it was written in ("Output/a", "Choices[0]/Condition"), which the engine
// records in the history (EvaluationFailed's `location`).
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
  StatesException(std::string error, std::string cause, std::string location)
      : value_{std::move(error), std::move(cause)}, location_(std::move(location)) {}
  explicit StatesException(StatesError value) : value_(std::move(value)) {}
  const StatesError& value() const { return value_; }
  // The field whose expression failed; empty when the error names no field.
  const std::string& location() const { return location_; }
  const char* what() const noexcept override { return value_.cause.c_str(); }

 private:
  StatesError value_;
  std::string location_;
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

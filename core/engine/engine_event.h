#pragma once
// What can happen to a running execution from outside the engine. Each is fed to advance()
// and becomes history events and new waits.
#include <cstdint>
#include <string>

#include "core/common/json.h"
#include "core/common/states_error.h"

namespace stepd::engine {

struct EngineEvent {
  enum class Kind {
    kStart,            // the execution begins (only from Engine::start_execution)
    kTaskSucceeded,    // SendTaskSuccess; `output` is the JSON text
    kTaskFailed,       // SendTaskFailure; `error`
    kTaskHeartbeat,    // SendTaskHeartbeat: moves the heartbeat timer, writes no event
    kActivityStarted,  // a worker took the task with GetActivityTask; `worker_name`
    kHttpResponse,     // the HTTP task's call returned; `payload` (see below)
    kSqlResult,        // a SQL task's Data API call returned; `payload` (see below)
    kTimerFired,       // timer `timer_tag` came due
    kStop,             // StopExecution; `error` holds the user's error and cause
    kRedrive,          // RedriveExecution of a FAILED/TIMED_OUT/ABORTED execution
  };
  Kind kind = Kind::kStart;
  int64_t task_seq = 0;  // the task attempt a task event is for
  std::string output;
  StatesError error;
  std::string worker_name;
  std::string timer_tag;
  std::string client_token;  // kRedrive: RedriveExecution's clientToken, kept with the execution
  // kHttpResponse: {"StatusCode", "StatusText", "Headers", "ResponseBody"} on a reply, or
  // {"SocketError": "..."} when the call failed on the network.
  // kSqlResult: {"Output": the call's response} or {"Error": name, "Cause": text}.
  Json payload;

  static EngineEvent timer(std::string tag) {
    EngineEvent e;
    e.kind = Kind::kTimerFired;
    e.timer_tag = std::move(tag);
    return e;
  }
};

}  // namespace stepd::engine

#include "core/engine/history_event.h"

#include <algorithm>
#include <iterator>
#include <string>

namespace stepd::engine {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The *EventDetails members of HistoryEvent in the API model.
constexpr std::string_view kMembers[] = {"activityFailedEventDetails",
                                         "activityScheduleFailedEventDetails",
                                         "activityScheduledEventDetails",
                                         "activityStartedEventDetails",
                                         "activitySucceededEventDetails",
                                         "activityTimedOutEventDetails",
                                         "evaluationFailedEventDetails",
                                         "executionAbortedEventDetails",
                                         "executionFailedEventDetails",
                                         "executionRedrivenEventDetails",
                                         "executionStartedEventDetails",
                                         "executionSucceededEventDetails",
                                         "executionTimedOutEventDetails",
                                         "lambdaFunctionFailedEventDetails",
                                         "lambdaFunctionScheduleFailedEventDetails",
                                         "lambdaFunctionScheduledEventDetails",
                                         "lambdaFunctionStartFailedEventDetails",
                                         "lambdaFunctionSucceededEventDetails",
                                         "lambdaFunctionTimedOutEventDetails",
                                         "mapIterationAbortedEventDetails",
                                         "mapIterationFailedEventDetails",
                                         "mapIterationStartedEventDetails",
                                         "mapIterationSucceededEventDetails",
                                         "mapRunFailedEventDetails",
                                         "mapRunRedrivenEventDetails",
                                         "mapRunStartedEventDetails",
                                         "mapStateStartedEventDetails",
                                         "stateEnteredEventDetails",
                                         "stateExitedEventDetails",
                                         "taskFailedEventDetails",
                                         "taskScheduledEventDetails",
                                         "taskStartFailedEventDetails",
                                         "taskStartedEventDetails",
                                         "taskSubmitFailedEventDetails",
                                         "taskSubmittedEventDetails",
                                         "taskSucceededEventDetails",
                                         "taskTimedOutEventDetails"};

}  // namespace

std::string details_member(std::string_view type) {
  // <Kind>StateEntered / <Kind>StateExited share one member each.
  if (ends_with(type, "StateEntered")) return "stateEnteredEventDetails";
  if (ends_with(type, "StateExited")) return "stateExitedEventDetails";
  // Otherwise the member is the type with a lower-case first letter and "EventDetails"
  // (TaskScheduled → taskScheduledEventDetails), when the model has one.
  if (type.empty()) return "";
  std::string m(type);
  m[0] = static_cast<char>(m[0] - 'A' + 'a');
  m += "EventDetails";
  return std::find(std::begin(kMembers), std::end(kMembers), m) != std::end(kMembers) ? m : "";
}

}  // namespace stepd::engine

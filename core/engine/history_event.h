#pragma once
// AWS history event types and the name of the member that carries each one's details
// (e.g. "TaskStateEntered" → "stateEnteredEventDetails").
#include <string>
#include <string_view>

namespace stepd::engine {

// "" when the type carries no details member (e.g. "ParallelStateStarted").
std::string details_member(std::string_view event_type);

}  // namespace stepd::engine

#pragma once
// When a closed execution may be redriven. One rule, asked by DescribeExecution and
// ListExecutions (redriveStatus, redriveStatusReason) and by RedriveExecution (which refuses
// with ExecutionNotRedrivable), so that what an execution says about itself and what the
// action does never disagree.
#include <cstdint>
#include <optional>
#include <string>

#include "core/store/records.h"

namespace stepd::engine {

// A closed execution may be redriven for this long after it stopped.
inline constexpr int64_t kRedrivePeriodMs = int64_t{14} * 24 * 60 * 60 * 1000;
// No execution runs longer than a year, redrives included, so one started longer ago than
// that cannot be redriven either.
inline constexpr int64_t kMaxExecutionMs = int64_t{365} * 24 * 60 * 60 * 1000;

// nullopt when `execution` may be redriven at `now_ms`; otherwise the reason it may not, in
// AWS's words. Redrivable: status FAILED, TIMED_OUT or ABORTED; stopped less than 14 days
// ago; started less than a year ago; and room left in the history for ExecutionRedriven and
// at least one more event (event_count < history_limit - 1).
std::optional<std::string> not_redrivable_reason(const store::ExecutionRecord& execution,
                                                 int64_t now_ms, int64_t history_limit);

}  // namespace stepd::engine

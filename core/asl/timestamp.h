#pragma once
// RFC 3339 timestamps as Step Functions reads them: Wait.Timestamp, TimestampPath and the
// Timestamp* Choice operators. AWS accepts only the full date-time form (a 'T' between date and
// time, seconds present, an explicit 'Z' or numeric offset), so this parser is stricter than
// ISO 8601 on purpose.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stepd::asl {

// Milliseconds since the Unix epoch (UTC); nullopt when `text` is not an RFC 3339 date-time
// that Step Functions accepts. Fractions finer than a millisecond are truncated.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

// "2016-08-18T17:33:00.123Z": always UTC with exactly three fraction digits, the form AWS uses
// for context-object times ($$.Execution.StartTime, $$.State.EnteredTime).
std::string format_rfc3339(int64_t epoch_ms);

}  // namespace stepd::asl

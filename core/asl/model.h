#pragma once
// The immutable model of a state machine, built once by parse_state_machine() at
// CreateStateMachine and shared read-only by every execution of that definition revision.
// States are one flat struct rather than a class per type: the engine switches on `type`,
// and the fields a type does not use stay empty (the validator guarantees which are set).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/asl/choice_rule.h"
#include "core/asl/json_path.h"
#include "core/asl/jsonata_field.h"
#include "core/asl/payload_template.h"
#include "core/common/json.h"

namespace stepd::asl {

enum class StateType { kPass, kTask, kChoice, kWait, kSucceed, kFail, kParallel, kMap };
enum class QueryLanguage { kJsonPath, kJsonata };

const char* state_type_name(StateType t);  // "Pass", "Task", ...

// InputPath / OutputPath / ResultPath: absent (the default "$"), an explicit JSON null, or a path.
struct PathField {
  enum class Kind { kDefault, kNull, kPath };
  Kind kind = Kind::kDefault;
  std::string path;  // set when kind == kPath
  // `path` parsed, set by parse_state_machine() for JSONPath states; null in a PathField made
  // on the fly, which is then parsed where it is used.
  std::shared_ptr<const CompiledPath> compiled;
  bool is_null() const { return kind == Kind::kNull; }
};

struct Retrier {
  std::vector<std::string> error_equals;
  int64_t interval_seconds = 1;
  int64_t max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<int64_t> max_delay_seconds;
  bool jitter_full = false;  // JitterStrategy FULL
};

struct Catcher {
  std::vector<std::string> error_equals;
  std::string next;
  PathField result_path;  // default "$": the error output replaces the input
  std::optional<Json> assign;
  std::optional<Json> output;  // JSONata `Output`
};

struct StateMachine;

struct State {
  std::string name;
  StateType type = StateType::kPass;
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::string comment;
  std::string next;  // empty when `end` or a Choice/Succeed/Fail
  bool end = false;

  PathField input_path;
  PathField output_path;
  PathField result_path;
  std::optional<Json> parameters;  // Parameters (JSONPath) or Arguments (JSONata)
  std::optional<Json> result_selector;
  std::optional<Json> result;  // Pass
  std::optional<Json> assign;
  std::optional<Json> output;  // JSONata `Output`
  // Parameters, ResultSelector and ItemSelector compiled (JSONPath states; null otherwise).
  std::shared_ptr<const CompiledTemplate> parameters_template;
  std::shared_ptr<const CompiledTemplate> result_selector_template;
  std::shared_ptr<const CompiledTemplate> item_selector_template;

  // Task
  std::string resource;
  std::optional<int64_t> timeout_seconds;
  std::string timeout_seconds_path;
  std::optional<int64_t> heartbeat_seconds;
  std::string heartbeat_seconds_path;
  std::optional<Json> credentials;

  // Task, Parallel, Map
  std::vector<Retrier> retry;
  std::vector<Catcher> catch_;

  // Choice
  std::vector<ChoiceRule> choices;
  std::string default_next;

  // Wait (exactly one is set)
  std::optional<int64_t> seconds;
  std::optional<std::string> timestamp;  // RFC 3339 text as written
  std::string seconds_path;
  std::string timestamp_path;

  // Fail
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::string error_path;
  std::string cause_path;

  // Parallel
  std::vector<std::shared_ptr<const StateMachine>> branches;

  // Map (inline; ItemProcessor or the older Iterator)
  std::shared_ptr<const StateMachine> item_processor;
  std::string processor_mode = "INLINE";  // ProcessorConfig.Mode
  std::string items_path;                 // empty means "$"
  std::optional<Json> items;              // JSONata `Items`, or a literal array
  std::optional<Json> item_selector;      // ItemSelector (or the older Parameters on Map)
  std::optional<int64_t> max_concurrency;
  std::string max_concurrency_path;
  std::optional<double> tolerated_failure_percentage;
  std::string tolerated_failure_percentage_path;
  std::optional<int64_t> tolerated_failure_count;
  std::string tolerated_failure_count_path;
  std::string label;

  // JSONata states: each field that holds JSONata, compiled, under the name AWS gives it in
  // messages: "Output", "Arguments", "Assign", "Items", "ItemSelector", "Seconds", "Error",
  // "Choices[0]/Condition", "Choices[0]/Output", "Catch[1]/Assign" ... Fields written as plain
  // values without "{% %}" anywhere (a literal Seconds, a literal Error) are not here.
  std::map<std::string, std::shared_ptr<const JsonataField>> jsonata;
  const JsonataField* jsonata_field(const std::string& name) const {
    auto it = jsonata.find(name);
    return it == jsonata.end() ? nullptr : it->second.get();
  }

  Json raw;  // the state's definition as written
  // Whether the definition mentions "$$" anywhere (the engine then builds the whole context
  // object, the execution's input included).
  bool mentions_context = false;
};

// A whole definition, or one Parallel branch / Map item processor (which have the same shape).
struct StateMachine {
  std::string start_at;
  std::string comment;
  std::optional<int64_t> timeout_seconds;
  QueryLanguage query_language = QueryLanguage::kJsonPath;
  std::vector<State> states;  // in definition order
  std::unordered_map<std::string, size_t> index;

  const State* find(std::string_view name) const {
    auto it = index.find(std::string(name));
    return it == index.end() ? nullptr : &states[it->second];
  }
};

}  // namespace stepd::asl

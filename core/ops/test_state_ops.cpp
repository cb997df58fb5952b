// TestState: reading and checking the request the way AWS does, and building the small machine
// the state runs in. The run itself is test_state_run.cpp.
#include <algorithm>
#include <optional>
#include <string_view>

#include "core/asl/parser.h"
#include "core/common/api_error.h"
#include "core/ops/arn.h"
#include "core/ops/service.h"
#include "core/ops/test_state_run.h"
#include "core/ops/validation.h"

namespace stepd::ops {
namespace {

// AWS runs a definition of one state under this name: $$.State.Name shows it.
constexpr std::string_view kLoneStateName = "StateName";
[[noreturn]] void invalid(std::string message) {
  throw ApiError("ValidationException", std::move(message));
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Parses JSON text; nullopt when it is not JSON or nests deeper than `max_depth` (checked
// before anything recursive sees it).
std::optional<Json> parse_bounded(const std::string& text, size_t max_depth = kMaxPayloadDepth) {
  if (json_depth(text) > max_depth) return std::nullopt;
  Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::shared_ptr<const asl::StateMachine> parse_definition_or_throw(const std::string& text) {
  try {
    return asl::parse_state_machine(text);
  } catch (const asl::DefinitionException& e) {
    throw ApiError("InvalidDefinition", e.message());
  }
}

// Parses the machine built around the state under test. A broken state often leaves that
// machine without a terminal state too; that finding is about our wrapping, not the user's
// definition, so it is left out when there are others.
std::shared_ptr<const asl::StateMachine> parse_test_machine(const std::string& text) {
  try {
    return asl::parse_state_machine(text);
  } catch (const asl::DefinitionException& e) {
    std::vector<asl::Diagnostic> found = e.diagnostics();
    std::erase_if(found, [](const asl::Diagnostic& d) { return d.code == "MISSING_END_STATE"; });
    if (found.empty() || found.size() == e.diagnostics().size()) {
      throw ApiError("InvalidDefinition", e.message());
    }
    throw ApiError("InvalidDefinition", asl::definition_error_message(found));
  }
}

// The state under test, as written, with its name (empty for a lone state) and the
// QueryLanguage of the machine around it (null when there is none).
struct TestedState {
  Json state;
  std::string name;
  Json query_language;
};

TestedState find_tested_state(const std::string& definition,
                              const std::optional<std::string>& state_name) {
  std::optional<Json> doc = parse_bounded(definition, asl::kMaxDefinitionJsonDepth);
  if (!doc) {
    // The definition parser words JSON problems the way AWS does.
    parse_definition_or_throw(definition);
    throw ApiError("InvalidDefinition",
                   "Invalid State Machine Definition: the definition is not JSON");
  }
  if (!state_name) return {std::move(*doc), "", Json()};
  // A whole state machine: it must be valid as a whole, and have the state.
  auto machine = parse_definition_or_throw(definition);
  const asl::State* s = machine->find(*state_name);
  if (!s) invalid("State not found in definition");
  TestedState t{s->raw, *state_name, Json()};
  if (auto it = doc->find("QueryLanguage"); it != doc->end()) t.query_language = *it;
  return t;
}

// The states a state can move to: Next, Default, and the Next of its choices and catchers.
std::vector<std::string> transition_targets(const Json& state) {
  std::vector<std::string> out;
  auto add = [&out](const Json& obj) {
    if (!obj.is_object()) return;
    for (const char* key : {"Next", "Default"}) {
      auto it = obj.find(key);
      if (it != obj.end() && it->is_string()) out.push_back(it->get<std::string>());
    }
  };
  add(state);
  if (!state.is_object()) return out;
  for (const char* list : {"Choices", "Catch"}) {
    auto it = state.find(list);
    if (it == state.end() || !it->is_array()) continue;
    for (const auto& item : *it) add(item);
  }
  return out;
}

// Every transition target of a state (Next, Default, the Next of its choices and catchers),
// with `fn` applied to it.
template <class Fn>
void for_each_target(asl::State& s, Fn fn) {
  fn(s.next);
  fn(s.default_next);
  for (auto& rule : s.choices) fn(rule.next);
  for (auto& c : s.catch_) fn(c.next);
}

void rename_targets(Json& state, const std::string& from, const std::string& to) {
  auto rename = [&](Json& obj) {
    if (!obj.is_object()) return;
    for (const char* key : {"Next", "Default"}) {
      auto it = obj.find(key);
      if (it != obj.end() && *it == from) *it = to;
    }
  };
  rename(state);
  if (!state.is_object()) return;
  for (const char* list : {"Choices", "Catch"}) {
    auto it = state.find(list);
    if (it == state.end() || !it->is_array()) continue;
    for (auto& item : *it) rename(item);
  }
}

// The machine a test runs: it starts at the state under test, and a Succeed state stands in
// for each state that one can move to, so that the run stops right after it and the history
// names where it went.
std::shared_ptr<const asl::StateMachine> build_test_machine(TestedState& t) {
  std::vector<std::string> targets = transition_targets(t.state);
  auto targeted = [&targets](const std::string& name) {
    return std::find(targets.begin(), targets.end(), name) != targets.end();
  };
  if (t.name.empty()) {
    t.name = std::string(kLoneStateName);
    while (targeted(t.name)) t.name += "_";
  }
  // A transition back to the state itself is valid inside its definition, but a machine of
  // that state alone may then have no reachable end, which the validator refuses. Such
  // targets are checked under a stand-in name and put back afterwards.
  std::string loop_stand_in;
  Json state = t.state;
  if (targeted(t.name)) {
    loop_stand_in = "Loop";
    while (loop_stand_in == t.name || targeted(loop_stand_in)) loop_stand_in += "_";
    rename_targets(state, t.name, loop_stand_in);
  }
  Json states = Json::object();
  states[t.name] = std::move(state);
  for (const auto& target : targets) {
    const std::string& name = target == t.name ? loop_stand_in : target;
    if (!states.contains(name)) states[name] = Json{{"Type", "Succeed"}};
  }
  Json machine{{"StartAt", t.name}};
  if (!t.query_language.is_null()) machine["QueryLanguage"] = t.query_language;
  machine["States"] = std::move(states);
  auto parsed = parse_test_machine(machine.dump());
  if (loop_stand_in.empty()) return parsed;

  auto looped = std::make_shared<asl::StateMachine>(*parsed);
  auto& list = looped->states;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const asl::State& s) { return s.name == loop_stand_in; }),
             list.end());
  looped->index.clear();
  for (size_t i = 0; i < list.size(); ++i) looped->index[list[i].name] = i;
  for (auto& s : list) {
    if (s.name != t.name) continue;
    for_each_target(s, [&](std::string& target) {
      if (target == loop_stand_in) target = t.name;
    });
    s.raw = t.state;
  }
  return looped;
}

bool is_activity(const std::string& resource) {
  return starts_with(resource, "arn:") && resource.find(":activity:") != std::string::npos;
}

bool waits_for_callback(const std::string& resource) {
  return ends_with(resource, ".sync") || ends_with(resource, ".sync:2") ||
         ends_with(resource, ".waitForTaskToken");
}

// What the request asks to stand in for the state's work.
struct MockRequest {
  std::optional<std::string> result;
  std::optional<Json> error_output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
};

void check_mock(const MockRequest& mock, const asl::State& s, bool reveal_secrets,
                engine::TestHooks& hooks) {
  if (s.type != asl::StateType::kTask && s.type != asl::StateType::kMap &&
      s.type != asl::StateType::kParallel) {
    invalid(std::string("State type '") + asl::state_type_name(s.type) +
            "' is not supported when a mock is specified");
  }
  if (reveal_secrets) invalid("TestState does not support RevealSecrets when a mock is specified.");
  if (mock.result && mock.error_output) {
    invalid("A test mock should have only one of the following fields: [result, errorOutput].");
  }
  if (!mock.result && !mock.error_output) {
    invalid("A test mock should have one of the following fields: [result, errorOutput].");
  }
  if (mock.error_output) {
    if (!mock.error) invalid("A mocked errorOutput must have an error.");
    hooks.mock_error = StatesError{*mock.error, mock.cause.value_or("")};
    return;
  }
  std::optional<Json> result = parse_bounded(*mock.result);
  if (!result) invalid("Mocked result must be valid JSON.");
  if (s.type == asl::StateType::kMap) {
    bool writes_results = s.raw.is_object() && s.raw.contains("ResultWriter");
    if (writes_results && !result->is_object()) invalid("Mocked result must be a JSON object.");
    if (!writes_results && !result->is_array()) invalid("Mocked result must be an array.");
  }
  if (s.type == asl::StateType::kParallel) {
    if (!result->is_array()) invalid("Mocked result must be an array.");
    if (result->size() != s.branches.size()) {
      invalid(
          "Mocked result must contain the same number of items as number of Parallel branches.");
    }
  }
  hooks.mock_result = std::move(*result);
}

// What a state needs when nothing stands in for its work.
void check_unmocked(const asl::State& s, const std::optional<std::string>& role_arn) {
  if (s.type == asl::StateType::kMap || s.type == asl::StateType::kParallel) {
    throw ApiError("InvalidDefinition",
                   "TestState API does not support Map or Parallel states. Supported state types "
                   "include: [Task, Wait, Pass, Succeed, Fail, Choice]");
  }
  if (s.type != asl::StateType::kTask) return;
  if (is_activity(s.resource)) {
    invalid(
        "TestState runs an Activity task only with a mock: the activity's worker is not "
        "called. Specify mock.result or mock.errorOutput.");
  }
  if (waits_for_callback(s.resource)) {
    invalid(
        "TestState runs the .sync and .waitForTaskToken integration patterns only with a "
        "mock. Specify mock.result or mock.errorOutput.");
  }
  if (!role_arn) invalid("RoleArn must be specified when testing a Task state");
}

// The context object the state sees instead of the generated one: only the members the
// service itself sets, with their types.
void check_context(const Json& context, const asl::State& s) {
  const std::string prefix = "Invalid Context object provided: ";
  if (!context.is_object()) invalid(prefix + "the context must be a JSON object");
  enum class Kind { kString, kInteger, kAny };
  struct Field {
    std::string_view name;
    Kind kind;
  };
  struct Section {
    std::string_view name;
    std::vector<Field> fields;
  };
  static const std::vector<Section> kSections = {
      {"Execution",
       {{"Id", Kind::kString},
        {"Input", Kind::kAny},
        {"Name", Kind::kString},
        {"RoleArn", Kind::kString},
        {"StartTime", Kind::kString},
        {"RedriveCount", Kind::kInteger},
        {"RedriveTime", Kind::kString}}},
      {"State",
       {{"EnteredTime", Kind::kString}, {"Name", Kind::kString}, {"RetryCount", Kind::kInteger}}},
      {"StateMachine", {{"Id", Kind::kString}, {"Name", Kind::kString}}},
      {"Task", {{"Token", Kind::kString}}},
  };
  for (const auto& [name, value] : context.items()) {
    if (name == "Map")
      invalid(prefix + "'Map' field is not supported when mocking a Context object");
    auto section = std::find_if(kSections.begin(), kSections.end(),
                                [&](const Section& sec) { return sec.name == name; });
    if (section == kSections.end()) invalid(prefix + "Field '" + name + "' is not allowed");
    if (!value.is_object()) invalid(prefix + name + " must be an object");
    for (const auto& [field, v] : value.items()) {
      auto f = std::find_if(section->fields.begin(), section->fields.end(),
                            [&](const Field& x) { return x.name == field; });
      if (f == section->fields.end()) invalid(prefix + "Field '" + field + "' is not allowed");
      if (f->kind == Kind::kString && !v.is_string()) {
        invalid(prefix + name + "." + field + " must be a string");
      }
      if (f->kind == Kind::kInteger && !v.is_number_integer()) {
        invalid(prefix + name + "." + field + " must be an integer");
      }
    }
  }
  if (context.contains("Task") &&
      !(s.type == asl::StateType::kTask && waits_for_callback(s.resource))) {
    invalid(prefix +
            "Context object contains 'Task' when state is not a Task state with a '.sync' or "
            "'.waitForTaskToken' service integration pattern");
  }
}

bool has_state_named(const asl::StateMachine& machine, const std::string& name) {
  for (const auto& s : machine.states) {
    if (s.name == name) return true;
    for (const auto& branch : s.branches) {
      if (branch && has_state_named(*branch, name)) return true;
    }
    if (s.item_processor && has_state_named(*s.item_processor, name)) return true;
  }
  return false;
}

}  // namespace

void Service::test_state(const Json& req, Reply reply) {
  RequestReader r(req);
  auto definition = r.string("definition", definition_rule(true));
  auto role_arn = r.string("roleArn", arn_rule(false));
  auto input = r.string("input", payload_rule(false));
  auto level = r.string("inspectionLevel", {.one_of = {"INFO", "DEBUG", "TRACE"}});
  auto reveal_secrets = r.boolean("revealSecrets");
  auto variables = r.string("variables", payload_rule(false));
  auto state_name = r.string("stateName", {.min = 1, .max = 80, .sensitive = true});
  auto mock_member = r.object("mock");
  auto context = r.string("context", payload_rule(false));
  auto config = r.object("stateConfiguration");
  MockRequest mock;
  if (mock_member) {
    RequestReader m = r.nested(*mock_member, "mock");
    mock.result = m.string("result", payload_rule(false));
    mock.error_output = m.object("errorOutput");
    m.string("fieldValidationMode", {.one_of = {"STRICT", "PRESENT", "NONE"}});
    if (mock.error_output) {
      RequestReader e = m.nested(*mock.error_output, "errorOutput");
      mock.error = e.string("error", error_rule());
      mock.cause = e.string("cause", cause_rule());
    }
  }
  std::optional<int64_t> retrier_retry_count, map_iteration_failure_count;
  std::optional<std::string> error_caused_by_state, map_item_reader_data;
  if (config) {
    RequestReader c = r.nested(*config, "stateConfiguration");
    retrier_retry_count = c.integer("retrierRetryCount", 0, INT32_MAX);
    map_iteration_failure_count = c.integer("mapIterationFailureCount", 0, INT32_MAX);
    error_caused_by_state =
        c.string("errorCausedByState", {.min = 1, .max = 80, .sensitive = true});
    map_item_reader_data = c.string("mapItemReaderData", payload_rule(false));
  }
  r.done();

  if (role_arn && !is_arn(*role_arn))
    throw ApiError("InvalidArn", "Invalid Arn: '" + *role_arn + "'");
  TestedState tested = find_tested_state(*definition, state_name);
  TestStateSetup setup;
  setup.machine = build_test_machine(tested);
  const asl::State& s = *setup.machine->find(tested.name);

  setup.input = input.value_or("{}");
  check_json_text(setup.input, "InvalidExecutionInput", "Invalid State Machine Execution Input");
  if (variables) {
    std::optional<Json> vars = parse_bounded(*variables);
    if (!vars || !vars->is_object()) invalid("The variables must be a JSON object.");
    setup.variables = std::move(*vars);
  }

  if (mock_member) {
    check_mock(mock, s, reveal_secrets.value_or(false), setup.hooks);
  } else {
    check_unmocked(s, role_arn);
  }
  if (context) {
    std::optional<Json> parsed = parse_bounded(*context);
    if (!parsed) invalid("Invalid Context object provided: the context is not JSON");
    check_context(*parsed, s);
    setup.hooks.context = std::move(*parsed);
  }
  if (map_iteration_failure_count) {
    if (s.type != asl::StateType::kMap) {
      invalid("mapIterationFailureCount can be used only when testing a Map state.");
    }
    setup.hooks.map_iteration_failure_count = *map_iteration_failure_count;
  }
  if (retrier_retry_count) setup.hooks.retrier_retry_count = *retrier_retry_count;
  if (error_caused_by_state) {
    if (s.type != asl::StateType::kMap && s.type != asl::StateType::kParallel) {
      invalid("errorCausedByState can be used only when testing a Map or Parallel state.");
    }
    bool found = false;
    for (const auto& branch : s.branches)
      found = found || (branch && has_state_named(*branch, *error_caused_by_state));
    if (s.item_processor)
      found = found || has_state_named(*s.item_processor, *error_caused_by_state);
    if (!found) invalid("errorCausedByState must name a state inside the state under test.");
  }
  if (map_item_reader_data) {
    invalid(
        "mapItemReaderData is not supported by stepd: it runs no ItemReader (Distributed Map).");
  }

  setup.inspection_level = level.value_or("INFO");
  setup.role_arn = role_arn.value_or("");
  setup.region = region();
  setup.account = account();
  run_test_state(std::move(setup), TestStateServices{engine_.clock(), ids_, test_tokens_, http_},
                 std::move(reply));
}

}  // namespace stepd::ops

#include "core/asl/parser.h"

#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <unordered_set>

#include "core/asl/intrinsics.h"
#include "core/asl/json_path.h"
#include "core/asl/payload_template.h"
#include "core/asl/timestamp.h"
#include "core/common/states_error.h"
#include "core/common/utf8.h"
#include "core/jsonata/jsonata.h"

namespace stepd::asl {
namespace {

constexpr const char* kSchema = "SCHEMA_VALIDATION_FAILED";
constexpr const char* kMissingTarget = "MISSING_TRANSITION_TARGET";
constexpr int64_t kMaxSeconds = 99999999;  // AWS's cap on every *Seconds field
constexpr size_t kMaxLabelLength = 40;

bool is_jsonata_expression(const Json& v) {
  return is_jsonata_text(v);
}

std::string join(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// ---- Python repr, for the Map Label messages ----------------------------------------------
// AWS words Label errors as a Python ValueError ("Error=ValueError Args=[...]"), quoting the
// offending character and the message with repr(); reproducing repr keeps the text identical.

bool is_unicode_space(uint32_t cp) {
  return cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xA0 || cp == 0x85;
}

// Python's str.isprintable() approximated for the characters a Label check can report.
bool python_printable(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) return false;
  if (is_unicode_space(cp) && cp != 0x20) return false;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  return true;
}

std::string python_repr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    decode_utf8(s, i, cp);
    char buf[16];
    if (cp == '\\') {
      out += "\\\\";
    } else if (cp == static_cast<uint32_t>(quote)) {
      out += '\\';
      out += quote;
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (python_printable(cp)) {
      append_utf8(out, cp);
    } else {
      std::snprintf(buf, sizeof buf,
                    cp < 0x100     ? "\\x%02x"
                    : cp < 0x10000 ? "\\u%04x"
                                   : "\\U%08x",
                    cp);
      out += buf;
    }
  }
  out += quote;
  return out;
}

bool label_char_forbidden(uint32_t cp) {
  static constexpr std::string_view kSpecials = "<>{}[]?*\"#%\\^|~`$&,;:/";
  if (cp <= 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
  if (is_unicode_space(cp)) return true;
  return cp < 0x80 && kSpecials.find(static_cast<char>(cp)) != std::string_view::npos;
}

// Empty when the label is acceptable, else the ValueError message.
std::string label_problem(std::string_view label) {
  size_t count = 0;
  for (size_t i = 0; i < label.size();) {
    uint32_t cp = 0;
    decode_utf8(label, i, cp);
    ++count;
  }
  if (count > kMaxLabelLength) return "Label cannot exceed 40 characters";
  for (size_t i = 0; i < label.size();) {
    const size_t start = i;
    uint32_t cp = 0;
    decode_utf8(label, i, cp);
    if (label_char_forbidden(cp)) {
      return "Label contains invalid character: " + python_repr(label.substr(start, i - start));
    }
  }
  return {};
}

// ---- resources ------------------------------------------------------------------------------
// Optimized integrations (arn:aws:states:::service:action) AWS knows. Only services whose
// action lists are listed here are checked; other services pass, so that a new integration
// is never rejected by mistake.
struct Integration {
  const char* service;
  std::initializer_list<const char*> actions;
};

const Integration kIntegrations[] = {
    {"dynamodb", {"getItem", "putItem", "deleteItem", "updateItem"}},
    {"lambda", {"invoke"}},
    {"sns", {"publish"}},
    {"sqs", {"sendMessage"}},
    {"events", {"putEvents"}},
    {"batch", {"submitJob"}},
    {"glue", {"startJobRun"}},
    {"http", {"invoke"}},
    {"states", {"startExecution"}},
};

bool integration_known(std::string_view resource) {
  constexpr std::string_view kPrefix = "arn:aws:states:::";
  if (resource.substr(0, kPrefix.size()) != kPrefix) return true;
  std::string_view rest = resource.substr(kPrefix.size());
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return true;
  const std::string_view service = rest.substr(0, colon);
  std::string_view action = rest.substr(colon + 1);
  action = action.substr(0, action.find_first_of(".:"));
  for (const auto& integration : kIntegrations) {
    if (service != integration.service) continue;
    for (const char* a : integration.actions) {
      if (action == a) return true;
    }
    return false;
  }
  return true;
}

// ---- JSON reading ---------------------------------------------------------------------------

// Tracks where the parser is while nlohmann reads the text, to find repeated state names (the
// DOM keeps only the last of duplicate keys, so they must be caught while parsing).
class DuplicateStateFinder {
 public:
  struct Found {
    std::string name;
    std::string location;
  };

  bool on_event(Json::parse_event_t event, const Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start: {
        Frame frame;
        frame.segment = child_segment();
        frame.is_array = event == Json::parse_event_t::array_start;
        frames_.push_back(std::move(frame));
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!frames_.empty()) {
          Frame& f = frames_.back();
          f.key = parsed.get<std::string>();
          if (is_states_object() && !f.keys.insert(f.key).second) {
            found_.push_back({f.key, location() + "/" + f.key});
          }
        }
        break;
      case Json::parse_event_t::value:
        if (!frames_.empty() && frames_.back().is_array) ++frames_.back().index;
        break;
    }
    return true;
  }

  const std::vector<Found>& found() const { return found_; }

 private:
  struct Frame {
    bool is_array = false;
    std::string segment;  // how this container is reached from its parent: "/States", "[0]"
    std::string key;      // objects: the key being read
    size_t index = 0;     // arrays: the element being read
    std::unordered_set<std::string> keys;
  };

  std::string child_segment() {
    if (frames_.empty()) return {};
    Frame& parent = frames_.back();
    if (parent.is_array) return "[" + std::to_string(parent.index++) + "]";
    return "/" + parent.key;
  }

  // A "States" member directly under the root, a branch or an item processor.
  bool is_states_object() const {
    if (frames_.size() < 2 || frames_.back().segment != "/States") return false;
    if (frames_.size() == 2) return true;
    const std::string& container = frames_[frames_.size() - 2].segment;
    return container == "/ItemProcessor" || container == "/Iterator" ||
           (!container.empty() && container.front() == '[' && frames_.size() >= 3 &&
            frames_[frames_.size() - 3].segment == "/Branches");
  }

  std::string location() const {
    std::string out;
    for (const auto& f : frames_) out += f.segment;
    return out;
  }

  std::vector<Frame> frames_;
  std::vector<Found> found_;
};

// ---- the validator --------------------------------------------------------------------------

// Parses the paths and templates of a JSONPath state once, so that running it parses nothing.
// A field that does not compile (the validator reports it) is left to be parsed where it is
// used, as before.
void compile_path(PathField& field) {
  if (field.kind != PathField::Kind::kPath) return;
  try {
    field.compiled = CompiledPath::compile(field.path);
  } catch (const std::invalid_argument&) {
  }
}

void compile_template(const std::optional<Json>& tmpl,
                      std::shared_ptr<const CompiledTemplate>& out) {
  if (!tmpl || !tmpl->is_object()) return;
  try {
    out = CompiledTemplate::compile(*tmpl);
  } catch (const std::invalid_argument&) {
  }
}

void compile_fields(State& st) {
  if (st.query_language != QueryLanguage::kJsonPath) return;
  compile_path(st.input_path);
  compile_path(st.output_path);
  compile_path(st.result_path);
  for (Catcher& c : st.catch_) compile_path(c.result_path);
  compile_template(st.parameters, st.parameters_template);
  compile_template(st.result_selector, st.result_selector_template);
  compile_template(st.item_selector, st.item_selector_template);
}

class Validator {
 public:
  explicit Validator(std::string_view text) : text_(text) {}

  // The model, or null when there was any finding.
  std::shared_ptr<StateMachine> run();

  std::vector<Diagnostic> diagnostics;
  std::string label_message;  // the first Label ValueError, reported in AWS's separate form
  std::string label_location;

 private:
  void error(const char* code, std::string message, std::string location) {
    if (diagnostics.size() < kMaxDiagnostics) {
      diagnostics.push_back(Diagnostic{"ERROR", code, std::move(message), std::move(location)});
    }
  }
  void schema(std::string message, std::string location) {
    error(kSchema, std::move(message), std::move(location));
  }

  std::shared_ptr<StateMachine> machine(const Json& obj, const std::string& loc,
                                        QueryLanguage language, bool top, bool item_processor);
  void state(State& st, const Json& obj, const std::string& loc, QueryLanguage machine_language,
             const Json& siblings);
  void check_fields(const State& st, const Json& obj, const std::string& loc);
  void compile_jsonata(State& st, const Json& obj, const std::string& loc);
  void check_jsonata_references(const JsonataField& field, const std::string& name,
                                const std::string& where);
  void transitions_target(const std::string& target, const Json& siblings, const std::string& loc);

  // Field readers: each reports a wrong type and returns nullopt.
  std::optional<std::string> string_field(const Json& obj, const char* name,
                                          const std::string& loc);
  std::optional<int64_t> integer_field(const Json& obj, const char* name, const std::string& loc,
                                       int64_t min, int64_t max);
  std::optional<std::string> path_field(const Json& obj, const char* name, const std::string& loc,
                                        bool reference);
  PathField optional_path(const Json& obj, const char* name, const std::string& loc,
                          bool reference);
  std::optional<Json> template_field(const Json& obj, const char* name, const std::string& loc,
                                     QueryLanguage language);
  // A number-valued field that JSONata may give as an expression instead; JSONPath may name a
  // path in `<name>Path`. Returns the literal; the expression or path goes to *dynamic.
  std::optional<int64_t> dynamic_integer(const Json& obj, const char* name, const char* path_name,
                                         const std::string& loc, QueryLanguage language,
                                         int64_t min, int64_t max, std::string* dynamic);

  void retriers(State& st, const Json& value, const std::string& loc);
  void catchers(State& st, const Json& value, const std::string& loc, const Json& siblings);
  ChoiceRule choice_rule(const Json& obj, const std::string& loc, bool top, QueryLanguage language,
                         const Json& siblings);
  void task(State& st, const Json& obj, const std::string& loc);
  void wait(State& st, const Json& obj, const std::string& loc);
  void fail(State& st, const Json& obj, const std::string& loc);
  void map(State& st, const Json& obj, const std::string& loc);

  std::string_view text_;
  std::unordered_set<std::string> all_names_;  // state names are unique across the definition
  std::unordered_set<std::string> reported_duplicates_;
};

std::string at(const std::string& loc, std::string_view field) {
  return loc + "/" + std::string(field);
}

const char* json_kind(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "STRING";
    case Json::value_t::boolean:
      return "BOOLEAN";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "INTEGER";
    case Json::value_t::number_float:
      return "NUMBER";
    case Json::value_t::object:
      return "OBJECT";
    case Json::value_t::array:
      return "ARRAY";
    case Json::value_t::null:
      return "NULL";
    default:
      return "UNKNOWN";
  }
}

std::shared_ptr<StateMachine> Validator::run() {
  const size_t first = text_.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text_.substr(first) == "null") {
    error("MISSING_DESCRIPTION", "Received a null or empty workflow input.", "");
    return nullptr;
  }
  if (text_.find('\0') != std::string_view::npos) {
    // The JSON parser would stop at the NUL as if the text ended there.
    error("INVALID_JSON_DESCRIPTION", "The definition contains a NUL byte", "");
    return nullptr;
  }
  if (json_depth(text_) > kMaxDefinitionJsonDepth) {
    error("INVALID_JSON_DESCRIPTION",
          "The definition is nested more than " + std::to_string(kMaxDefinitionJsonDepth) +
              " levels deep",
          "");
    return nullptr;
  }
  DuplicateStateFinder finder;
  Json root;
  try {
    root = Json::parse(text_, [&finder](int, Json::parse_event_t event, Json& parsed) {
      return finder.on_event(event, parsed);
    });
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e400
    std::string message = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag: it names our library, not the
    // problem.
    if (const size_t close = message.find("] ");
        message.front() == '[' && close != std::string::npos) {
      message.erase(0, close + 2);
    }
    error("INVALID_JSON_DESCRIPTION", std::move(message), "");
    return nullptr;
  }
  for (const auto& dup : finder.found()) {
    error("DUPLICATE_STATE_NAME", "Duplicate State name: " + dup.name, dup.location);
    reported_duplicates_.insert(dup.name);
  }
  if (!root.is_object()) {
    schema("The definition must be a JSON object but was " + std::string(json_kind(root)), "/");
    return nullptr;
  }
  auto result = machine(root, "", QueryLanguage::kJsonPath, true, false);
  if (!diagnostics.empty() || !label_message.empty()) return nullptr;
  return result;
}

std::shared_ptr<StateMachine> Validator::machine(const Json& obj, const std::string& loc,
                                                 QueryLanguage language, bool top,
                                                 bool item_processor) {
  auto sm = std::make_shared<StateMachine>();
  const std::string shown = loc.empty() ? "/" : loc;

  std::vector<std::string> allowed = {"StartAt", "States", "Comment"};
  if (top) allowed.insert(allowed.end(), {"Version", "TimeoutSeconds", "QueryLanguage"});
  if (item_processor) allowed.push_back("ProcessorConfig");
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (const auto& a : allowed) ok = ok || key == a;
    if (!ok) schema("Field '" + key + "' is not supported", shown);
  }

  if (top && obj.contains("QueryLanguage")) {
    const Json& ql = obj["QueryLanguage"];
    if (ql == "JSONata") {
      language = QueryLanguage::kJsonata;
    } else if (ql != "JSONPath") {
      schema("The value for the field 'QueryLanguage' must be one of: [JSONPath, JSONata]",
             at(loc, "QueryLanguage"));
    }
  }
  sm->query_language = language;
  if (auto c = string_field(obj, "Comment", loc)) sm->comment = *c;
  if (top) {
    string_field(obj, "Version", loc);
    sm->timeout_seconds = integer_field(obj, "TimeoutSeconds", loc, 1, kMaxSeconds);
  }

  std::vector<const char*> missing;
  if (!obj.contains("StartAt")) missing.push_back("StartAt");
  if (!obj.contains("States")) missing.push_back("States");
  if (!missing.empty()) {
    std::string list;
    for (const char* m : missing) list += (list.empty() ? "" : ", ") + std::string(m);
    schema("These fields are required: [" + list + "]", shown);
  }
  static const Json kNoStates = Json::object();
  const Json* states = &kNoStates;
  if (obj.contains("States")) {
    if (!obj["States"].is_object()) {
      schema("The value for the field 'States' must be an OBJECT", at(loc, "States"));
    } else if (obj["States"].empty()) {
      schema("The field 'States' should be non-empty", at(loc, "States"));
    } else {
      states = &obj["States"];
    }
  }
  if (auto start = string_field(obj, "StartAt", loc)) {
    sm->start_at = *start;
    if (!states->empty() && !states->contains(*start)) {
      error(kMissingTarget, "Missing 'Next' target: " + *start, at(loc, "StartAt"));
    }
  }

  sm->states.reserve(states->size());
  for (const auto& [name, body] : states->items()) {
    const std::string state_loc = at(at(loc, "States"), name);
    if (!all_names_.insert(name).second && !reported_duplicates_.count(name)) {
      error("DUPLICATE_STATE_NAME", "Duplicate State name: " + name, state_loc);
    }
    if (name.empty() || name.size() > 80) {
      error("INVALID_STATE_NAME", "State names must be between 1 and 80 characters long",
            state_loc);
    }
    State st;
    st.name = name;
    st.raw = body;
    const std::string body_text = body.dump();
    st.mentions_context = body_text.find("$$") != std::string::npos;
    if (!body.is_object()) {
      schema("The value for the field '" + name + "' must be an OBJECT", state_loc);
    } else {
      state(st, body, state_loc, language, *states);
      compile_fields(st);
      if (st.query_language == QueryLanguage::kJsonata) {
        compile_jsonata(st, body, state_loc);
        // $states.context is the context object of JSONata.
        st.mentions_context = st.mentions_context || body_text.find("context") != std::string::npos;
      }
    }
    sm->index.emplace(name, sm->states.size());
    sm->states.push_back(std::move(st));
  }
  if (states->empty()) return sm;

  // A workflow that can never end is refused at the top level only; branches and item
  // processors are not checked for it (as AWS).
  bool any_terminal = false;
  for (const auto& st : sm->states) {
    any_terminal =
        any_terminal || st.end || st.type == StateType::kSucceed || st.type == StateType::kFail;
  }
  if (top && !any_terminal) {
    error("MISSING_END_STATE", "Workflow has no terminal state", "");
    return sm;
  }
  // Reachability from StartAt over Next, Default, Choices[].Next and Catch[].Next.
  std::vector<bool> seen(sm->states.size(), false);
  std::vector<size_t> todo;
  auto visit = [&](const std::string& name) {
    auto it = sm->index.find(name);
    if (it != sm->index.end() && !seen[it->second]) {
      seen[it->second] = true;
      todo.push_back(it->second);
    }
  };
  visit(sm->start_at);
  while (!todo.empty()) {
    const State& st = sm->states[todo.back()];
    todo.pop_back();
    if (!st.next.empty()) visit(st.next);
    if (!st.default_next.empty()) visit(st.default_next);
    for (const auto& rule : st.choices) visit(rule.next);
    for (const auto& c : st.catch_) visit(c.next);
  }
  if (!sm->index.count(sm->start_at)) return sm;  // already reported as a missing target
  for (size_t i = 0; i < sm->states.size(); ++i) {
    if (!seen[i]) {
      error(kMissingTarget, "State \"" + sm->states[i].name + "\" is not reachable.",
            at(at(loc, "States"), sm->states[i].name));
    }
  }
  return sm;
}

// Which fields each state type accepts, per query language.
struct FieldSet {
  std::vector<std::string> common;    // both languages
  std::vector<std::string> jsonpath;  // JSONPath only
  std::vector<std::string> jsonata;   // JSONata only
};

const FieldSet& fields_for(StateType type) {
  static const std::vector<std::string> kFlow = {"Next", "End", "Assign"};
  static const auto make = [](std::vector<std::string> common, std::vector<std::string> jp,
                              std::vector<std::string> ja, bool flow) {
    FieldSet f;
    f.common = {"Type", "Comment", "QueryLanguage"};
    f.common.insert(f.common.end(), common.begin(), common.end());
    if (flow) f.common.insert(f.common.end(), kFlow.begin(), kFlow.end());
    f.jsonpath = std::move(jp);
    f.jsonata = std::move(ja);
    return f;
  };
  static const FieldSet kPass =
      make({}, {"InputPath", "OutputPath", "ResultPath", "Parameters", "Result"}, {"Output"}, true);
  static const FieldSet kTask =
      make({"Resource", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds", "Credentials"},
           {"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
            "TimeoutSecondsPath", "HeartbeatSecondsPath"},
           {"Arguments", "Output"}, true);
  static const FieldSet kChoice =
      make({"Choices", "Default", "Assign"}, {"InputPath", "OutputPath"}, {"Output"}, false);
  static const FieldSet kWait =
      make({"Seconds", "Timestamp"}, {"InputPath", "OutputPath", "SecondsPath", "TimestampPath"},
           {"Output"}, true);
  static const FieldSet kSucceed = make({}, {"InputPath", "OutputPath"}, {"Output"}, false);
  static const FieldSet kFail = make({"Error", "Cause"}, {"ErrorPath", "CausePath"}, {}, false);
  static const FieldSet kParallel =
      make({"Branches", "Retry", "Catch"},
           {"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector"},
           {"Arguments", "Output"}, true);
  static const FieldSet kMap =
      make({"ItemProcessor", "Iterator", "ItemSelector", "ItemReader", "ItemBatcher",
            "ResultWriter", "MaxConcurrency", "ToleratedFailurePercentage", "ToleratedFailureCount",
            "Label", "Retry", "Catch"},
           {"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath",
            "MaxConcurrencyPath", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath"},
           {"Items", "Output"}, true);
  switch (type) {
    case StateType::kPass:
      return kPass;
    case StateType::kTask:
      return kTask;
    case StateType::kChoice:
      return kChoice;
    case StateType::kWait:
      return kWait;
    case StateType::kSucceed:
      return kSucceed;
    case StateType::kFail:
      return kFail;
    case StateType::kParallel:
      return kParallel;
    case StateType::kMap:
      return kMap;
  }
  return kPass;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v) {
    if (x == s) return true;
  }
  return false;
}

void Validator::check_fields(const State& st, const Json& obj, const std::string& loc) {
  const FieldSet& f = fields_for(st.type);
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  for (const auto& [key, value] : obj.items()) {
    if (contains(f.common, key)) continue;
    if (contains(jsonata ? f.jsonata : f.jsonpath, key)) continue;
    if (jsonata && contains(f.jsonpath, key)) {
      // A JSONPath field in a JSONata state: AWS points at the field itself.
      schema("The field '" + key + "' is not supported for the JSONata query language",
             at(loc, key));
    } else {
      schema("Field '" + key + "' is not supported", loc);
    }
  }
}

// Whether `v` holds "{% … %}" anywhere (a field worth compiling).
bool holds_jsonata(const Json& v) {
  if (is_jsonata_expression(v)) return true;
  if (v.is_object() || v.is_array()) {
    for (const auto& child : v) {
      if (holds_jsonata(child)) return true;
    }
  }
  return false;
}

// What AWS refuses in an expression that parses (UNSUPPORTED_JSONATA_EXPRESSION):
// - a field name read from the top level (`{% phone %}` instead of `{% $states.input.phone %}`):
//   an expression has no input of its own;
// - `$states.errorOutput` anywhere but in a catcher's Output and Assign, the only fields that
//   have an error to read.
void Validator::check_jsonata_references(const JsonataField& field, const std::string& name,
                                         const std::string& where) {
  const bool in_catcher =
      name.rfind("Catch[", 0) == 0 && (name.ends_with("/Output") || name.ends_with("/Assign"));
  field.for_each_expression([&](const std::string& below, const jsonata::Expression& e) {
    for (const std::string& top : e.top_level_names()) {
      error("UNSUPPORTED_JSONATA_EXPRESSION",
            "Reference to '" + top + "' at the top level is not supported.", where + below);
    }
    if (!in_catcher) {
      for (const std::string& f : e.variable_fields("states")) {
        if (f == "errorOutput") {
          error("UNSUPPORTED_JSONATA_EXPRESSION", "Field '$states.errorOutput' does not exist.",
                where + below);
        }
      }
    }
  });
}

void Validator::compile_jsonata(State& st, const Json& obj, const std::string& loc) {
  auto compile = [&](const std::string& name, const Json& value, const std::string& where) {
    if (!holds_jsonata(value)) return;
    try {
      st.jsonata[name] = JsonataField::compile(value);
    } catch (const std::invalid_argument& e) {
      error("INVALID_JSONATA_EXPRESSION",
            "The JSONata expression in the field '" + name + "' is not valid: " + e.what(), where);
      return;
    }
    check_jsonata_references(*st.jsonata[name], name, where);
  };
  for (const char* f : {"Output", "Arguments", "Assign", "Items", "ItemSelector", "Seconds",
                        "Timestamp", "Error", "Cause", "TimeoutSeconds", "HeartbeatSeconds",
                        "MaxConcurrency", "ToleratedFailurePercentage", "ToleratedFailureCount"}) {
    if (obj.contains(f)) compile(f, obj[f], at(loc, f));
  }
  for (const char* list : {"Choices", "Catch"}) {
    if (!obj.contains(list) || !obj[list].is_array()) continue;
    const Json& rules = obj[list];
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!rules[i].is_object()) continue;
      const std::string prefix = std::string(list) + "[" + std::to_string(i) + "]/";
      for (const char* f : {"Condition", "Assign", "Output"}) {
        if (rules[i].contains(f)) {
          compile(prefix + f, rules[i][f], at(at(at(loc, list), std::to_string(i)), f));
        }
      }
    }
  }
}

std::optional<StateType> parse_type(const std::string& s) {
  static const std::pair<const char*, StateType> kTypes[] = {
      {"Pass", StateType::kPass},         {"Task", StateType::kTask},
      {"Choice", StateType::kChoice},     {"Wait", StateType::kWait},
      {"Succeed", StateType::kSucceed},   {"Fail", StateType::kFail},
      {"Parallel", StateType::kParallel}, {"Map", StateType::kMap},
  };
  for (const auto& [name, type] : kTypes) {
    if (s == name) return type;
  }
  return std::nullopt;
}

void Validator::state(State& st, const Json& obj, const std::string& loc,
                      QueryLanguage machine_language, const Json& siblings) {
  if (!obj.contains("Type")) {
    schema("These fields are required: [Type]", loc);
    return;
  }
  const Json& type = obj["Type"];
  std::optional<StateType> parsed =
      type.is_string() ? parse_type(type.get<std::string>()) : std::nullopt;
  if (!parsed) {
    schema(
        "The value for the field 'Type' must be one of: [Task, Pass, Choice, Wait, Succeed, "
        "Fail, Parallel, Map]",
        at(loc, "Type"));
    return;
  }
  st.type = *parsed;

  st.query_language = machine_language;
  if (obj.contains("QueryLanguage")) {
    const Json& ql = obj["QueryLanguage"];
    if (ql == "JSONata") {
      st.query_language = QueryLanguage::kJsonata;
    } else if (ql == "JSONPath") {
      if (machine_language == QueryLanguage::kJsonata) {
        schema(
            "The QueryLanguage of a state cannot be JSONPath when the state machine's "
            "QueryLanguage is JSONata",
            at(loc, "QueryLanguage"));
      }
      st.query_language = QueryLanguage::kJsonPath;
    } else {
      schema("The value for the field 'QueryLanguage' must be one of: [JSONPath, JSONata]",
             at(loc, "QueryLanguage"));
    }
  }
  const QueryLanguage lang = st.query_language;
  const bool jsonata = lang == QueryLanguage::kJsonata;
  check_fields(st, obj, loc);
  if (auto c = string_field(obj, "Comment", loc)) st.comment = *c;

  // Transitions.
  const bool flows = st.type != StateType::kChoice && st.type != StateType::kSucceed &&
                     st.type != StateType::kFail;
  if (flows) {
    const bool has_next = obj.contains("Next");
    const bool has_end = obj.contains("End");
    if (has_next && has_end) {
      schema("Only one of these fields can be set: [Next, End]", loc);
    } else if (!has_next && !has_end) {
      schema("These fields are required: [Next or End]", loc);
    }
    if (auto next = string_field(obj, "Next", loc)) {
      st.next = *next;
      transitions_target(st.next, siblings, at(loc, "Next"));
    }
    if (has_end) {
      if (!obj["End"].is_boolean()) {
        schema("The value for the field 'End' must be a BOOLEAN", at(loc, "End"));
      } else {
        st.end = obj["End"].get<bool>();
        if (!st.end && !has_next) {
          schema("The value for the field 'End' must be true when 'Next' is absent",
                 at(loc, "End"));
        }
      }
    }
  }

  // Data flow.
  const bool has_result = st.type == StateType::kPass || st.type == StateType::kTask ||
                          st.type == StateType::kParallel || st.type == StateType::kMap;
  if (!jsonata) {
    if (st.type != StateType::kFail) {
      st.input_path = optional_path(obj, "InputPath", loc, false);
      st.output_path = optional_path(obj, "OutputPath", loc, false);
    }
    if (has_result) {
      st.result_path = optional_path(obj, "ResultPath", loc, true);
      if (st.type != StateType::kMap) {
        st.parameters = template_field(obj, "Parameters", loc, lang);
      }
    }
    if (st.type == StateType::kTask || st.type == StateType::kParallel ||
        st.type == StateType::kMap) {
      st.result_selector = template_field(obj, "ResultSelector", loc, lang);
    }
    if (st.type == StateType::kPass && obj.contains("Result")) st.result = obj["Result"];
  } else {
    if (st.type == StateType::kTask || st.type == StateType::kParallel) {
      st.parameters = template_field(obj, "Arguments", loc, lang);
    }
    if (obj.contains("Output")) st.output = obj["Output"];
  }
  if (obj.contains("Assign") && st.type != StateType::kSucceed && st.type != StateType::kFail) {
    st.assign = template_field(obj, "Assign", loc, jsonata ? lang : QueryLanguage::kJsonPath);
  }

  if (st.type == StateType::kTask || st.type == StateType::kParallel ||
      st.type == StateType::kMap) {
    if (obj.contains("Retry")) retriers(st, obj["Retry"], at(loc, "Retry"));
    if (obj.contains("Catch")) catchers(st, obj["Catch"], at(loc, "Catch"), siblings);
  }

  switch (st.type) {
    case StateType::kTask:
      task(st, obj, loc);
      break;
    case StateType::kWait:
      wait(st, obj, loc);
      break;
    case StateType::kFail:
      fail(st, obj, loc);
      break;
    case StateType::kMap:
      map(st, obj, loc);
      break;
    case StateType::kChoice: {
      if (!obj.contains("Choices")) {
        schema("These fields are required: [Choices]", loc);
      } else if (!obj["Choices"].is_array() || obj["Choices"].empty()) {
        schema("The field 'Choices' must be a non-empty ARRAY", at(loc, "Choices"));
      } else {
        const Json& rules = obj["Choices"];
        for (size_t i = 0; i < rules.size(); ++i) {
          const std::string rule_loc = at(loc, "Choices") + "[" + std::to_string(i) + "]";
          st.choices.push_back(choice_rule(rules[i], rule_loc, true, lang, siblings));
        }
      }
      if (auto def = string_field(obj, "Default", loc)) {
        st.default_next = *def;
        transitions_target(st.default_next, siblings, at(loc, "Default"));
      }
      break;
    }
    case StateType::kParallel: {
      if (!obj.contains("Branches")) {
        schema("These fields are required: [Branches]", loc);
      } else if (!obj["Branches"].is_array() || obj["Branches"].empty()) {
        schema("The field 'Branches' must be a non-empty ARRAY", at(loc, "Branches"));
      } else {
        const Json& branches = obj["Branches"];
        for (size_t i = 0; i < branches.size(); ++i) {
          const std::string branch_loc = at(loc, "Branches") + "[" + std::to_string(i) + "]";
          if (!branches[i].is_object()) {
            schema("The value for the field 'Branches' must be an ARRAY of OBJECT", branch_loc);
            continue;
          }
          st.branches.push_back(machine(branches[i], branch_loc, lang, false, false));
        }
      }
      break;
    }
    case StateType::kPass:
    case StateType::kSucceed:
      break;
  }
}

void Validator::transitions_target(const std::string& target, const Json& siblings,
                                   const std::string& loc) {
  if (!siblings.empty() && !siblings.contains(target)) {
    error(kMissingTarget, "Missing 'Next' target: " + target, loc);
  }
}

std::optional<std::string> Validator::string_field(const Json& obj, const char* name,
                                                   const std::string& loc) {
  if (!obj.contains(name)) return std::nullopt;
  const Json& v = obj[name];
  if (!v.is_string()) {
    schema(std::string("The value for the field '") + name + "' must be a STRING", at(loc, name));
    return std::nullopt;
  }
  return v.get<std::string>();
}

std::optional<int64_t> Validator::integer_field(const Json& obj, const char* name,
                                                const std::string& loc, int64_t min, int64_t max) {
  if (!obj.contains(name)) return std::nullopt;
  const Json& v = obj[name];
  if (!v.is_number_integer()) {
    schema(std::string("The value for the field '") + name + "' must be an INTEGER", at(loc, name));
    return std::nullopt;
  }
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    schema(std::string("The value for the field '") + name + "' must be at most " +
               std::to_string(max),
           at(loc, name));
    return std::nullopt;
  }
  const auto n = v.get<int64_t>();
  if (n < min) {
    schema(std::string("The value for the field '") + name + "' must be at least " +
               std::to_string(min),
           at(loc, name));
    return std::nullopt;
  }
  if (n > max) {
    schema(std::string("The value for the field '") + name + "' must be at most " +
               std::to_string(max),
           at(loc, name));
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> Validator::path_field(const Json& obj, const char* name,
                                                 const std::string& loc, bool reference) {
  auto text = string_field(obj, name, loc);
  if (!text) return std::nullopt;
  try {
    if (reference) {
      validate_reference_path(*text);
    } else {
      validate_path(*text);
    }
  } catch (const std::invalid_argument&) {
    schema(std::string("The value for the field '") + name + "' must be a valid " +
               (reference ? "ReferencePath" : "JSONPath"),
           at(loc, name));
    return std::nullopt;
  }
  return text;
}

PathField Validator::optional_path(const Json& obj, const char* name, const std::string& loc,
                                   bool reference) {
  PathField field;
  if (!obj.contains(name)) return field;
  if (obj[name].is_null()) {
    field.kind = PathField::Kind::kNull;
    return field;
  }
  if (auto p = path_field(obj, name, loc, reference)) {
    field.kind = PathField::Kind::kPath;
    field.path = *p;
  }
  return field;
}

std::optional<Json> Validator::template_field(const Json& obj, const char* name,
                                              const std::string& loc, QueryLanguage language) {
  if (!obj.contains(name)) return std::nullopt;
  const Json& v = obj[name];
  if (language == QueryLanguage::kJsonata) {
    // Arguments may be one expression; Assign must be an object. The expressions inside are
    // compiled by the JSONata evaluator when the state runs.
    if (!v.is_object() && !(std::string_view(name) != "Assign" && is_jsonata_expression(v))) {
      schema(std::string("The value for the field '") + name + "' must be an OBJECT",
             at(loc, name));
      return std::nullopt;
    }
    return v;
  }
  if (!v.is_object()) {
    schema(std::string("The value for the field '") + name + "' must be an OBJECT", at(loc, name));
    return std::nullopt;
  }
  try {
    validate_template(v);
  } catch (const std::invalid_argument& e) {
    schema(e.what(), at(loc, name));
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> Validator::dynamic_integer(const Json& obj, const char* name,
                                                  const char* path_name, const std::string& loc,
                                                  QueryLanguage language, int64_t min, int64_t max,
                                                  std::string* dynamic) {
  const bool has_value = obj.contains(name);
  const bool has_path = path_name != nullptr && obj.contains(path_name);
  if (has_value && has_path) {
    schema(std::string("Only one of these fields can be set: [") + name + ", " + path_name + "]",
           at(loc, name));
    return std::nullopt;
  }
  if (has_path && language == QueryLanguage::kJsonPath) {
    if (auto p = path_field(obj, path_name, loc, true)) *dynamic = *p;
    return std::nullopt;
  }
  if (has_value && language == QueryLanguage::kJsonata && is_jsonata_expression(obj[name])) {
    *dynamic = obj[name].get<std::string>();
    return std::nullopt;
  }
  return integer_field(obj, name, loc, min, max);
}

void Validator::retriers(State& st, const Json& value, const std::string& loc) {
  if (!value.is_array()) {
    schema("The value for the field 'Retry' must be an ARRAY", loc);
    return;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string rloc = loc + "[" + std::to_string(i) + "]";
    const Json& r = value[i];
    if (!r.is_object()) {
      schema("The value for the field 'Retry' must be an ARRAY of OBJECT", rloc);
      continue;
    }
    for (const auto& [key, v] : r.items()) {
      if (key != "ErrorEquals" && key != "IntervalSeconds" && key != "MaxAttempts" &&
          key != "BackoffRate" && key != "MaxDelaySeconds" && key != "JitterStrategy" &&
          key != "Comment") {
        schema("Field '" + key + "' is not supported", rloc);
      }
    }
    Retrier retrier;
    if (!r.contains("ErrorEquals")) {
      schema("These fields are required: [ErrorEquals]", rloc);
    } else if (!r["ErrorEquals"].is_array() || r["ErrorEquals"].empty()) {
      schema("The field 'ErrorEquals' must be a non-empty ARRAY", at(rloc, "ErrorEquals"));
    } else {
      for (const auto& e : r["ErrorEquals"]) {
        if (!e.is_string()) {
          schema("The value for the field 'ErrorEquals' must be an ARRAY of STRING",
                 at(rloc, "ErrorEquals"));
          continue;
        }
        retrier.error_equals.push_back(e.get<std::string>());
      }
      const bool has_all = contains(retrier.error_equals, errors::kAll);
      if (has_all && retrier.error_equals.size() > 1) {
        schema("States.ALL must appear alone in the ErrorEquals array", at(rloc, "ErrorEquals"));
      }
      if (has_all && i + 1 != value.size()) {
        schema("A Retrier with States.ALL must be the last Retrier", at(rloc, "ErrorEquals"));
      }
    }
    if (auto v = integer_field(r, "IntervalSeconds", rloc, 1, kMaxSeconds)) {
      retrier.interval_seconds = *v;
    }
    if (auto v = integer_field(r, "MaxAttempts", rloc, 0, kMaxSeconds)) retrier.max_attempts = *v;
    if (r.contains("BackoffRate")) {
      const Json& b = r["BackoffRate"];
      if (!b.is_number()) {
        schema("The value for the field 'BackoffRate' must be a NUMBER", at(rloc, "BackoffRate"));
      } else if (b.get<double>() < 1.0) {
        schema("The value for the field 'BackoffRate' must be at least 1.0",
               at(rloc, "BackoffRate"));
      } else {
        retrier.backoff_rate = b.get<double>();
      }
    }
    retrier.max_delay_seconds = integer_field(r, "MaxDelaySeconds", rloc, 1, kMaxSeconds);
    if (auto j = string_field(r, "JitterStrategy", rloc)) {
      if (*j == "FULL") {
        retrier.jitter_full = true;
      } else if (*j != "NONE") {
        schema("The value for the field 'JitterStrategy' must be one of: [FULL, NONE]",
               at(rloc, "JitterStrategy"));
      }
    }
    st.retry.push_back(std::move(retrier));
  }
}

void Validator::catchers(State& st, const Json& value, const std::string& loc,
                         const Json& siblings) {
  if (!value.is_array()) {
    schema("The value for the field 'Catch' must be an ARRAY", loc);
    return;
  }
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string cloc = loc + "[" + std::to_string(i) + "]";
    const Json& c = value[i];
    if (!c.is_object()) {
      schema("The value for the field 'Catch' must be an ARRAY of OBJECT", cloc);
      continue;
    }
    for (const auto& [key, v] : c.items()) {
      const bool ok = key == "ErrorEquals" || key == "Next" || key == "Comment" ||
                      key == "Assign" || (!jsonata && key == "ResultPath") ||
                      (jsonata && key == "Output");
      if (!ok) schema("Field '" + key + "' is not supported", cloc);
    }
    Catcher catcher;
    std::vector<const char*> missing;
    if (!c.contains("ErrorEquals")) missing.push_back("ErrorEquals");
    if (!c.contains("Next")) missing.push_back("Next");
    if (!missing.empty()) {
      schema(std::string("These fields are required: [") +
                 (missing.size() == 2 ? "ErrorEquals, Next" : missing.front()) + "]",
             cloc);
    }
    if (c.contains("ErrorEquals")) {
      if (!c["ErrorEquals"].is_array() || c["ErrorEquals"].empty()) {
        schema("The field 'ErrorEquals' must be a non-empty ARRAY", at(cloc, "ErrorEquals"));
      } else {
        for (const auto& e : c["ErrorEquals"]) {
          if (!e.is_string()) {
            schema("The value for the field 'ErrorEquals' must be an ARRAY of STRING",
                   at(cloc, "ErrorEquals"));
            continue;
          }
          catcher.error_equals.push_back(e.get<std::string>());
        }
        const bool has_all = contains(catcher.error_equals, errors::kAll);
        if (has_all && catcher.error_equals.size() > 1) {
          schema("States.ALL must appear alone in the ErrorEquals array", at(cloc, "ErrorEquals"));
        }
        if (has_all && i + 1 != value.size()) {
          schema("A Catcher with States.ALL must be the last Catcher", at(cloc, "ErrorEquals"));
        }
      }
    }
    if (auto next = string_field(c, "Next", cloc)) {
      catcher.next = *next;
      transitions_target(catcher.next, siblings, at(cloc, "Next"));
    }
    if (!jsonata) catcher.result_path = optional_path(c, "ResultPath", cloc, true);
    if (jsonata && c.contains("Output")) catcher.output = c["Output"];
    if (c.contains("Assign")) catcher.assign = template_field(c, "Assign", cloc, st.query_language);
    st.catch_.push_back(std::move(catcher));
  }
}

ChoiceRule Validator::choice_rule(const Json& obj, const std::string& loc, bool top,
                                  QueryLanguage language, const Json& siblings) {
  ChoiceRule rule;
  if (!obj.is_object()) {
    schema("A choice rule must be an OBJECT", loc);
    return rule;
  }
  if (language == QueryLanguage::kJsonata) {
    for (const auto& [key, v] : obj.items()) {
      if (key != "Condition" && key != "Next" && key != "Comment" && key != "Assign" &&
          key != "Output") {
        schema("Field '" + key + "' is not supported", loc);
      }
    }
    rule.op = ChoiceOp::kCondition;
    if (!obj.contains("Condition") || !obj.contains("Next")) {
      schema(std::string("These fields are required: [") +
                 (!obj.contains("Condition") && !obj.contains("Next") ? "Condition, Next"
                  : !obj.contains("Condition")                        ? "Condition"
                                                                      : "Next") +
                 "]",
             loc);
    }
    if (obj.contains("Condition")) {
      const Json& cond = obj["Condition"];
      if (!cond.is_boolean() && !is_jsonata_expression(cond)) {
        schema("The value for the field 'Condition' must be a JSONata expression or a BOOLEAN",
               at(loc, "Condition"));
      }
      rule.condition = cond;
    }
    if (auto next = string_field(obj, "Next", loc)) {
      rule.next = *next;
      transitions_target(rule.next, siblings, at(loc, "Next"));
    }
    if (obj.contains("Assign")) rule.assign = template_field(obj, "Assign", loc, language);
    if (obj.contains("Output")) rule.output = obj["Output"];
    return rule;
  }

  // JSONPath: exactly one operator among And / Or / Not / a comparison.
  std::vector<std::string> operators;
  for (const auto& [key, v] : obj.items()) {
    if (key == "Variable" || key == "Comment") continue;
    if (top && (key == "Next" || key == "Assign")) continue;
    bool is_path = false;
    if (key == "And" || key == "Or" || key == "Not" || choice_op_from_name(key, &is_path)) {
      operators.push_back(key);
    } else {
      schema("Field '" + key + "' is not supported", loc);
    }
  }
  if (top) {
    if (!obj.contains("Next")) {
      schema("These fields are required: [Next]", loc);
    } else if (auto next = string_field(obj, "Next", loc)) {
      rule.next = *next;
      transitions_target(rule.next, siblings, at(loc, "Next"));
    }
    if (obj.contains("Assign")) {
      rule.assign = template_field(obj, "Assign", loc, QueryLanguage::kJsonPath);
    }
  }
  if (operators.size() != 1) {
    schema(operators.empty() ? "A choice rule must contain a comparison operator, And, Or or Not"
                             : "A choice rule must contain exactly one comparison operator",
           loc);
    return rule;
  }
  const std::string& op = operators.front();
  const Json& operand = obj[op];
  if (op == "And" || op == "Or") {
    rule.op = op == "And" ? ChoiceOp::kAnd : ChoiceOp::kOr;
    if (obj.contains("Variable")) schema("Field 'Variable' is not supported", loc);
    if (!operand.is_array() || operand.empty()) {
      schema("The field '" + op + "' must be a non-empty ARRAY", at(loc, op));
      return rule;
    }
    for (size_t i = 0; i < operand.size(); ++i) {
      rule.children.push_back(choice_rule(operand[i], at(loc, op) + "[" + std::to_string(i) + "]",
                                          false, language, siblings));
    }
    return rule;
  }
  if (op == "Not") {
    rule.op = ChoiceOp::kNot;
    if (obj.contains("Variable")) schema("Field 'Variable' is not supported", loc);
    if (!operand.is_object()) {
      schema("The value for the field 'Not' must be an OBJECT", at(loc, op));
      return rule;
    }
    rule.children.push_back(choice_rule(operand, at(loc, op), false, language, siblings));
    return rule;
  }
  bool is_path = false;
  rule.op = *choice_op_from_name(op, &is_path);
  rule.operand_is_path = is_path;
  rule.operand = operand;
  if (!obj.contains("Variable")) {
    schema("These fields are required: [Variable]", loc);
  } else if (auto variable = path_field(obj, "Variable", loc, false)) {
    rule.variable = *variable;
  }
  if (is_path) {
    path_field(obj, op.c_str(), loc, false);
    return rule;
  }
  const char* expected = nullptr;
  switch (rule.op) {
    case ChoiceOp::kNumericEquals:
    case ChoiceOp::kNumericLessThan:
    case ChoiceOp::kNumericGreaterThan:
    case ChoiceOp::kNumericLessThanEquals:
    case ChoiceOp::kNumericGreaterThanEquals:
      if (!operand.is_number()) expected = "a NUMBER";
      break;
    case ChoiceOp::kBooleanEquals:
    case ChoiceOp::kIsNull:
    case ChoiceOp::kIsPresent:
    case ChoiceOp::kIsNumeric:
    case ChoiceOp::kIsString:
    case ChoiceOp::kIsBoolean:
    case ChoiceOp::kIsTimestamp:
      if (!operand.is_boolean()) expected = "a BOOLEAN";
      break;
    case ChoiceOp::kTimestampEquals:
    case ChoiceOp::kTimestampLessThan:
    case ChoiceOp::kTimestampGreaterThan:
    case ChoiceOp::kTimestampLessThanEquals:
    case ChoiceOp::kTimestampGreaterThanEquals:
      if (!operand.is_string()) {
        expected = "a STRING";
      } else if (!parse_rfc3339_ms(operand.get<std::string>())) {
        schema("String does not match RFC3339 timestamp", at(loc, op));
      }
      break;
    default:
      if (!operand.is_string()) expected = "a STRING";
      break;
  }
  if (expected != nullptr) {
    schema("The value for the field '" + op + "' must be " + expected, at(loc, op));
  }
  return rule;
}

void Validator::task(State& st, const Json& obj, const std::string& loc) {
  const QueryLanguage lang = st.query_language;
  if (!obj.contains("Resource")) {
    schema("These fields are required: [Resource]", loc);
  } else if (auto resource = string_field(obj, "Resource", loc)) {
    st.resource = *resource;
    if (resource->empty() || !integration_known(*resource)) {
      schema("The resource provided " + *resource +
                 " is not recognized. The value is not a valid resource ARN, or the resource is "
                 "not available in this region.",
             at(loc, "Resource"));
    }
  }
  st.timeout_seconds = dynamic_integer(obj, "TimeoutSeconds", "TimeoutSecondsPath", loc, lang, 1,
                                       kMaxSeconds, &st.timeout_seconds_path);
  st.heartbeat_seconds = dynamic_integer(obj, "HeartbeatSeconds", "HeartbeatSecondsPath", loc, lang,
                                         1, kMaxSeconds, &st.heartbeat_seconds_path);
  const int64_t timeout = st.timeout_seconds.value_or(kMaxSeconds);
  if (st.heartbeat_seconds && st.timeout_seconds_path.empty() && *st.heartbeat_seconds >= timeout) {
    schema("HeartbeatSeconds must be smaller than TimeoutSeconds", at(loc, "HeartbeatSeconds"));
  }
  if (obj.contains("Credentials")) {
    const Json& c = obj["Credentials"];
    const std::string cloc = at(loc, "Credentials");
    if (!c.is_object()) {
      schema("The value for the field 'Credentials' must be an OBJECT", cloc);
    } else if (!c.contains("RoleArn") &&
               !(lang == QueryLanguage::kJsonPath && c.contains("RoleArn.$"))) {
      schema("The field 'RoleArn' is required but was missing", cloc);
    } else {
      st.credentials = c;
    }
  }
}

void Validator::wait(State& st, const Json& obj, const std::string& loc) {
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  int count = 0;
  for (const char* f : {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) {
    if (obj.contains(f)) ++count;
  }
  if (count != 1) {
    schema(std::string(count == 0 ? "Exactly one of these fields is required: ["
                                  : "Only one of these fields can be set: [") +
               (jsonata ? join({"Seconds", "Timestamp"})
                        : join({"Seconds", "Timestamp", "SecondsPath", "TimestampPath"})) +
               "]",
           loc);
  }
  if (obj.contains("Seconds")) {
    if (jsonata && is_jsonata_expression(obj["Seconds"])) {
      st.seconds_path = obj["Seconds"].get<std::string>();
    } else {
      st.seconds = integer_field(obj, "Seconds", loc, 0, kMaxSeconds);
    }
  }
  if (obj.contains("Timestamp")) {
    const Json& t = obj["Timestamp"];
    if (jsonata && is_jsonata_expression(t)) {
      st.timestamp_path = t.get<std::string>();
    } else if (!t.is_string()) {
      schema("The value for the field 'Timestamp' must be a STRING", at(loc, "Timestamp"));
    } else if (!parse_rfc3339_ms(t.get<std::string>())) {
      schema("String does not match RFC3339 timestamp", at(loc, "Timestamp"));
    } else {
      st.timestamp = t.get<std::string>();
    }
  }
  if (!jsonata) {
    if (auto p = path_field(obj, "SecondsPath", loc, true)) st.seconds_path = *p;
    if (auto p = path_field(obj, "TimestampPath", loc, true)) st.timestamp_path = *p;
  }
}

void Validator::fail(State& st, const Json& obj, const std::string& loc) {
  const bool jsonata = st.query_language == QueryLanguage::kJsonata;
  // ErrorPath / CausePath take a path or an intrinsic function (JSONPath only).
  auto dynamic = [&](const char* name, std::string* out) {
    auto text = string_field(obj, name, loc);
    if (!text) return;
    try {
      if (looks_like_intrinsic(*text)) {
        validate_intrinsic(*text);
      } else {
        validate_path(*text);
      }
      *out = *text;
    } catch (const std::invalid_argument&) {
      schema(std::string("The value for the field '") + name +
                 "' must be a valid JSONPath or a valid intrinsic function call",
             at(loc, name));
    }
  };
  for (const auto& [name, path_name] : {std::pair{"Error", "ErrorPath"}, {"Cause", "CausePath"}}) {
    const bool is_error = std::string_view(name) == "Error";
    std::optional<std::string>& literal = is_error ? st.error : st.cause;
    std::string& path = is_error ? st.error_path : st.cause_path;
    if (obj.contains(name) && !jsonata && obj.contains(path_name)) {
      schema(std::string("Only one of these fields can be set: [") + name + ", " + path_name + "]",
             loc);
    }
    if (auto text = string_field(obj, name, loc)) {
      if (jsonata && is_jsonata_expression(obj[name])) {
        path = *text;
      } else {
        literal = *text;
      }
    }
    if (!jsonata) dynamic(path_name, &path);
  }
}

void Validator::map(State& st, const Json& obj, const std::string& loc) {
  const QueryLanguage lang = st.query_language;
  const bool jsonata = lang == QueryLanguage::kJsonata;
  const bool has_processor = obj.contains("ItemProcessor");
  const bool has_iterator = obj.contains("Iterator");
  if (has_processor && has_iterator) {
    schema("Only one of these fields can be set: [ItemProcessor, Iterator]", loc);
  } else if (!has_processor && !has_iterator) {
    schema("These fields are required: [ItemProcessor]", loc);
  } else {
    const char* key = has_processor ? "ItemProcessor" : "Iterator";
    const Json& processor = obj[key];
    const std::string ploc = at(loc, key);
    if (!processor.is_object()) {
      schema(std::string("The value for the field '") + key + "' must be an OBJECT", ploc);
    } else {
      if (processor.contains("ProcessorConfig")) {
        const Json& config = processor["ProcessorConfig"];
        const std::string cloc = at(ploc, "ProcessorConfig");
        if (!config.is_object()) {
          schema("The value for the field 'ProcessorConfig' must be an OBJECT", cloc);
        } else {
          for (const auto& [k, v] : config.items()) {
            if (k != "Mode" && k != "ExecutionType")
              schema("Field '" + k + "' is not supported", cloc);
          }
          if (auto mode = string_field(config, "Mode", cloc)) {
            if (*mode != "INLINE" && *mode != "DISTRIBUTED") {
              schema("The value for the field 'Mode' must be one of: [INLINE, DISTRIBUTED]",
                     at(cloc, "Mode"));
            } else {
              st.processor_mode = *mode;
            }
          }
          if (auto type = string_field(config, "ExecutionType", cloc)) {
            if (*type != "STANDARD" && *type != "EXPRESS") {
              schema("The value for the field 'ExecutionType' must be one of: [STANDARD, EXPRESS]",
                     at(cloc, "ExecutionType"));
            }
          }
        }
      }
      st.item_processor = machine(processor, ploc, lang, false, true);
    }
  }

  if (!jsonata) {
    if (auto p = path_field(obj, "ItemsPath", loc, true)) st.items_path = *p;
    const bool has_selector = obj.contains("ItemSelector");
    const bool has_parameters = obj.contains("Parameters");
    if (has_selector && has_parameters) {
      schema("Only one of these fields can be set: [ItemSelector, Parameters]", loc);
    }
    st.item_selector = template_field(obj, has_selector ? "ItemSelector" : "Parameters", loc, lang);
  } else {
    if (obj.contains("Items")) {
      const Json& items = obj["Items"];
      if (!items.is_array() && !is_jsonata_expression(items)) {
        schema("The value for the field 'Items' must be an ARRAY or a JSONata expression",
               at(loc, "Items"));
      } else {
        st.items = items;
      }
    }
    if (obj.contains("ItemSelector")) {
      const Json& sel = obj["ItemSelector"];
      if (!sel.is_object() && !is_jsonata_expression(sel)) {
        schema("The value for the field 'ItemSelector' must be an OBJECT", at(loc, "ItemSelector"));
      } else {
        st.item_selector = sel;
      }
    }
  }

  st.max_concurrency = dynamic_integer(obj, "MaxConcurrency", "MaxConcurrencyPath", loc, lang, 0,
                                       INT64_MAX, &st.max_concurrency_path);
  st.tolerated_failure_count =
      dynamic_integer(obj, "ToleratedFailureCount", "ToleratedFailureCountPath", loc, lang, 0,
                      INT64_MAX, &st.tolerated_failure_count_path);
  {
    const bool has_value = obj.contains("ToleratedFailurePercentage");
    const bool has_path = obj.contains("ToleratedFailurePercentagePath");
    if (has_value && has_path && !jsonata) {
      schema(
          "Only one of these fields can be set: [ToleratedFailurePercentage, "
          "ToleratedFailurePercentagePath]",
          at(loc, "ToleratedFailurePercentage"));
    } else if (has_path && !jsonata) {
      if (auto p = path_field(obj, "ToleratedFailurePercentagePath", loc, true)) {
        st.tolerated_failure_percentage_path = *p;
      }
    } else if (has_value) {
      const Json& v = obj["ToleratedFailurePercentage"];
      if (jsonata && is_jsonata_expression(v)) {
        st.tolerated_failure_percentage_path = v.get<std::string>();
      } else if (!v.is_number()) {
        schema("The value for the field 'ToleratedFailurePercentage' must be a NUMBER",
               at(loc, "ToleratedFailurePercentage"));
      } else if (v.get<double>() < 0 || v.get<double>() > 100) {
        schema("The value for the field 'ToleratedFailurePercentage' must be between 0 and 100",
               at(loc, "ToleratedFailurePercentage"));
      } else {
        st.tolerated_failure_percentage = v.get<double>();
      }
    }
  }
  for (const char* f : {"ItemReader", "ItemBatcher", "ResultWriter"}) {
    if (obj.contains(f) && !obj[f].is_object()) {
      schema(std::string("The value for the field '") + f + "' must be an OBJECT", at(loc, f));
    }
  }
  if (auto label = string_field(obj, "Label", loc)) {
    st.label = *label;
    std::string problem = label_problem(*label);
    if (!problem.empty() && label_message.empty()) {
      label_message = std::move(problem);
      label_location = at(loc, "Label");
    }
  }
}

std::string format_message(const std::vector<Diagnostic>& diags) {
  std::string body;
  for (const auto& d : diags) {
    if (!body.empty()) body += ", ";
    body += d.code + ": " + d.message;
    // JSON syntax errors carry their own position; every other finding names where it is.
    if (d.code != "INVALID_JSON_DESCRIPTION" && d.code != "MISSING_DESCRIPTION") {
      body += " at " + (d.location.empty() ? std::string("null") : d.location);
    }
  }
  return "Invalid State Machine Definition: '" + body + "'";
}

}  // namespace

std::shared_ptr<const StateMachine> parse_state_machine(std::string_view definition_text) {
  Validator v(definition_text);
  auto sm = v.run();
  if (!v.diagnostics.empty()) {
    std::string message = format_message(v.diagnostics);
    throw DefinitionException(std::move(v.diagnostics), std::move(message));
  }
  if (!v.label_message.empty()) {
    // AWS reports a bad Map Label on its own, in a different shape that quotes the definition.
    std::string message = "Error=ValueError Args=[" + python_repr(v.label_message) +
                          "] in definition '" + std::string(definition_text) + "'.";
    std::vector<Diagnostic> diags{Diagnostic{"ERROR", kSchema, v.label_message, v.label_location}};
    throw DefinitionException(std::move(diags), std::move(message));
  }
  return sm;
}

std::string definition_error_message(const std::vector<Diagnostic>& diagnostics) {
  return format_message(diagnostics);
}

std::vector<Diagnostic> validate_state_machine(std::string_view definition_text,
                                               size_t max_results) {
  Validator v(definition_text);
  v.run();
  std::vector<Diagnostic> out = std::move(v.diagnostics);
  if (out.empty() && !v.label_message.empty()) {
    out.push_back(Diagnostic{"ERROR", kSchema, v.label_message, v.label_location});
  }
  if (out.size() > max_results) out.resize(max_results);
  return out;
}

}  // namespace stepd::asl

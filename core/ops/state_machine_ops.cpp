// CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
// ListStateMachines, ValidateStateMachineDefinition, DescribeStateMachineForExecution.
#include "core/asl/parser.h"
#include "core/common/api_error.h"
#include "core/ops/arn.h"
#include "core/ops/service.h"
#include "core/ops/validation.h"

namespace stepd::ops {
namespace {

const Json kDefaultLogging = {{"level", "OFF"}, {"includeExecutionData", false}};
const Json kDefaultTracing = {{"enabled", false}};

// Reads loggingConfiguration into the form we store and compare: every member present, so that
// leaving it out and sending the defaults are the same request (as AWS treats them).
std::optional<Json> read_logging(RequestReader& r) {
  auto in = r.object("loggingConfiguration");
  if (!in) return std::nullopt;
  Json out = kDefaultLogging;
  if (auto it = in->find("level"); it != in->end() && !it->is_null()) {
    static const std::vector<std::string> kLevels = {"ALL", "ERROR", "FATAL", "OFF"};
    if (!it->is_string() ||
        std::find(kLevels.begin(), kLevels.end(), it->get<std::string>()) == kLevels.end()) {
      r.fail("Value '" + (it->is_string() ? it->get<std::string>() : it->dump()) +
             "' at 'loggingConfiguration.level' failed to satisfy constraint: Member must "
             "satisfy enum value set: [ALL, ERROR, FATAL, OFF]");
      return std::nullopt;
    }
    out["level"] = *it;
  }
  if (auto it = in->find("includeExecutionData"); it != in->end() && !it->is_null()) {
    if (!it->is_boolean()) {
      r.fail("Value '" + it->dump() +
             "' at 'loggingConfiguration.includeExecutionData' failed to satisfy constraint: "
             "Member must be a boolean");
      return std::nullopt;
    }
    out["includeExecutionData"] = *it;
  }
  if (auto it = in->find("destinations"); it != in->end() && !it->is_null()) {
    if (!it->is_array()) {
      r.fail(
          "Value at 'loggingConfiguration.destinations' failed to satisfy constraint: Member "
          "must be a list");
      return std::nullopt;
    }
    if (!it->empty()) out["destinations"] = *it;
  }
  return out;
}

std::optional<Json> read_tracing(RequestReader& r) {
  auto in = r.object("tracingConfiguration");
  if (!in) return std::nullopt;
  Json out = kDefaultTracing;
  if (auto it = in->find("enabled"); it != in->end() && !it->is_null()) {
    if (!it->is_boolean()) {
      r.fail("Value '" + it->dump() +
             "' at 'tracingConfiguration.enabled' failed to satisfy constraint: Member must be a "
             "boolean");
      return std::nullopt;
    }
    out["enabled"] = *it;
  }
  return out;
}

void check_logging(const Json& logging) {
  // CloudWatch delivery is not ours to do, but a configuration AWS would refuse is refused.
  if (logging["level"] != "OFF" && !logging.contains("destinations")) {
    throw ApiError("InvalidLoggingConfiguration",
                   "Invalid Logging Configuration: Must specify exactly one Log Destination.");
  }
}

void refuse_versions(const std::optional<bool>& publish) {
  if (publish.value_or(false)) {
    throw ApiError("ValidationException",
                   "State machine versions are not supported by stepd: publish must be false");
  }
}

void parse_definition(const std::string& definition) {
  try {
    (void)asl::parse_state_machine(definition);
  } catch (const asl::DefinitionException& e) {
    throw ApiError("InvalidDefinition", e.message());
  }
}

Json stored_or_default(const std::string& text, const Json& fallback) {
  if (text.empty()) return fallback;
  Json j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

}  // namespace

Json Service::create_state_machine(const Json& req) {
  RequestReader r(req);
  auto name = r.string("name", name_rule(true));
  auto definition = r.string("definition", definition_rule(true));
  auto role_arn = r.string("roleArn", arn_rule(true));
  auto type = r.string("type", {.one_of = {"STANDARD", "EXPRESS"}});
  auto logging = read_logging(r);
  auto tracing = read_tracing(r);
  size_t tag_count = read_tags(r);
  auto publish = r.boolean("publish");
  r.string("versionDescription", {.max = 256, .sensitive = true});
  auto encryption = r.object("encryptionConfiguration");
  r.done();

  check_name(*name);
  check_tag_count(tag_count);
  check_encryption(encryption);
  if (!is_arn(*role_arn)) throw ApiError("InvalidArn", "Invalid Arn: '" + *role_arn + "'");
  if (type.value_or("STANDARD") == "EXPRESS") {
    throw ApiError("StateMachineTypeNotSupported",
                   "Express state machines are not supported by stepd");
  }
  refuse_versions(publish);
  Json logging_json = logging.value_or(kDefaultLogging);
  Json tracing_json = tracing.value_or(kDefaultTracing);
  check_logging(logging_json);
  parse_definition(*definition);

  store::StateMachineRecord sm;
  sm.arn = state_machine_arn(region(), account(), *name);
  sm.name = *name;
  sm.type = "STANDARD";
  sm.revision_id = ids_.uuid();
  sm.definition = *definition;
  sm.role_arn = *role_arn;
  sm.logging_configuration = logging_json.dump();
  sm.tracing_configuration = tracing_json.dump();
  sm.creation_ms = now_ms();

  // AWS: the same name with the same definition, type and configuration is the same request;
  // anything else under that name is a conflict. A different roleArn does not count.
  auto answer_existing = [&](const store::StateMachineRecord& existing) -> Json {
    bool same =
        existing.definition == sm.definition && existing.type == sm.type &&
        stored_or_default(existing.logging_configuration, kDefaultLogging) == logging_json &&
        stored_or_default(existing.tracing_configuration, kDefaultTracing) == tracing_json;
    if (!same) {
      throw ApiError("StateMachineAlreadyExists",
                     "State Machine Already Exists: '" + existing.arn + "'");
    }
    return {{"stateMachineArn", existing.arn}, {"creationDate", timestamp(existing.creation_ms)}};
  };
  if (auto existing = store_.get_state_machine(sm.arn)) return answer_existing(*existing);
  if (store_.create_state_machine(sm) == store::CreateOutcome::kAlreadyExists) {
    // Someone created it between our read and our write.
    if (auto existing = store_.get_state_machine(sm.arn)) return answer_existing(*existing);
    throw ApiError("StateMachineAlreadyExists", "State Machine Already Exists: '" + sm.arn + "'");
  }
  return {{"stateMachineArn", sm.arn}, {"creationDate", timestamp(sm.creation_ms)}};
}

Json Service::describe_state_machine(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("stateMachineArn", arn_rule(true));
  r.string("includedData", {.one_of = {"ALL_DATA", "METADATA_ONLY"}});
  r.done();
  require_states_arn(*arn, "stateMachine", 1, 2);
  auto sm = require_state_machine(*arn);
  Json out = {
      {"stateMachineArn", sm.arn},
      {"name", sm.name},
      {"status", sm.status},
      {"definition", sm.definition},
      {"roleArn", sm.role_arn},
      {"type", sm.type},
      {"creationDate", timestamp(sm.creation_ms)},
      {"loggingConfiguration", stored_or_default(sm.logging_configuration, kDefaultLogging)},
      {"tracingConfiguration", stored_or_default(sm.tracing_configuration, kDefaultTracing)}};
  // AWS shows a revision id only once the machine has been updated.
  if (sm.update_ms != 0) out["revisionId"] = sm.revision_id;
  if (!sm.description.empty()) out["description"] = sm.description;
  return out;
}

Json Service::update_state_machine(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("stateMachineArn", arn_rule(true));
  auto definition = r.string("definition", definition_rule(false));
  auto role_arn = r.string("roleArn", arn_rule(false));
  auto logging = read_logging(r);
  auto tracing = read_tracing(r);
  auto publish = r.boolean("publish");
  r.string("versionDescription", {.max = 256, .sensitive = true});
  auto encryption = r.object("encryptionConfiguration");
  r.done();

  check_encryption(encryption);
  require_states_arn(*arn, "stateMachine", 1, 1);
  if (!definition && !role_arn && !logging && !tracing) {
    throw ApiError("MissingRequiredParameter",
                   "Either the definition, the role ARN, the LoggingConfiguration, or the "
                   "TracingConfiguration must be specified");
  }
  if (role_arn && !is_arn(*role_arn)) {
    throw ApiError("InvalidArn", "Invalid Arn: '" + *role_arn + "'");
  }
  refuse_versions(publish);
  if (logging) check_logging(*logging);
  if (definition) parse_definition(*definition);

  auto sm = require_state_machine(*arn);
  bool new_revision =
      (definition && *definition != sm.definition) || (role_arn && *role_arn != sm.role_arn);
  if (definition) sm.definition = *definition;
  if (role_arn) sm.role_arn = *role_arn;
  if (logging) sm.logging_configuration = logging->dump();
  if (tracing) sm.tracing_configuration = tracing->dump();
  // Executions keep the revision they started with, so a change of what runs is a new one.
  if (new_revision) sm.revision_id = ids_.uuid();
  sm.update_ms = now_ms();
  if (!store_.update_state_machine(sm)) {
    throw ApiError("StateMachineDoesNotExist", "State Machine Does Not Exist: '" + *arn + "'");
  }
  return {{"updateDate", timestamp(sm.update_ms)}, {"revisionId", sm.revision_id}};
}

Json Service::delete_state_machine(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("stateMachineArn", arn_rule(true));
  r.done();
  require_states_arn(*arn, "stateMachine", 1, 1);
  // AWS answers success for a machine that is already gone.
  store_.delete_state_machine(*arn);
  return Json::object();
}

Json Service::list_state_machines(const Json& req) {
  RequestReader r(req);
  auto max_results = r.integer("maxResults", 0, kMaxPageSize);
  auto next_token = r.string("nextToken", token_rule(1024));
  r.done();
  Json scope = {{"op", "ListStateMachines"}};
  store::Page page{tokens_.open(next_token, scope), page_size(max_results)};
  std::string next;
  std::vector<store::StateMachineRecord> rows;
  try {
    rows = store_.list_state_machines(page, &next);
  } catch (const std::invalid_argument&) {
    throw ApiError("InvalidToken", "Invalid Token: 'nextToken is not a token this server issued'");
  }
  Json items = Json::array();
  for (const auto& sm : rows) {
    items.push_back({{"stateMachineArn", sm.arn},
                     {"name", sm.name},
                     {"type", sm.type},
                     {"creationDate", timestamp(sm.creation_ms)}});
  }
  Json out = {{"stateMachines", std::move(items)}};
  if (auto t = tokens_.issue(scope, next); !t.empty()) out["nextToken"] = t;
  return out;
}

Json Service::validate_state_machine_definition(const Json& req) {
  RequestReader r(req);
  auto definition = r.string("definition", definition_rule(true));
  r.string("type", {.one_of = {"STANDARD", "EXPRESS"}});
  auto severity = r.string("severity", {.one_of = {"ERROR", "WARNING"}});
  auto max_results = r.integer("maxResults", 0, 100);
  r.done();

  size_t limit = max_results && *max_results > 0 ? static_cast<size_t>(*max_results) : 100;
  bool with_warnings = severity.value_or("ERROR") == "WARNING";
  auto found = asl::validate_state_machine(*definition, asl::kMaxDiagnostics);
  Json diagnostics = Json::array();
  bool failed = false;
  bool truncated = false;
  for (const auto& d : found) {
    if (d.severity == "ERROR") failed = true;
    if (d.severity != "ERROR" && !with_warnings) continue;
    if (diagnostics.size() == limit) {
      truncated = true;
      continue;
    }
    Json item = {{"severity", d.severity}, {"code", d.code}, {"message", d.message}};
    if (!d.location.empty()) item["location"] = d.location;
    diagnostics.push_back(std::move(item));
  }
  return {{"result", failed ? "FAIL" : "OK"},
          {"diagnostics", std::move(diagnostics)},
          {"truncated", truncated}};
}

Json Service::describe_state_machine_for_execution(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("executionArn", arn_rule(true));
  r.string("includedData", {.one_of = {"ALL_DATA", "METADATA_ONLY"}});
  r.done();
  auto parsed = require_states_arn(*arn, "execution", 2, 2);
  auto execution = require_execution(*arn);
  auto revision = store_.get_revision(execution.revision_id);
  auto current = store_.get_state_machine(execution.state_machine_arn);
  if (!revision) {
    // Revisions are never deleted; a missing one is a broken store, not a user error.
    throw std::runtime_error("definition revision " + execution.revision_id + " of execution " +
                             execution.arn + " is missing");
  }
  Json out = {{"stateMachineArn", execution.state_machine_arn},
              {"name", parsed.parts[0]},
              {"definition", revision->definition},
              {"roleArn", revision->role_arn},
              {"updateDate", timestamp(revision->created_ms)},
              {"loggingConfiguration",
               current ? stored_or_default(current->logging_configuration, kDefaultLogging)
                       : kDefaultLogging},
              {"tracingConfiguration",
               current ? stored_or_default(current->tracing_configuration, kDefaultTracing)
                       : kDefaultTracing},
              {"revisionId", revision->revision_id}};
  return out;
}

}  // namespace stepd::ops

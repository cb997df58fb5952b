// A Choice rule (first part, a JSON object) placed in a Choice state, validated as
// CreateStateMachine validates it and, when valid, evaluated against an input document (second
// part, or the sample document) the way the engine evaluates it.
#include <cstddef>
#include <cstdint>

#include "core/asl/choice_rule.h"
#include "core/asl/eval_scope.h"
#include "core/asl/parser.h"
#include "core/common/states_error.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [rule_text, doc_text] = fuzz::split_parts(fuzz::as_text(data, size));
  std::optional<Json> rule = fuzz::parse_document(rule_text);
  if (!rule) return 0;
  std::optional<Json> own_doc;
  const Json* found_doc = fuzz::document_or_sample(doc_text, own_doc);
  if (!found_doc) return 0;
  const Json& doc = *found_doc;

  // Rules the fuzzer writes rarely name a state; give them one so that validation looks further.
  if (rule->is_object() && !rule->contains("Next")) (*rule)["Next"] = "Done";
  Json definition = {
      {"StartAt", "Pick"},
      {"States",
       {{"Pick", {{"Type", "Choice"}, {"Choices", Json::array({*rule})}, {"Default", "Done"}}},
        {"Done", {{"Type", "Succeed"}}}}}};

  std::shared_ptr<const asl::StateMachine> machine;
  try {
    machine = asl::parse_state_machine(definition.dump());
  } catch (const asl::DefinitionException&) {
    return 0;
  }
  const asl::State* pick = machine->find("Pick");
  asl::EvalScope scope{doc, fuzz::sample_context(), &fuzz::sample_variables()};
  for (const asl::ChoiceRule& r : pick->choices) {
    if (r.op == asl::ChoiceOp::kCondition) continue;  // JSONata: the engine's business
    try {
      (void)asl::evaluate_choice_rule(r, scope);
    } catch (const StatesException&) {
    }
  }

  // StringMatches on its own: the rule's text against the pattern's, both arbitrary bytes.
  (void)asl::string_matches(doc_text, rule_text);
  return 0;
}

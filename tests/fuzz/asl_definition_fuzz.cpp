// Definition text -> model or InvalidDefinition, as CreateStateMachine and
// ValidateStateMachineDefinition see it. Both entry points run the same checks, so they must
// agree on every input; a disagreement aborts like a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/asl/parser.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = stepd::fuzz::as_text(data, size);
  bool parsed = false;
  try {
    auto machine = stepd::asl::parse_state_machine(text);
    parsed = machine != nullptr;
    if (!parsed) std::abort();  // documented to throw, never to return nothing
  } catch (const stepd::asl::DefinitionException& e) {
    if (e.diagnostics().empty()) std::abort();
  }
  std::vector<stepd::asl::Diagnostic> findings = stepd::asl::validate_state_machine(text);
  if (parsed != findings.empty()) std::abort();
  return 0;
}

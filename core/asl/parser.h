#pragma once
// Reading a definition: JSON text in, an immutable StateMachine out, or every problem AWS would
// report. CreateStateMachine/UpdateStateMachine call parse_state_machine();
// ValidateStateMachineDefinition calls validate_state_machine(). Both run the same checks, so
// the API can never accept a definition the validator calls broken, or the reverse.
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/asl/model.h"

namespace stepd::asl {

// One finding, shaped like ValidateStateMachineDefinitionDiagnostic.
struct Diagnostic {
  std::string severity = "ERROR";
  std::string code;      // SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, ...
  std::string message;   // without the code and location
  std::string location;  // "/States/A/Next"; empty when AWS reports none
};

// Thrown by parse_state_machine; the API answers InvalidDefinition with message().
class DefinitionException : public std::exception {
 public:
  DefinitionException(std::vector<Diagnostic> diagnostics, std::string message)
      : diagnostics_(std::move(diagnostics)), message_(std::move(message)) {}

  // The first finding's code ("SCHEMA_VALIDATION_FAILED" ...).
  const std::string& code() const { return diagnostics_.front().code; }
  // AWS's whole text: "Invalid State Machine Definition: 'CODE: message at /location, ...'".
  const std::string& message() const { return message_; }
  // The first finding's location.
  const std::string& location() const { return diagnostics_.front().location; }
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::vector<Diagnostic> diagnostics_;  // never empty
  std::string message_;
};

// Limits that keep a hostile definition from exhausting the stack or memory.
inline constexpr size_t kMaxDefinitionJsonDepth = 256;  // nesting of JSON objects/arrays
inline constexpr size_t kMaxDiagnostics = 1000;         // findings kept per definition

// Parses and validates. Throws DefinitionException when AWS would reject the definition.
std::shared_ptr<const StateMachine> parse_state_machine(std::string_view definition_text);

// AWS's InvalidDefinition message for a list of findings, as DefinitionException::message()
// words it ("Invalid State Machine Definition: 'CODE: message at /location, ...'").
std::string definition_error_message(const std::vector<Diagnostic>& diagnostics);

// Every finding (empty means the definition is valid), at most max_results of them.
std::vector<Diagnostic> validate_state_machine(std::string_view definition_text,
                                               size_t max_results = 100);

}  // namespace stepd::asl

#pragma once
// Payload templates: Parameters, ResultSelector, ItemSelector (and the older Map Parameters).
// A key ending in ".$" takes its value from a path ($..., $$..., $var...) or an intrinsic
// function call, and loses the ".$"; every other value is copied as written.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asl/eval_scope.h"
#include "core/common/json.h"

namespace stepd::asl {

// Builds the payload. Nested objects, and objects inside arrays, are templates too.
// A path that finds nothing fails the state with States.Runtime and the cause AWS gives:
//   The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{...}'
// (AWS raises States.Runtime here, not States.ParameterPathFailure: recorded on AWS in
// conformance case scenarios/..._INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH). The engine prefixes
// "An error occurred while executing the state '...' (entered at the event id #N). ".
// Intrinsic failures throw StatesException(States.IntrinsicFailure, cause).
Json apply_template(const Json& tmpl, const EvalScope& scope);

class CompiledPath;

// A template compiled once (parse_state_machine() keeps one beside Parameters, ResultSelector
// and ItemSelector): every path in it is parsed, and parts without ".$" keys are kept as
// values to copy. apply() gives what apply_template() gives for the same template.
class CompiledTemplate {
 public:
  // Throws std::invalid_argument where validate_template() would.
  static std::shared_ptr<const CompiledTemplate> compile(const Json& tmpl);

  Json apply(const EvalScope& scope) const;

  struct Member;
  struct Node {
    enum class Kind { kLiteral, kObject, kArray, kExpression };
    Kind kind = Kind::kLiteral;
    Json literal;                              // kLiteral
    std::vector<Member> members;               // kObject
    std::vector<Node> elements;                // kArray
    std::string expression;                    // kExpression: as written
    std::string field;                         // kExpression: the key, with ".$"
    std::shared_ptr<const CompiledPath> path;  // kExpression: null for an intrinsic
  };
  // Not std::pair<std::string, Node>: pair needs Node complete where Node is being defined,
  // which GCC lets pass and clang (with libstdc++ 12) refuses.
  struct Member {
    std::string key;  // the output key (".$" removed)
    Node value;
  };

 private:
  explicit CompiledTemplate(Node root) : root_(std::move(root)) {}
  Node root_;
};

// The value of one ".$" expression (a path or an intrinsic call); nullopt when a path finds
// nothing. Also what Fail's ErrorPath/CausePath use.
std::optional<Json> evaluate_expression(std::string_view expr, const EvalScope& scope,
                                        std::string_view field = {});

// Definition check for CreateStateMachine. Throws std::invalid_argument naming the field:
//   The value for the field 'x.$' must be a valid JSONPath or a valid intrinsic function call
void validate_template(const Json& tmpl);

// The same check for one expression (ErrorPath, CausePath, ...); `field` names it in the message.
void validate_expression(std::string_view expr, std::string_view field);

}  // namespace stepd::asl

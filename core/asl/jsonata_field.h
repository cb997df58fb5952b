#pragma once
// The fields of JSONata states (QueryLanguage "JSONata"): Arguments, Output, Assign, a Choice
// rule's Condition, Items, ItemSelector, Seconds, Timestamp, Error, Cause, MaxConcurrency ...
// A field is JSON in which every string written "{% expression %}" is a JSONata expression;
// everything else is copied as written. Expressions are parsed once, with the definition.
//
// An expression sees `$states` (input, context, and result or errorOutput where the field has
// them) and the execution's variables as `$name`; Step Functions' own functions ($partition,
// $range, $hash, $random, $uuid, $parse) are added to JSONata's library, and `$eval` is not
// there. Whatever goes wrong raises States.QueryEvaluationError with the cause AWS gives, e.g.
//   The JSONata expression '$x' specified for the field 'Output/a' returned nothing (undefined).
// (the engine prefixes "An error occurred while executing the state ...").
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/clock.h"
#include "core/common/json.h"

namespace stepd::jsonata {
class Expression;
}

namespace stepd::asl {

inline constexpr const char* kQueryEvaluationError = "States.QueryEvaluationError";

// True when `v` is a string of the "{% … %}" form.
bool is_jsonata_text(const Json& v);

// What expressions of one field see.
struct JsonataScope {
  const Json& states;                                 // $states
  const Json* variables = nullptr;                    // the thread's own variables ($name)
  std::span<const Json* const> outer_variables = {};  // enclosing threads', innermost first
  IdSource* ids = nullptr;                            // $uuid(), $random() without a seed
  int64_t now_ms = 0;                                 // $now(), $millis()
};

class JsonataField {
 public:
  // Parses every expression in `value`. Throws std::invalid_argument with JSONata's message
  // (code, position) for one that does not parse.
  static std::shared_ptr<const JsonataField> compile(const Json& value);

  // The field's value, each expression replaced by its result. `field` names the field in
  // errors ("Output", "Assign"); members and elements below it are named "Output/a/b[0]".
  Json evaluate(const JsonataScope& scope, const std::string& field) const;

  // The expression's text when the whole field is one expression, else empty.
  const std::string& expression_text() const { return root_.source; }

  // Calls `visit(where, expression)` for every expression in the field, `where` saying where it
  // sits below the field as a JSON pointer ("" for the whole field, "/a/0" for a member's first
  // element).
  void for_each_expression(
      const std::function<void(const std::string& where, const jsonata::Expression&)>& visit) const;

  struct Member;
  struct Node {
    enum class Kind { kLiteral, kObject, kArray, kExpression };
    Kind kind = Kind::kLiteral;
    Json literal;
    std::vector<Member> members;
    std::vector<Node> elements;
    std::string source;  // kExpression: the text between "{%" and "%}", trimmed
    std::shared_ptr<const jsonata::Expression> expression;
    std::vector<std::string> names;  // kExpression: the `$names` it mentions (variables to bind)
  };
  struct Member {
    std::string key;
    Node value;
  };

 private:
  explicit JsonataField(Node root) : root_(std::move(root)) {}
  Node root_;
};

// Checks a value the engine needs of one type: `what` is "array", "boolean", "number",
// "string", "integer"... The message is AWS's:
//   The JSONata expression 'X' specified for the field 'Items' returned an unexpected result
//   type. Expected 'array', but was 'boolean' for value: true
// (for a field that is not one expression, "The field 'Items' ..." is used instead).
// `field` may be null (a value written as a literal).
[[noreturn]] void unexpected_result_type(const JsonataField* field, const std::string& name,
                                         const std::string& expected, const Json& value);

// The JSON type names AWS uses in those messages ("object", "array", "string", "number",
// "boolean", "null").
std::string jsonata_type_name(const Json& v);

}  // namespace stepd::asl

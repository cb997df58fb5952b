#pragma once
// The syntax tree the parser builds and the evaluator walks. Internal to core/jsonata.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepd::jsonata {

class Regex;
class Signature;

enum class NodeKind {
  Number,  // number
  String,  // text
  Bool,    // flag
  Null,
  Regex,        // text = pattern, flags = flags; regex = compiled when parsed
  Name,         // text = field name
  Variable,     // text = name without `$`; "" is the context `$`, "$" is the root `$$`
  Wildcard,     // *
  Descendant,   // **
  Parent,       // % (parsed, not evaluated yet)
  Path,         // children = steps; flag = keep singleton arrays (`[]`)
  Filter,       // children = {subject, predicate}
  Binary,       // text = operator; children = {lhs, rhs}
  Negate,       // children = {operand}
  Array,        // children = elements
  Object,       // pairs; an object constructor with no subject groups the context
  GroupBy,      // children = {subject}; pairs
  Sort,         // children = {subject, term...}; descending[i] per term
  Block,        // children = expressions separated by `;`
  Condition,    // children = {condition, then[, else]}
  Assign,       // text = variable name; children = {value}
  Call,         // children = {callee, args...}
  Lambda,       // params; children = {body}
  Apply,        // children = {lhs, rhs} of `~>`
  Range,        // children = {from, to} of `..`
  Placeholder,  // `?` as an argument: a partial application
  Focus,        // `step@$v`: text = variable; children = {step}
  Index,        // `step#$i`: text = variable; children = {step}
};

struct Node {
  NodeKind kind;
  size_t position = 0;
  size_t height = 1;  // of the subtree; bounded at parse time  // end of the token that made this
                      // node, in code points (for errors)
  std::string text;
  std::string flags;
  double number = 0;
  bool flag = false;
  std::vector<std::unique_ptr<Node>> children;
  std::vector<std::pair<std::unique_ptr<Node>, std::unique_ptr<Node>>> pairs;
  std::vector<bool> descending;
  std::vector<std::string> params;
  std::shared_ptr<const Regex> regex;          // NodeKind::Regex
  std::shared_ptr<const Signature> signature;  // NodeKind::Lambda, when it has one
};

using NodePtr = std::unique_ptr<Node>;

// Throws Error.
NodePtr parse_expression(std::string_view text);

}  // namespace stepd::jsonata

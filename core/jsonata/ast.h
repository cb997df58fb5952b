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
  Parent,       // `%`: text = the label its step binds (see ancestry.cpp)
  Path,         // children = steps; flag = keep singleton arrays (`[]`); tuple (ancestry.cpp)
  Filter,       // children = {subject, predicate}
  Binary,       // text = operator; children = {lhs, rhs}
  Negate,       // children = {operand}
  Array,        // children = elements
  Object,       // pairs; an object constructor with no subject groups the context
  GroupBy,      // children = {subject}; pairs
  Sort,         // a step of a Path, `^(…)`: children = terms; descending[i] per term
  Block,        // children = expressions separated by `;`; tuple (ancestry.cpp)
  Condition,    // children = {condition, then[, else]}
  Assign,       // text = variable name; children = {value}
  Call,         // children = {callee, args...}
  Lambda,       // params; children = {body}
  Apply,        // children = {lhs, rhs} of `~>`
  Range,        // children = {from, to} of `..`
  Placeholder,  // `?` as an argument: a partial application
  Focus,        // `step@$v`: text = variable; children = {step}
  Index,        // `step#$i`: text = variable; children = {step}
  Transform,    // `| location | update [, delete] |`: children = {location, update[, delete]}
};

struct Node {
  NodeKind kind;
  size_t position = 0;
  size_t height = 1;  // of the subtree; bounded at parse time  // end of the token that made this
                      // node, in code points (for errors)
  std::string text;
  std::string flags;
  // The label under which a Name or Wildcard step binds its input, the parent `%` refers to
  // (empty: none).
  std::string ancestor;
  // A Path or Block that a `%` looks through: evaluated as a step of a path, it hands over its
  // tuple stream (values with the bindings made along the way) instead of its values.
  bool tuple = false;
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

// Works out, after parsing, which step each `%` refers to, as jsonata-js's parser does: labels
// the Parent nodes, marks the steps that bind their input (`ancestor`) and the paths and blocks
// that must hand over their tuple stream (`tuple`). Throws S0217 where no step can be found.
void resolve_parents(Node& root);

}  // namespace stepd::jsonata

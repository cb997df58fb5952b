// Expression::top_level_names and Expression::variable_fields: walks of the syntax tree.
#include <algorithm>

#include "core/jsonata/ast.h"
#include "core/jsonata/jsonata.h"

namespace stepd::jsonata {
namespace {

void add_once(std::vector<std::string>& out, const std::string& name) {
  if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
}

// `at_input` is whether `n` is evaluated against the expression's own input.
void collect_input_names(const Node& n, bool at_input, std::vector<std::string>& out) {
  switch (n.kind) {
    case NodeKind::Name:
      if (at_input) add_once(out, n.text);
      return;
    case NodeKind::Path:
      // The first step reads the input; every later step reads what the step before gave.
      for (size_t i = 0; i < n.children.size(); ++i) {
        collect_input_names(*n.children[i], at_input && i == 0, out);
      }
      return;
    case NodeKind::Filter:
    case NodeKind::Sort:
    case NodeKind::GroupBy:
      // The subject reads the input; predicates and terms read its items.
      if (!n.children.empty()) collect_input_names(*n.children[0], at_input, out);
      for (size_t i = 1; i < n.children.size(); ++i)
        collect_input_names(*n.children[i], false, out);
      for (const auto& [k, v] : n.pairs) {
        collect_input_names(*k, false, out);
        collect_input_names(*v, false, out);
      }
      return;
    case NodeKind::Object:  // without a subject it groups the input itself
      for (const auto& [k, v] : n.pairs) {
        collect_input_names(*k, at_input, out);
        collect_input_names(*v, at_input, out);
      }
      return;
    case NodeKind::Lambda:
    case NodeKind::Transform:
      // The body reads whatever the function is applied to; nothing to say about it here.
      return;
    default:
      // Operators, calls, conditions, blocks, constructors, bindings: their operands read the
      // same input as they do.
      for (const auto& c : n.children) collect_input_names(*c, at_input, out);
      for (const auto& [k, v] : n.pairs) {
        collect_input_names(*k, at_input, out);
        collect_input_names(*v, at_input, out);
      }
      return;
  }
}

// The node a path step stands for once its predicates, sort and focus are taken off:
// `$states` in `$states[0]`.
const Node& step_subject(const Node& n) {
  const Node* s = &n;
  while ((s->kind == NodeKind::Filter || s->kind == NodeKind::Sort ||
          s->kind == NodeKind::GroupBy || s->kind == NodeKind::Focus ||
          s->kind == NodeKind::Index) &&
         !s->children.empty()) {
    s = s->children[0].get();
  }
  return *s;
}

void collect_variable_fields(const Node& n, std::string_view variable,
                             std::vector<std::string>& out) {
  if (n.kind == NodeKind::Path && n.children.size() >= 2) {
    const Node& first = step_subject(*n.children[0]);
    const Node& second = step_subject(*n.children[1]);
    if (first.kind == NodeKind::Variable && first.text == variable &&
        second.kind == NodeKind::Name) {
      add_once(out, second.text);
    }
  }
  for (const auto& c : n.children) collect_variable_fields(*c, variable, out);
  for (const auto& [k, v] : n.pairs) {
    collect_variable_fields(*k, variable, out);
    collect_variable_fields(*v, variable, out);
  }
}

}  // namespace

std::vector<std::string> Expression::top_level_names() const {
  std::vector<std::string> out;
  if (root_) collect_input_names(*root_, true, out);
  return out;
}

std::vector<std::string> Expression::variable_fields(std::string_view name) const {
  std::vector<std::string> out;
  if (root_) collect_variable_fields(*root_, name, out);
  return out;
}

}  // namespace stepd::jsonata

#pragma once
// What a path, a payload template or an intrinsic function can see while it is evaluated.
// Held by reference: a scope lives for one evaluation and never outlives the documents.
#include <span>
#include <string>

#include "core/common/clock.h"
#include "core/common/json.h"

namespace stepd::asl {

struct EvalScope {
  const Json& input;                // what "$" refers to
  const Json& context;              // what "$$" refers to (the context object)
  const Json* variables = nullptr;  // workflow variables: "$name" reads (*variables)["name"]
  IdSource* ids = nullptr;  // States.UUID / unseeded States.MathRandom; null -> States.Runtime
  // Variables of the enclosing scopes (a Map iteration's or Parallel branch's parents),
  // innermost first, searched when `variables` lacks a name.
  std::span<const Json* const> outer_variables = {};

  // The value of variable `name`, or null when no scope has it.
  const Json* variable(const std::string& name) const {
    if (variables && variables->is_object()) {
      if (auto it = variables->find(name); it != variables->end()) return &*it;
    }
    for (const Json* vars : outer_variables) {
      if (vars && vars->is_object()) {
        if (auto it = vars->find(name); it != vars->end()) return &*it;
      }
    }
    return nullptr;
  }
};

}  // namespace stepd::asl

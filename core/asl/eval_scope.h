#pragma once
// What a path, a payload template or an intrinsic function can see while it is evaluated.
// Held by reference: a scope lives for one evaluation and never outlives the documents.
#include "core/common/clock.h"
#include "core/common/json.h"

namespace stepd::asl {

struct EvalScope {
  const Json& input;                // what "$" refers to
  const Json& context;              // what "$$" refers to (the context object)
  const Json* variables = nullptr;  // workflow variables: "$name" reads (*variables)["name"]
  IdSource* ids = nullptr;  // States.UUID / unseeded States.MathRandom; null -> States.Runtime
};

}  // namespace stepd::asl

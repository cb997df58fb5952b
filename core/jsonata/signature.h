#pragma once
// A lambda's type signature, `function($a, $b)<n-n:n>{ ... }`, and the check JSONata makes of
// the arguments each time the lambda is called. Internal to core/jsonata.
//
// Grammar, one symbol per parameter: b boolean, n number, s string, l null, o object, a array,
// f function, j any JSON value, x anything; `(ns)` a choice of types; `a<n>` and `f<…>` a type
// parameter (only arrays have it checked); modifiers `?` optional, `+` one or more, `-` the
// context when the argument is missing. `:` starts the return type, which is not checked. Other
// letters are ignored, as jsonata-js ignores them.
//
// The arguments match the parameters the way jsonata-js matches them: as a regular expression
// over one letter per argument (`m` for undefined, which any parameter but `f` accepts),
// leftmost, greedy unless the modifier is lazy (`??`, `+?`). The match is found with a table,
// not by backtracking, so its cost is polynomial and is counted as evaluation steps.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/jsonata/value.h"

namespace stepd::jsonata {

class Evaluator;

class Signature {
 public:
  // `text` runs from `<` to the matching `>` with the whitespace between tokens removed, as
  // jsonata-js assembles it; errors point at `position` (the end of the `<`) plus the offset of
  // the offending symbol in `text`. Throws Error S0401 (a type parameter on a type other than
  // a or f; modifiers that do not combine) or S0402 (a type parameter inside a choice).
  static std::shared_ptr<const Signature> parse(std::string_view text, size_t position);

  // The arguments to bind to the parameters: missing `-` arguments replaced by the context, a
  // single value where an array is expected wrapped in one. Throws T0410 (no match), T0411
  // (the context does not fit) or T0412 (array items of the wrong type). `name` is the
  // function's name for messages ("" when unknown).
  std::vector<Value> validate(const std::vector<Value>& args, const Value& context,
                              const std::string& name, size_t position, Evaluator& ev) const;

  const std::string& text() const { return text_; }

 private:
  struct Param {
    char type = 0;        // b n s l o a f j x, or '(' for a choice
    std::string accepts;  // the argument letters it takes
    std::string subtype;  // a<…> / f<…>
    std::string modifiers;
    bool use_context = false;
    bool context_any = false;  // `-` after `?`: any context will do
    size_t min = 1;
    size_t max = 1;  // SIZE_MAX for `+`
    bool lazy = false;
  };

  // How the argument letters match the first `count` parameters: for each, its first letter
  // and how many it takes. `anchored`: the match must use every letter. nullopt: no match.
  std::optional<std::vector<std::pair<size_t, size_t>>> match(const std::string& letters,
                                                              size_t count, bool anchored,
                                                              Evaluator& ev, size_t position) const;

  std::string text_;
  std::vector<Param> params_;
};

}  // namespace stepd::jsonata

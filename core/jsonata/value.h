#pragma once
// What an expression evaluates to while it is being evaluated. Internal to core/jsonata.
//
// JSON values are plain stepd::Json. On top of them JSONata needs three things JSON lacks:
// "undefined" (no match), sequences (the flattened results of a path, unwrapped to a single
// value when they hold one), and functions (built-ins and lambdas). A Value is one of those.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/common/json.h"

namespace stepd::jsonata {

struct Node;
struct Frame;
struct Builtin;
struct Function;
struct HostFunction;
class Regex;
class Value;

class Value {
 public:
  enum class Kind { Undefined, Json, Sequence, Function };

  Value() = default;
  Value(Json j) : kind(Kind::Json), json(std::move(j)) {}  // NOLINT: implicit on purpose
  static Value sequence(std::vector<Value> items = {}, bool keep_singleton = false) {
    Value v;
    v.kind = Kind::Sequence;
    v.items = std::move(items);
    v.keep_singleton = keep_singleton;
    return v;
  }
  static Value function(std::shared_ptr<const Function> f) {
    Value v;
    v.kind = Kind::Function;
    v.fn = std::move(f);
    return v;
  }

  bool undefined() const { return kind == Kind::Undefined; }
  bool is_json() const { return kind == Kind::Json; }
  bool is_sequence() const { return kind == Kind::Sequence; }
  bool is_function() const { return kind == Kind::Function; }
  bool is_number() const { return is_json() && json.is_number(); }
  bool is_string() const { return is_json() && json.is_string(); }
  bool is_array() const { return is_sequence() || (is_json() && json.is_array()); }

  Kind kind = Kind::Undefined;
  Json json;                           // Kind::Json
  std::vector<Value> items;            // Kind::Sequence; never holds Undefined or nested sequences
  std::shared_ptr<const Function> fn;  // Kind::Function
  bool keep_singleton = false;         // a sequence from a path with `[]`
  bool cons = false;  // a JSON array built by `[...]`: path steps do not flatten it
  // Members of the object in `json` that hold functions (the `next` of the object a regular
  // expression gives for a match). JSON cannot hold functions, so they travel beside it: a
  // field lookup finds them, $string shows them as "" (as JSON.stringify does in jsonata-js),
  // and everything else sees only `json`.
  std::shared_ptr<const std::vector<std::pair<std::string, Value>>> methods;
};

struct Function {
  const Builtin* builtin = nullptr;    // either a library function ...
  const HostFunction* host = nullptr;  // ... or one the host added ...
  std::shared_ptr<const Regex> regex;  // ... or a regular expression (a matcher) ...
  // ... which, with `subject`, is the `next` of a match: it goes on matching `subject` from
  // byte `resume` (code point `resume_chars`) ...
  std::shared_ptr<const std::string> subject;
  size_t resume = 0;
  size_t resume_chars = 0;
  const Node* transform = nullptr;  // ... or a transform `|…|…|` (with `closure`) ...
  const Node* lambda = nullptr;     // ... or a lambda: its node, closure and defining context
  Frame* closure = nullptr;         // owned by the evaluation's frame arena
  std::shared_ptr<const Value> context;
  // A partial application `$f(?, 2)`: `target` with `bound` arguments, holes where `hole`.
  // A composition `$f ~> $g`: `target` then `then`.
  std::shared_ptr<const Value> target;
  std::vector<Value> bound;
  std::vector<bool> hole;
  std::shared_ptr<const Value> then;
  size_t arity() const;
};

}  // namespace stepd::jsonata

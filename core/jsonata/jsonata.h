#pragma once
// JSONata (https://docs.jsonata.org, version 2.0 semantics) as a library: parse an expression
// once, evaluate it against many inputs. Independent of the engine; see README.md.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/json.h"

namespace stepd::jsonata {

struct Node;

// A syntax or evaluation error with JSONata's code (S0201, T2001, D1001 ...). `position` counts
// characters (code points) from the start of the expression to the end of the offending token,
// as jsonata-js reports it; 0 when no token is to blame.
class Error : public std::exception {
 public:
  Error(std::string code, size_t position, std::string message)
      : code(std::move(code)), position(position), message(std::move(message)) {}
  const char* what() const noexcept override { return message.c_str(); }

  std::string code;
  size_t position;
  std::string message;
};

// Bounds on one evaluation so that a hostile expression cannot hang or exhaust the server.
// Exceeding them raises U1001 (depth), U1002 (steps) or U1003 (result size).
struct Limits {
  size_t max_depth = 500;            // nested evaluations, function calls included
  uint64_t max_steps = 1'000'000;    // evaluated nodes
  size_t max_result_size = 1 << 20;  // items in one sequence/array, or bytes in one string
};

// A function the host adds to the library (the engine's $partition, $uuid ...). Arguments and
// result are JSON; nullopt is undefined. Throw Error to fail; T0410 is raised for you when the
// argument count is outside [min_args, max_args].
struct HostFunction {
  size_t min_args = 0;
  size_t max_args = 0;
  std::function<std::optional<Json>(const std::vector<std::optional<Json>>& args)> impl;
};

struct Options {
  Limits limits;
  // Milliseconds since the Unix epoch for $now() and $millis(); read once per evaluation.
  // Empty means the system clock.
  std::function<int64_t()> now_ms;
  // A number in [0, 1) for $random() and $shuffle(). Empty means a per-evaluation generator
  // seeded from std::random_device.
  std::function<double()> random;
  // Variables visible to the expression, by name without the `$`.
  std::map<std::string, Json> bindings;
  // Variables bound by reference: the JSON must outlive evaluate(). A path of names into one
  // (`$states.input.a.b`) reads it in place and copies only what it selects; other uses copy
  // the whole value, as for `bindings`. A name in both is taken from `bindings`.
  std::map<std::string, const Json*> references;
  // Extra functions by name without the `$`; they shadow library functions of the same name.
  std::map<std::string, HostFunction> functions;
};

class Expression {
 public:
  // Throws Error (S01xx lexical, S02xx syntax) with the position of the offending token.
  static Expression parse(std::string_view text);

  // nullopt when the result is undefined (no match) or a function, which JSON cannot hold;
  // `function_result`, when given, tells the two apart. Throws Error.
  std::optional<Json> evaluate(const Json& input, const Options& options = {},
                               bool* function_result = nullptr) const;

  const std::string& source() const { return source_; }

  // What the expression reads, found without evaluating it (references.cpp), for a host that
  // checks expressions when they are written.
  //
  // Field names read from the input itself, in order of first appearance: `a` in `a`, `a.b`,
  // `a[0]`, `a + 1`, `$f(a)` or `{'k': a}`. Names read in later path steps, predicates, sort and
  // group terms are read from what the path gives them, and names in function bodies from
  // whatever the function is applied to: those are not listed.
  std::vector<std::string> top_level_names() const;
  // The fields read from variable `$name` by paths that start with it, in order of first
  // appearance: "input" and "errorOutput" for `$states.input.a & $states.errorOutput`.
  std::vector<std::string> variable_fields(std::string_view name) const;

 private:
  Expression() = default;
  std::string source_;
  std::shared_ptr<const Node> root_;
};

// Parses and evaluates in one go (convenient in tests and one-off uses).
std::optional<Json> evaluate(std::string_view expression, const Json& input,
                             const Options& options = {});

}  // namespace stepd::jsonata

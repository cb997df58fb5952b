#pragma once
// JSONPath as Step Functions accepts it. AWS evaluates paths with Jayway JsonPath (Jackson
// provider), so this follows Jayway where the two differ from the "JSONPath" of other tools:
//  - a *definite* path (names and single indices only) yields one value or nothing; an
//    *indefinite* one (wildcards, slices, unions of indices, deep scan, filters) yields an array
//    of every match, empty when nothing matches, and never fails;
//  - a single index past the end of an array at the end of a path yields null (Jackson's
//    ArrayNode.get), not "missing";
//  - ['a','b'] (several names) is allowed only as the last step and yields an object holding
//    the names that exist;
//  - a quoted name inside brackets is taken verbatim: a backslash only stops the next character
//    from closing the quote (AWS resolves $['Test\""Name"'] to the key Test\""Name").
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asl/eval_scope.h"
#include "core/common/json.h"

namespace stepd::asl {

namespace json_path_detail {
struct Segment;
struct FilterExpr;
}  // namespace json_path_detail

class JsonPath {
 public:
  // Parses a path that starts with "$". Throws std::invalid_argument(message) on bad syntax.
  static JsonPath parse(std::string_view text);

  const std::string& text() const { return text_; }

  // True when the path has only member names and single array indices ($, $.a, $['a'][0]):
  // the only form allowed where a path names one place to write (ResultPath) or one value.
  bool is_reference_path() const;
  // True when the path selects at most one value (no wildcard, slice, union, scan or filter).
  bool is_definite() const;

  // Definite path: the value, or nullopt when it is missing. Indefinite path: a Json array of all
  // matches (possibly empty).
  std::optional<Json> evaluate(const Json& doc) const;

  // Why evaluate() found nothing, worded as Jayway words it, e.g.
  // "No results for path: $['NoSuchInputPath']" or "Missing property in path $['a']".
  // Meaningful only when evaluate(doc) returned nullopt.
  std::string missing_reason(const Json& doc) const;

  // The path in Jayway's normalised bracket form: $['a']['b'][0].
  std::string normalized() const;

  // ResultPath semantics: returns `doc` with `value` placed at this path, creating missing
  // objects on the way. Throws StatesException(States.ResultPathMatchFailure) when the path
  // cannot be set (it goes through a non-object, or indexes outside an array) and
  // std::invalid_argument when the path is not a reference path.
  Json assign(Json doc, Json value) const;

  JsonPath(const JsonPath&);
  JsonPath& operator=(const JsonPath&);
  JsonPath(JsonPath&&) noexcept;
  JsonPath& operator=(JsonPath&&) noexcept;
  ~JsonPath();

 private:
  JsonPath();
  friend struct json_path_detail::FilterExpr;
  friend class JsonPathParser;

  std::string text_;
  std::vector<json_path_detail::Segment> segments_;
};

// A path as written in a definition ("$...", "$$...", "$var..."), split and parsed once:
// parse_state_machine() keeps one beside each path field, so that running a state parses
// nothing. resolve() gives what resolve_path() gives for the same text.
class CompiledPath {
 public:
  enum class Root { kInput, kContext, kVariable };

  // Throws std::invalid_argument on bad syntax, as resolve_path() does.
  static std::shared_ptr<const CompiledPath> compile(std::string_view text);

  std::optional<Json> resolve(const EvalScope& scope) const;

  const std::string& text() const { return text_; }
  Root root() const { return root_; }
  // The path evaluated against the chosen root ("$$.a" is "$.a" against the context object).
  const JsonPath& path() const { return path_; }

 private:
  CompiledPath(std::string text, Root root, std::string variable, JsonPath path)
      : text_(std::move(text)),
        root_(root),
        variable_(std::move(variable)),
        path_(std::move(path)) {}

  std::string text_;
  Root root_;
  std::string variable_;  // kVariable
  JsonPath path_;
};

// Resolves a path string as written in a definition: "$..." against scope.input, "$$..."
// against scope.context, "$name..." against the variable `name`. nullopt when not found
// (including an unknown variable). Throws std::invalid_argument on bad syntax.
std::optional<Json> resolve_path(std::string_view path, const EvalScope& scope);

// Syntax check for a path written in a definition; accepts "$...", "$$..." and "$var..." forms.
// Throws std::invalid_argument(message).
void validate_path(std::string_view path);

// Same, but only for reference paths (ResultPath, and paths that must name a single node).
void validate_reference_path(std::string_view path);

// Compact JSON text as AWS (Jackson) writes it: no spaces, key order kept, doubles written the
// way Java's Double.toString writes them (1.0E20, 1.0E-5), integers without a fraction.
std::string to_compact_json(const Json& value);

// A double as Java's Double.toString writes it (1.1, 3.0, 1.0E20).
std::string java_double_string(double d);

}  // namespace stepd::asl

#pragma once
// The States.* intrinsic functions of JSONPath definitions ("States.Format('{}', $.x)").
// Written in a `.$` field of Parameters / ResultSelector / ItemSelector, in Fail
// ErrorPath/CausePath and a few other places. Arguments are literals ('text' with \-escapes,
// numbers, true, false, null), paths ($.x, $$.x, $var.x) or nested calls.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/asl/eval_scope.h"
#include "core/common/json.h"

namespace stepd::asl {

// True when `s` has the "States.Name(" form. Cheap; says nothing about validity.
bool looks_like_intrinsic(std::string_view s);

// Evaluates a call. Throws StatesException(States.IntrinsicFailure, cause) when a function
// rejects its arguments, and StatesException(States.Runtime, cause) when a path argument finds
// nothing (`field` — the ".$" key being evaluated — is named in that cause when given).
// Throws std::invalid_argument on bad syntax (validate_intrinsic() catches that earlier).
Json evaluate_intrinsic(std::string_view expr, const EvalScope& scope, std::string_view field = {});

// Parse-only check for CreateStateMachine: syntax, known function names, argument counts,
// nesting depth, argument paths. Throws std::invalid_argument(message).
void validate_intrinsic(std::string_view expr);

// The hex digest of `data` under MD5, SHA-1, SHA-256, SHA-384 or SHA-512 (States.Hash and
// JSONata's $hash); nullopt for any other algorithm name.
std::optional<std::string> hash_hex_digest(const std::string& algorithm, std::string_view data);

// The first nextDouble() of Java's Random(seed): a seeded random number as AWS computes it.
double seeded_random_double(int64_t seed);

// Most calls nested inside one another in one field ("up to 10 nested calls"): the outermost
// call plus ten levels below it.
inline constexpr int kMaxIntrinsicDepth = 11;

}  // namespace stepd::asl

// An intrinsic function call (first part) checked as CreateStateMachine checks it and, when the
// check passes, evaluated against a document (second part, or the sample document). A call that
// passed the check must not then fail as bad syntax: the engine only expects States errors.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "core/asl/intrinsics.h"
#include "core/asl/json_path.h"
#include "core/common/clock.h"
#include "core/common/states_error.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [expr, doc_text] = fuzz::split_parts(fuzz::as_text(data, size));
  std::optional<Json> own_doc;
  const Json* found_doc = fuzz::document_or_sample(doc_text, own_doc);
  if (!found_doc) return 0;
  const Json& doc = *found_doc;
  (void)asl::looks_like_intrinsic(expr);

  try {
    asl::validate_intrinsic(expr);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  SequentialIdSource ids;
  asl::EvalScope scope{doc, fuzz::sample_context(), &fuzz::sample_variables(), &ids};
  try {
    Json value = asl::evaluate_intrinsic(expr, scope, "field.$");
    (void)asl::to_compact_json(value);
  } catch (const StatesException&) {
  } catch (const std::invalid_argument&) {
    std::abort();  // validate_intrinsic accepted what evaluation calls malformed
  }
  return 0;
}

// A payload template (first part: Parameters / ResultSelector / ItemSelector JSON) checked as
// CreateStateMachine checks it and, when accepted, applied to a document (second part, or the
// sample document). After the check, only States errors may come out of applying it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "core/asl/json_path.h"
#include "core/asl/payload_template.h"
#include "core/common/clock.h"
#include "core/common/states_error.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [template_text, doc_text] = fuzz::split_parts(fuzz::as_text(data, size));
  std::optional<Json> tmpl = fuzz::parse_document(template_text);
  if (!tmpl) return 0;
  std::optional<Json> own_doc;
  const Json* found_doc = fuzz::document_or_sample(doc_text, own_doc);
  if (!found_doc) return 0;
  const Json& doc = *found_doc;

  try {
    asl::validate_template(*tmpl);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  SequentialIdSource ids;
  asl::EvalScope scope{doc, fuzz::sample_context(), &fuzz::sample_variables(), &ids};
  try {
    Json payload = asl::apply_template(*tmpl, scope);
    (void)asl::to_compact_json(payload);
  } catch (const StatesException&) {
  } catch (const std::invalid_argument&) {
    std::abort();  // validate_template accepted what apply_template calls malformed
  }
  return 0;
}

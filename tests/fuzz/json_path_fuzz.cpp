// A JSONPath (first part) parsed and evaluated against a document (second part, or the sample
// document), with everything else a path is used for: its normalised form, why it found
// nothing, ResultPath assignment, and the "$$" / "$var" forms definitions accept.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "core/asl/json_path.h"
#include "core/common/states_error.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [path_text, doc_text] = fuzz::split_parts(fuzz::as_text(data, size));
  std::optional<Json> own_doc;
  const Json* found_doc = fuzz::document_or_sample(doc_text, own_doc);
  if (!found_doc) return 0;
  const Json& doc = *found_doc;

  try {
    asl::JsonPath path = asl::JsonPath::parse(path_text);
    (void)path.normalized();
    (void)path.is_definite();
    std::optional<Json> found = path.evaluate(doc);
    if (found) {
      (void)asl::to_compact_json(*found);
    } else {
      (void)path.missing_reason(doc);
    }
    if (path.is_reference_path()) {
      try {
        Json written = path.assign(doc, Json{{"fuzz", 1}});
        (void)asl::to_compact_json(written);
      } catch (const StatesException&) {
      }
    }
  } catch (const std::invalid_argument&) {
  }

  try {
    asl::validate_path(path_text);
    asl::EvalScope scope{doc, fuzz::sample_context(), &fuzz::sample_variables()};
    (void)asl::resolve_path(path_text, scope);
  } catch (const std::invalid_argument&) {
  }
  try {
    asl::validate_reference_path(path_text);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}

// A JSONata expression (first part) parsed and evaluated against a document (second part, or the
// sample document), with small bounds so that each input is quick. Only jsonata::Error may
// come out: anything else (another exception, a crash, a sanitizer report, a hang past
// libFuzzer's -timeout) is a finding. Regular expressions in the text are compiled by the parser
// and run by the evaluator, so the matcher is fuzzed here too.
#include <cstddef>
#include <cstdint>

#include "core/jsonata/jsonata.h"
#include "tests/fuzz/fuzz_input.h"

using namespace stepd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [expr_text, doc_text] = fuzz::split_parts(fuzz::as_text(data, size));
  std::optional<Json> own_doc;
  const Json* doc = fuzz::document_or_sample(doc_text, own_doc);
  if (!doc) return 0;

  jsonata::Options options;
  options.limits.max_depth = 200;
  options.limits.max_steps = 20000;
  options.limits.max_result_size = 1 << 16;
  options.now_ms = [] { return int64_t{1700000000000}; };
  options.random = [] { return 0.5; };
  options.bindings["states"] = Json{{"input", *doc}, {"context", fuzz::sample_context()}};
  try {
    jsonata::Expression expr = jsonata::Expression::parse(expr_text);
    bool function_result = false;
    std::optional<Json> result = expr.evaluate(*doc, options, &function_result);
    // Strings a function builds ($base64decode, or a literal of the fuzzed text itself) may not
    // be UTF-8; the engine turns the dump's exception into States.Runtime, so replace here.
    if (result) (void)result->dump(-1, ' ', false, Json::error_handler_t::replace);
  } catch (const jsonata::Error&) {
  }
  return 0;
}

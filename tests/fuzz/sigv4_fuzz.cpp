// SigV4 as the authenticator meets it: a raw request (request line, headers, blank line, body)
// whose Authorization header, X-Amz-Date, path and query come from the input. Nothing may crash,
// and two properties must hold:
//   - parse_amz_date is stable: a date it accepts, formatted and parsed again, is the same instant;
//   - a request that verifies under the secret stops verifying when one hex digit of its
//     signature changes (the comparison really looks at the signature).
// The seeds (make_corpora.py) are requests signed with kSecret, so the accepting path is explored.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/auth/sigv4.h"
#include "core/common/api_error.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using stepd::auth::HttpRequestView;

// make_corpora.py: SIGV4_SECRET.
constexpr std::string_view kSecret = "stepd-fuzz-secret";

std::string_view next_line(std::string_view& text) {
  size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

// "METHOD TARGET ..." then "Name: value" lines up to an empty line, then the body.
bool parse_request(std::string_view text, HttpRequestView* request) {
  std::string_view line = next_line(text);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return false;
  request->method = std::string(line.substr(0, space));
  std::string_view target = line.substr(space + 1);
  target = target.substr(0, target.find(' '));
  size_t question = target.find('?');
  request->path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request->query = std::string(target.substr(question + 1));
  while (!text.empty()) {
    line = next_line(text);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    request->headers.emplace_back(line.substr(0, colon), value);
  }
  request->body = text;
  return true;
}

bool verifies(const HttpRequestView& request, const stepd::auth::SigV4Authorization& authorization,
              int64_t now_ms) {
  try {
    stepd::auth::verify_sigv4(request, authorization, kSecret, now_ms);
    return true;
  } catch (const stepd::ApiError&) {
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  HttpRequestView request;
  if (!parse_request(stepd::fuzz::as_text(data, size), &request)) return 0;
  (void)stepd::auth::canonical_uri(request.path);
  (void)stepd::auth::canonical_query(request.query);

  // The server's clock is taken to be the signing time, so the date checks pass for the seeds.
  int64_t now_ms = 1'700'000'000'000;
  std::string amz_date;
  if (stepd::auth::find_header(request, "x-amz-date", &amz_date)) {
    int64_t ms = stepd::auth::parse_amz_date(amz_date);
    if (ms >= 0) {
      if (stepd::auth::parse_amz_date(stepd::auth::format_amz_date(ms)) != ms) std::abort();
      now_ms = ms;
    }
  }

  std::string header;
  if (!stepd::auth::find_header(request, "authorization", &header)) return 0;
  stepd::auth::SigV4Authorization authorization;
  try {
    authorization = stepd::auth::parse_sigv4_authorization(header);
  } catch (const stepd::ApiError&) {
    return 0;
  }
  (void)authorization.scope();
  if (!verifies(request, authorization, now_ms) || authorization.signature.empty()) return 0;

  char& digit = authorization.signature[authorization.signature.size() / 2];
  digit = digit == '0' ? '1' : '0';
  if (verifies(request, authorization, now_ms)) std::abort();
  return 0;
}

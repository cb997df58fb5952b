#pragma once
// AWS Signature Version 4, checked on the server's side: the Authorization header is parsed,
// the canonical request rebuilt from what arrived, signed again with the key's secret and
// compared in constant time. Pure functions of their arguments (the clock is a parameter), so
// the AWS test-suite vectors and tampering cases run without a server.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepd::auth {

// A request as it arrived: the raw (still percent-encoded) path and query string, the headers
// with their names in any case, and the body bytes.
struct HttpRequestView {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

// Whether the header named `name` (any case) is present; if so *value gets its value, several
// headers of that name joined with ',' as SigV4 does.
bool find_header(const HttpRequestView& request, std::string_view name, std::string* value);

// "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b,
// Signature=hex", taken apart.
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;  // YYYYMMDD of the credential scope
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower case, in the order given
  std::string signature;                    // hex, as sent
  std::string scope() const;                // DATE/REGION/SERVICE/aws4_request
};

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

// Throws ApiError IncompleteSignatureException when the header cannot be taken apart.
SigV4Authorization parse_sigv4_authorization(std::string_view header);

// The pieces of the canonical request, exposed for tests.
std::string canonical_uri(std::string_view raw_path);
std::string canonical_query(std::string_view raw_query);
std::string canonical_request(const HttpRequestView& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
// Hex HMAC-SHA256 signature of `to_sign` under the key derived from the secret and the scope.
std::string signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view to_sign);
std::string sha256_hex(std::string_view data);

// X-Amz-Date's basic ISO 8601 form (20150830T123600Z) to and from epoch milliseconds;
// parse_amz_date answers -1 for anything else.
int64_t parse_amz_date(std::string_view text);
std::string format_amz_date(int64_t epoch_ms);

// How far X-Amz-Date may be from the server's clock, either way.
inline constexpr int64_t kMaxClockSkewMs = 5 * 60 * 1000;

// Checks the whole signature of `request` against `secret`, at the server time `now_ms`.
// Throws ApiError: IncompleteSignatureException (no X-Amz-Date), InvalidSignatureException
// (expired or future date, scope date not the request's date, a signed header missing, payload
// hash header not matching the body, signature mismatch).
void verify_sigv4(const HttpRequestView& request, const SigV4Authorization& authorization,
                  std::string_view secret, int64_t now_ms);

// Equal-length strings compared without an early exit; false when lengths differ.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace stepd::auth

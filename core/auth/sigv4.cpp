#include "core/auth/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <stdexcept>

#include "core/common/api_error.h"

namespace stepd::auth {
namespace {

ApiError incomplete(const std::string& message) {
  return ApiError("IncompleteSignatureException", message, 400);
}

ApiError invalid(const std::string& message) {
  return ApiError("InvalidSignatureException", message, 400);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string to_hex(const unsigned char* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0x0f]);
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &size) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

bool unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// Percent-encodes every byte outside the unreserved set (and '/', when kept), upper-case hex.
std::string uri_encode(std::string_view text, bool keep_slash) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0x0f]);
    }
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A malformed escape is kept as it came: the signature will then simply not match.
std::string uri_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_digit(text[i + 1]);
      int lo = hex_digit(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Header values are trimmed and inner runs of spaces become one space.
std::string canonical_header_value(std::string_view value) {
  value = trim(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

bool find_header(const HttpRequestView& request, std::string_view name, std::string* value) {
  bool found = false;
  std::string joined;
  for (const auto& [header, header_value] : request.headers) {
    if (header.size() != name.size() || lower(header) != lower(name)) continue;
    if (found) joined += ',';
    joined += canonical_header_value(header_value);
    found = true;
  }
  if (found && value) *value = std::move(joined);
  return found;
}

std::string SigV4Authorization::scope() const {
  return date + "/" + region + "/" + service + "/aws4_request";
}

SigV4Authorization parse_sigv4_authorization(std::string_view header) {
  header = trim(header);
  if (!header.starts_with(kSigV4Algorithm) || header.size() == kSigV4Algorithm.size() ||
      header[kSigV4Algorithm.size()] != ' ') {
    throw incomplete("Authorization header must use the AWS4-HMAC-SHA256 algorithm");
  }
  header.remove_prefix(kSigV4Algorithm.size() + 1);
  std::string credential, signed_headers, signature;
  bool have_credential = false, have_signed = false, have_signature = false;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view part = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      throw incomplete("Authorization header parameter '" + std::string(part) +
                       "' is not of the form name=value");
    }
    std::string_view name = part.substr(0, eq);
    std::string value(trim(part.substr(eq + 1)));
    if (name == "Credential") {
      credential = value;
      have_credential = true;
    } else if (name == "SignedHeaders") {
      signed_headers = value;
      have_signed = true;
    } else if (name == "Signature") {
      signature = value;
      have_signature = true;
    }
  }
  std::string missing;
  if (!have_credential) missing += " Authorization header requires 'Credential' parameter.";
  if (!have_signed) missing += " Authorization header requires 'SignedHeaders' parameter.";
  if (!have_signature) missing += " Authorization header requires 'Signature' parameter.";
  if (!missing.empty()) throw incomplete(missing.substr(1));

  SigV4Authorization out;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = credential.find('/', start);
    parts.push_back(credential.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 5 || parts[0].empty() || parts[1].size() != 8 || parts[2].empty() ||
      parts[3].empty() || parts[4] != "aws4_request") {
    throw incomplete(
        "Credential should be of the form "
        "ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request, got '" +
        credential + "'");
  }
  out.access_key_id = parts[0];
  out.date = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  start = 0;
  while (!signed_headers.empty()) {
    size_t semicolon = signed_headers.find(';', start);
    std::string name = lower(signed_headers.substr(start, semicolon - start));
    if (name.empty()) throw incomplete("SignedHeaders holds an empty header name");
    out.signed_headers.push_back(std::move(name));
    if (semicolon == std::string::npos) break;
    start = semicolon + 1;
  }
  if (out.signed_headers.empty()) throw incomplete("SignedHeaders must name at least 'host'");
  if (signature.empty()) throw incomplete("Signature is empty");
  out.signature = signature;
  return out;
}

std::string canonical_uri(std::string_view raw_path) {
  // Dot segments resolved and empty segments dropped, as AWS does for every service but S3;
  // the path as sent (encoded once by the client) is encoded once more.
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= raw_path.size()) {
    size_t slash = raw_path.find('/', start);
    std::string_view segment =
        raw_path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string path = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) path += '/';
    path += segments[i];
  }
  if (!segments.empty() && raw_path.ends_with('/')) path += '/';
  return uri_encode(path, /*keep_slash=*/true);
}

std::string canonical_query(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    pairs.emplace_back(uri_encode(uri_decode(name), false), uri_encode(uri_decode(value), false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

std::string canonical_request(const HttpRequestView& request,
                              const std::vector<std::string>& signed_headers,
                              std::string_view payload_hash) {
  std::string out = request.method + "\n" + canonical_uri(request.path) + "\n" +
                    canonical_query(request.query) + "\n";
  std::string names;
  for (const auto& name : signed_headers) {
    std::string value;
    find_header(request, name, &value);
    out += name + ":" + value + "\n";
    names += (names.empty() ? "" : ";") + name;
  }
  out += "\n" + names + "\n";
  out += payload_hash;
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  return std::string(kSigV4Algorithm) + "\n" + std::string(amz_date) + "\n" + std::string(scope) +
         "\n" + sha256_hex(canonical_request);
}

std::string signature(std::string_view secret, std::string_view date, std::string_view region,
                      std::string_view service, std::string_view to_sign) {
  std::string key = hmac("AWS4" + std::string(secret), date);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  std::string mac = hmac(key, to_sign);
  return to_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return to_hex(digest, sizeof digest);
}

int64_t parse_amz_date(std::string_view text) {
  // YYYYMMDDTHHMMSSZ
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return -1;
  auto number = [&](size_t at, size_t len) -> int64_t {
    int64_t v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  int64_t y = number(0, 4), mo = number(4, 2), d = number(6, 2);
  int64_t h = number(9, 2), mi = number(11, 2), s = number(13, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      s < 0 || s > 60) {
    return -1;
  }
  // timegm is gmtime_r's inverse (format_amz_date below); it normalises, so a 31st of a short
  // month moves on, as the old arithmetic did.
  std::tm tm{};
  tm.tm_year = static_cast<int>(y - 1900);
  tm.tm_mon = static_cast<int>(mo - 1);
  tm.tm_mday = static_cast<int>(d);
  tm.tm_hour = static_cast<int>(h);
  tm.tm_min = static_cast<int>(mi);
  tm.tm_sec = static_cast<int>(s);
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string format_amz_date(int64_t epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void verify_sigv4(const HttpRequestView& request, const SigV4Authorization& authorization,
                  std::string_view secret, int64_t now_ms) {
  std::string amz_date;
  if (!find_header(request, "x-amz-date", &amz_date)) {
    throw incomplete(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const int64_t signed_ms = parse_amz_date(amz_date);
  if (signed_ms < 0) {
    throw incomplete("X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z', got '" +
                     amz_date + "'");
  }
  if (authorization.date != amz_date.substr(0, 8)) {
    throw invalid(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
        "from HTTP: '" +
        authorization.date + "' != '" + amz_date.substr(0, 8) + "', from '" + amz_date + "'.");
  }
  if (signed_ms < now_ms - kMaxClockSkewMs) {
    throw invalid("Signature expired: " + amz_date + " is now earlier than " +
                  format_amz_date(now_ms - kMaxClockSkewMs) + " (" + format_amz_date(now_ms) +
                  " - 5 min.)");
  }
  if (signed_ms > now_ms + kMaxClockSkewMs) {
    throw invalid("Signature not yet current: " + amz_date + " is still later than " +
                  format_amz_date(now_ms + kMaxClockSkewMs) + " (" + format_amz_date(now_ms) +
                  " + 5 min.)");
  }
  const auto& names = authorization.signed_headers;
  if (std::find(names.begin(), names.end(), "host") == names.end()) {
    throw invalid("The 'host' header must be among the signed headers.");
  }
  for (const auto& name : names) {
    if (!find_header(request, name, nullptr)) {
      throw invalid("The signed header '" + name + "' is not in the request.");
    }
  }
  const std::string payload_hash = sha256_hex(request.body);
  std::string claimed_hash;
  if (find_header(request, "x-amz-content-sha256", &claimed_hash) &&
      lower(claimed_hash) != payload_hash) {
    throw invalid("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const std::string canonical = canonical_request(request, names, payload_hash);
  const std::string to_sign = string_to_sign(amz_date, authorization.scope(), canonical);
  const std::string expected =
      signature(secret, authorization.date, authorization.region, authorization.service, to_sign);
  if (!constant_time_equals(expected, lower(authorization.signature))) {
    throw invalid(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.");
  }
}

}  // namespace stepd::auth

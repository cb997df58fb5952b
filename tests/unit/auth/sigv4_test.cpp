// SigV4 checked against vectors of AWS's published signature test suite
// (aws-sig-v4-test-suite: get-vanilla, get-vanilla-query-order-key-case,
// post-x-www-form-urlencoded, get-relative-relative; the same signatures botocore computes),
// then each signed part of a request changed in turn, which must break the signature.
#include "core/auth/sigv4.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/common/api_error.h"

namespace stepd::auth {
namespace {

const std::string kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string kScope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
const int64_t kSignedAt = parse_amz_date("20150830T123600Z");

HttpRequestView vanilla(const std::string& method = "GET", const std::string& path = "/",
                        const std::string& query = "") {
  HttpRequestView r;
  r.method = method;
  r.path = path;
  r.query = query;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  return r;
}

std::string authorization(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=" + kScope + ", SignedHeaders=" + signed_headers +
         ", Signature=" + signature;
}

// The error type verify_sigv4 throws, "" when it accepts.
std::string verdict(const HttpRequestView& request, const std::string& header,
                    int64_t now_ms = kSignedAt, const std::string& secret = kSecret) {
  try {
    verify_sigv4(request, parse_sigv4_authorization(header), secret, now_ms);
    return "";
  } catch (const ApiError& e) {
    return e.type();
  }
}

const std::string kGetVanilla = authorization(
    "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

TEST(SigV4, GetVanillaMatchesTheTestSuite) {
  HttpRequestView r = vanilla();
  EXPECT_EQ(canonical_request(r, {"host", "x-amz-date"}, sha256_hex("")),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(verdict(r, kGetVanilla), "");
}

TEST(SigV4, QueryParametersAreSortedByName) {
  EXPECT_EQ(canonical_query("Param2=value2&Param1=value1"), "Param1=value1&Param2=value2");
  EXPECT_EQ(
      verdict(vanilla("GET", "/", "Param2=value2&Param1=value1"),
              authorization("host;x-amz-date",
                            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")),
      "");
}

TEST(SigV4, PostWithABodyAndAContentType) {
  HttpRequestView r = vanilla("POST");
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.body = "Param1=value1";
  EXPECT_EQ(
      verdict(r, authorization("content-type;host;x-amz-date",
                               "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")),
      "");
}

TEST(SigV4, RelativePathsAreNormalisedBeforeSigning) {
  EXPECT_EQ(canonical_uri("/example1/example2/../.."), "/");
  EXPECT_EQ(canonical_uri("//a/./b//c/"), "/a/b/c/");
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/a%20b"), "/a%2520b");  // encoded once more, as for every non-S3 service
  EXPECT_EQ(verdict(vanilla("GET", "/example1/example2/../.."), kGetVanilla), "");
}

TEST(SigV4, QueryValuesAreReencodedStrictly) {
  EXPECT_EQ(canonical_query("b=%2f&a=x y&c"), "a=x%20y&b=%2F&c=");
  EXPECT_EQ(canonical_query(""), "");
}

TEST(SigV4, HeaderValuesAreTrimmedAndNamesAreCaseFree) {
  HttpRequestView r = vanilla();
  r.headers = {{"HOST", "  example.amazonaws.com  "}, {"x-amz-date", "20150830T123600Z"}};
  EXPECT_EQ(verdict(r, kGetVanilla), "");
}

TEST(SigV4, EachSignedPartChangedBreaksTheSignature) {
  const std::vector<std::pair<std::string, std::function<void(HttpRequestView&)>>> tamperings = {
      {"method", [](HttpRequestView& r) { r.method = "POST"; }},
      {"path", [](HttpRequestView& r) { r.path = "/other"; }},
      {"query", [](HttpRequestView& r) { r.query = "a=1"; }},
      {"host", [](HttpRequestView& r) { r.headers[0].second = "evil.example.com"; }},
      {"body", [](HttpRequestView& r) { r.body = "{}"; }},
  };
  for (const auto& [part, tamper] : tamperings) {
    HttpRequestView r = vanilla();
    tamper(r);
    EXPECT_EQ(verdict(r, kGetVanilla), "InvalidSignatureException") << part;
  }
  // The date moved by a second: still within the skew, but signed over.
  HttpRequestView r = vanilla();
  r.headers[1].second = "20150830T123601Z";
  EXPECT_EQ(verdict(r, kGetVanilla), "InvalidSignatureException");
  // Another region, service or signature in the header.
  std::string other_region = kGetVanilla;
  other_region.replace(other_region.find("us-east-1"), 9, "eu-west-1");
  EXPECT_EQ(verdict(vanilla(), other_region), "InvalidSignatureException");
  std::string other_signature = kGetVanilla;
  other_signature.back() = '0';
  EXPECT_EQ(verdict(vanilla(), other_signature), "InvalidSignatureException");
  EXPECT_EQ(verdict(vanilla(), kGetVanilla, kSignedAt, "wrong-secret"),
            "InvalidSignatureException");
}

TEST(SigV4, AnUnsignedHeaderMayChange) {
  HttpRequestView r = vanilla();
  r.headers.emplace_back("User-Agent", "anything");
  EXPECT_EQ(verdict(r, kGetVanilla), "");
}

TEST(SigV4, TheDateMustBeWithinFiveMinutesOfTheServerClock) {
  const int64_t minute = 60 * 1000;
  EXPECT_EQ(verdict(vanilla(), kGetVanilla, kSignedAt + 5 * minute), "");
  EXPECT_EQ(verdict(vanilla(), kGetVanilla, kSignedAt - 5 * minute), "");
  try {
    verify_sigv4(vanilla(), parse_sigv4_authorization(kGetVanilla), kSecret,
                 kSignedAt + 6 * minute);
    FAIL() << "accepted an expired signature";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.type(), "InvalidSignatureException");
    EXPECT_EQ(e.message(),
              "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z "
              "(20150830T124200Z - 5 min.)");
  }
  EXPECT_EQ(verdict(vanilla(), kGetVanilla, kSignedAt - 6 * minute), "InvalidSignatureException");
}

TEST(SigV4, TheScopeDateMustBeTheRequestDate) {
  HttpRequestView r = vanilla();
  r.headers[1].second = "20150831T000100Z";
  EXPECT_EQ(verdict(r, kGetVanilla, parse_amz_date("20150831T000100Z")),
            "InvalidSignatureException");
}

TEST(SigV4, PayloadHashHeaderMustMatchTheBody) {
  HttpRequestView r = vanilla();
  r.headers.emplace_back("X-Amz-Content-Sha256", sha256_hex("something else"));
  EXPECT_EQ(verdict(r, kGetVanilla), "InvalidSignatureException");
}

TEST(SigV4, MissingPiecesAreIncompleteSignatures) {
  auto parse_error = [](const std::string& header) {
    try {
      parse_sigv4_authorization(header);
      return std::string();
    } catch (const ApiError& e) {
      return e.type();
    }
  };
  EXPECT_EQ(parse_error("AWS4-HMAC-SHA256 Credential=" + kScope + ", SignedHeaders=host"),
            "IncompleteSignatureException");
  EXPECT_EQ(parse_error("AWS4-HMAC-SHA256 Credential=AKID/2015/us-east-1/service, "
                        "SignedHeaders=host, Signature=00"),
            "IncompleteSignatureException");
  EXPECT_EQ(parse_error("Basic dXNlcjpwYXNz"), "IncompleteSignatureException");
  EXPECT_EQ(parse_error(""), "IncompleteSignatureException");
  HttpRequestView no_date = vanilla();
  no_date.headers.pop_back();
  EXPECT_EQ(verdict(no_date, authorization("host", "00")), "IncompleteSignatureException");
  // host must be signed, and every signed header must be there.
  EXPECT_EQ(verdict(vanilla(), authorization("x-amz-date", "00")), "InvalidSignatureException");
  EXPECT_EQ(verdict(vanilla(), authorization("host;x-amz-date;x-amz-target", "00")),
            "InvalidSignatureException");
}

TEST(SigV4, AmzDatesRoundTrip) {
  EXPECT_EQ(format_amz_date(kSignedAt), "20150830T123600Z");
  EXPECT_EQ(parse_amz_date("20150830T123600"), -1);
  EXPECT_EQ(parse_amz_date("2015-08-30T12:36"), -1);
  EXPECT_EQ(parse_amz_date("20151330T123600Z"), -1);
}

TEST(SigV4, ConstantTimeEquals) {
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "abcd"));
}

}  // namespace
}  // namespace stepd::auth

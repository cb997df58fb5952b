#include "core/ops/pagination.h"

#include "core/common/api_error.h"

namespace stepd::ops {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(const std::string& in) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buf >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buf << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> decode(const std::string& in) {
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = c ? std::char_traits<char>::find(kAlphabet, 64, c) : nullptr;
    if (!p) return std::nullopt;
    buf = (buf << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return out;
}

[[noreturn]] void invalid(const std::string& why) {
  throw ApiError("InvalidToken", "Invalid Token: '" + why + "'");
}

}  // namespace

int page_size(std::optional<int64_t> max_results) {
  if (!max_results || *max_results <= 0) return kDefaultPageSize;
  return static_cast<int>(std::min<int64_t>(*max_results, kMaxPageSize));
}

std::string PageTokens::issue(const Json& scope, const std::string& cursor) const {
  if (cursor.empty()) return "";
  Json body = {{"c", cursor}, {"s", scope}, {"t", clock_.now_ms()}};
  return encode(body.dump());
}

std::string PageTokens::open(const std::optional<std::string>& token, const Json& scope) const {
  if (!token) return "";
  auto text = decode(*token);
  if (!text || !Json::accept(*text)) invalid("nextToken is not a token this server issued");
  Json body = Json::parse(*text);
  if (!body.is_object() || !body.contains("c") || !body["c"].is_string() || body["c"] == "" ||
      !body.contains("t") || !body["t"].is_number_integer() || !body.contains("s")) {
    invalid("nextToken is not a token this server issued");
  }
  if (body["s"] != scope) invalid("nextToken was issued for a request with other arguments");
  int64_t age = clock_.now_ms() - body["t"].get<int64_t>();
  if (age > kPageTokenLifetimeMs) invalid("nextToken has expired");
  return body["c"].get<std::string>();
}

}  // namespace stepd::ops

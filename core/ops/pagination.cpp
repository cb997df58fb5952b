#include "core/ops/pagination.h"

#include "core/common/api_error.h"
#include "core/common/base64url.h"

namespace stepd::ops {
namespace {

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
  return base64url_encode(body.dump());
}

std::string PageTokens::open(const std::optional<std::string>& token, const Json& scope) const {
  if (!token) return "";
  auto text = base64url_decode(*token);
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

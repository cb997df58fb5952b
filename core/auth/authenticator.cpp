#include "core/auth/authenticator.h"

#include <spdlog/spdlog.h>

#include "core/common/api_error.h"

namespace stepd::auth {
namespace {

constexpr std::string_view kBearer = "Bearer ";

ApiError unrecognized() {
  return ApiError("UnrecognizedClientException",
                  "The security token included in the request is invalid.", 400);
}

ApiError missing_token() {
  return ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 400);
}

// The access key id a refused request claimed, for the log: only when it looks like one, so
// that a secret pasted in the wrong place is never written out.
std::string loggable_id(std::string_view claimed) {
  return is_access_key_id(claimed) ? std::string(claimed) : std::string("(malformed)");
}

}  // namespace

Authenticator::Authenticator(store::Store& store, const Clock& clock, SecretBox box,
                             Options options)
    : store_(store), clock_(clock), box_(std::move(box)), options_(options) {}

std::optional<store::AccessKeyRecord> Authenticator::find_key(
    const std::string& access_key_id) const {
  if (!is_access_key_id(access_key_id)) return std::nullopt;
  return store_.get_access_key(access_key_id);
}

std::string Authenticator::secret_of(const store::AccessKeyRecord& key) const {
  if (key.revoked_ms != 0) {
    spdlog::warn("auth: refused a request signed with the revoked key {}", key.access_key_id);
    throw unrecognized();
  }
  auto secret = box_.open(key.secret_ciphertext, key.access_key_id);
  if (!secret) {
    spdlog::error(
        "auth: the secret of key {} does not open with this master key (wrong or "
        "replaced master key file?)",
        key.access_key_id);
    throw unrecognized();
  }
  return *secret;
}

std::optional<Principal> Authenticator::authenticate(const HttpRequestView& request) const {
  std::string header;
  if (!find_header(request, "authorization", &header) || header.empty()) {
    // One cheap count; only requests without credentials pay it.
    if (options_.open_without_keys && store_.count_access_keys() == 0) return std::nullopt;
    throw missing_token();
  }

  if (header.starts_with(kBearer)) {
    std::string_view token = std::string_view(header).substr(kBearer.size());
    size_t colon = token.find(':');
    std::string id(token.substr(0, colon));
    auto key = find_key(id);
    if (!key) {
      if (options_.open_without_keys && store_.count_access_keys() == 0) return std::nullopt;
      spdlog::info("auth: refused a bearer token for the unknown key {}", loggable_id(id));
      throw unrecognized();
    }
    const std::string secret = secret_of(*key);
    std::string_view given =
        colon == std::string_view::npos ? std::string_view() : token.substr(colon + 1);
    if (!constant_time_equals(given, secret)) {
      spdlog::warn("auth: refused a bearer token with a wrong secret for key {}",
                   key->access_key_id);
      throw unrecognized();
    }
    return Principal{key->access_key_id, *parse_role(key->role)};
  }

  SigV4Authorization authorization = parse_sigv4_authorization(header);
  auto key = find_key(authorization.access_key_id);
  if (!key) {
    // No keys at all on a loopback server: clients that sign with made-up credentials (as the
    // AWS CLI must) are let in, as they were before keys existed.
    if (options_.open_without_keys && store_.count_access_keys() == 0) return std::nullopt;
    spdlog::info("auth: refused a request signed with the unknown key {}",
                 loggable_id(authorization.access_key_id));
    throw unrecognized();
  }
  const std::string secret = secret_of(*key);
  try {
    verify_sigv4(request, authorization, secret, clock_.now_ms());
  } catch (const ApiError& e) {
    spdlog::warn("auth: refused a request from key {}: {}", key->access_key_id, e.type());
    throw;
  }
  auto role = parse_role(key->role);
  if (!role) {
    spdlog::error("auth: key {} has the unknown role '{}'", key->access_key_id, key->role);
    throw unrecognized();
  }
  return Principal{key->access_key_id, *role};
}

std::optional<Principal> Authenticator::check(const HttpRequestView& request,
                                              std::string_view action) const {
  std::optional<Principal> principal = authenticate(request);
  if (principal && !role_allows(principal->role, action)) {
    const std::string name = action.empty() ? std::string("(no action)") : iam_action(action);
    spdlog::warn("auth: key {} (role {}) may not call {}", principal->access_key_id,
                 role_name(principal->role), name);
    throw ApiError("AccessDeniedException",
                   "Access key " + principal->access_key_id + " (role " +
                       std::string(role_name(principal->role)) +
                       ") is not authorized to perform: " + name,
                   400);
  }
  return principal;
}

}  // namespace stepd::auth

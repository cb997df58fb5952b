#pragma once
// Who is calling, and may they: the one check every request but /healthz passes through before
// it reaches an operation. Credentials are SigV4 (AWS CLI and SDKs) or
// `Authorization: Bearer ACCESS_KEY_ID:SECRET` (curl, CI). The key row is read from the store on
// every request — no cache — so a key revoked by `stepd keys revoke` (another process) is refused
// from the next request on; the read is one primary-key lookup on the store's read pool.
#include <optional>
#include <string>
#include <string_view>

#include "core/auth/keys.h"
#include "core/auth/secret_box.h"
#include "core/auth/sigv4.h"
#include "core/common/clock.h"
#include "core/store/store.h"

namespace stepd::auth {

struct Principal {
  std::string access_key_id;
  Role role;
};

class Authenticator {
 public:
  struct Options {
    // While the store holds no key at all, let every request in unauthenticated. Only ever set
    // for a server that listens on loopback (server/main.cpp refuses anything else without keys).
    bool open_without_keys = true;
  };

  Authenticator(store::Store& store, const Clock& clock, SecretBox box, Options options);

  // The caller, or nullopt when the server is open (no keys, loopback). Throws ApiError:
  // MissingAuthenticationTokenException, IncompleteSignatureException,
  // UnrecognizedClientException (unknown or revoked key, wrong bearer secret),
  // InvalidSignatureException.
  std::optional<Principal> authenticate(const HttpRequestView& request) const;

  // authenticate(), then the role must allow `action` (AccessDeniedException otherwise).
  // Refusals are logged with the key id and action, never a secret or signature.
  std::optional<Principal> check(const HttpRequestView& request, std::string_view action) const;

 private:
  // The key's secret in clear, or throws UnrecognizedClientException.
  std::string secret_of(const store::AccessKeyRecord& key) const;
  std::optional<store::AccessKeyRecord> find_key(const std::string& access_key_id) const;

  store::Store& store_;
  const Clock& clock_;
  SecretBox box_;
  Options options_;
};

}  // namespace stepd::auth

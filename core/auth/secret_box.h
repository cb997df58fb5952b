#pragma once
// Secrets at rest. SigV4 needs a key's secret itself to check a signature, so the store cannot
// keep only a hash of it; it keeps the secret sealed with AES-256-GCM under a master key that
// lives in a file of its own (DATA_DIR/master.key unless configured elsewhere). A copy of the
// database without that file yields no working key.
#include <optional>
#include <string>
#include <string_view>

namespace stepd::auth {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;

  // `key` is kKeyBytes raw bytes; throws std::invalid_argument otherwise.
  explicit SecretBox(std::string key);

  // Seals `plaintext`, bound to `context` (the access key id: a sealed secret copied onto
  // another key's row does not open). Returns text: "v1:" and the hex of nonce, ciphertext, tag.
  std::string seal(std::string_view plaintext, std::string_view context) const;
  // nullopt when the text was not sealed by this key for this context, or was altered.
  std::optional<std::string> open(std::string_view sealed, std::string_view context) const;

  static std::string generate_key();  // kKeyBytes from the CSPRNG

 private:
  std::string key_;
};

// The master key in `path`. When the file is absent and `create` is set, a new random key is
// written there first (mode 0600, refusing to overwrite a file that appears meanwhile).
// Throws std::runtime_error when the file cannot be read or written, is not kKeyBytes long, or
// is absent and `create` is false.
std::string load_master_key(const std::string& path, bool create);

}  // namespace stepd::auth

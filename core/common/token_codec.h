#pragma once
// Task tokens: opaque to clients, unforgeable and single-use. A token names the execution and
// the task attempt it was issued for, plus random bytes, sealed with HMAC-SHA256 under a server
// key kept in the store. open() rejects anything forged or mangled without touching the store;
// whether the task is still open is the engine's question.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stepd {

struct TokenClaims {
  int64_t execution_id = 0;
  int64_t task_seq = 0;  // the task attempt within the execution; a new one for every attempt
  uint64_t nonce = 0;
};

class TokenCodec {
 public:
  explicit TokenCodec(std::string key);  // raw key bytes, at least 32
  std::string seal(const TokenClaims& claims) const;
  std::optional<TokenClaims> open(std::string_view token) const;

  static std::string generate_key();  // 32 random bytes, hex encoded (for storing in meta)

 private:
  std::string key_;
};

}  // namespace stepd

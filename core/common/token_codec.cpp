#include "core/common/token_codec.h"

#include "core/common/base64url.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace stepd {
namespace {

// Token layout before encoding: version byte, execution id, task seq, nonce (8 bytes each,
// big-endian), then the first 16 bytes of HMAC-SHA256 over everything before it.
constexpr unsigned char kVersion = 1;
constexpr size_t kBodySize = 1 + 8 + 8 + 8;
constexpr size_t kMacSize = 16;

void put_u64(unsigned char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
}

uint64_t get_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

std::array<unsigned char, 32> mac(const std::string& key, const unsigned char* data, size_t n) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, n, out.data(), &len)) {
    throw std::runtime_error("HMAC failed");
  }
  return out;
}

}  // namespace

TokenCodec::TokenCodec(std::string key) : key_(std::move(key)) {
  if (key_.size() < 32) throw std::invalid_argument("task token key must be at least 32 bytes");
}

std::string TokenCodec::seal(const TokenClaims& claims) const {
  unsigned char buf[kBodySize + kMacSize];
  buf[0] = kVersion;
  put_u64(buf + 1, static_cast<uint64_t>(claims.execution_id));
  put_u64(buf + 9, static_cast<uint64_t>(claims.task_seq));
  put_u64(buf + 17, claims.nonce);
  auto m = mac(key_, buf, kBodySize);
  std::copy(m.begin(), m.begin() + kMacSize, buf + kBodySize);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(buf), sizeof buf));
}

std::optional<TokenClaims> TokenCodec::open(std::string_view token) const {
  if (token.size() > 128) return std::nullopt;
  auto raw = base64url_decode(token);
  if (!raw || raw->size() != kBodySize + kMacSize) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw->data());
  if (p[0] != kVersion) return std::nullopt;
  auto m = mac(key_, p, kBodySize);
  if (CRYPTO_memcmp(m.data(), p + kBodySize, kMacSize) != 0) return std::nullopt;
  // Re-encoding must give the same text: rejects tokens with trailing bits flipped.
  if (base64url_encode(*raw) != token) return std::nullopt;
  TokenClaims c;
  c.execution_id = static_cast<int64_t>(get_u64(p + 1));
  c.task_seq = static_cast<int64_t>(get_u64(p + 9));
  c.nonce = get_u64(p + 17);
  return c;
}

std::string TokenCodec::generate_key() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

}  // namespace stepd

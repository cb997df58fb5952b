// Task tokens as SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat receive them: anything
// that is not a token this key sealed must be refused, and what is sealed must open to the
// same claims. The input is also decoded as base64url on its own, the codec's first step.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/common/base64url.h"
#include "core/common/token_codec.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const stepd::TokenCodec codec(std::string(32, 'k'));
  std::string_view text = stepd::fuzz::as_text(data, size);

  if (auto raw = stepd::base64url_decode(text)) {
    (void)stepd::base64url_encode(*raw);
  }
  (void)codec.open(text);

  // The first 24 bytes as claims: sealing and opening again must give them back.
  if (size >= 24) {
    stepd::TokenClaims claims;
    std::memcpy(&claims.execution_id, data, 8);
    std::memcpy(&claims.task_seq, data + 8, 8);
    std::memcpy(&claims.nonce, data + 16, 8);
    std::optional<stepd::TokenClaims> back = codec.open(codec.seal(claims));
    if (!back || back->execution_id != claims.execution_id || back->task_seq != claims.task_seq ||
        back->nonce != claims.nonce) {
      std::abort();
    }
  }
  return 0;
}

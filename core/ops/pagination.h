#pragma once
// nextToken for the List*/GetExecutionHistory actions. A token is opaque to clients: base64url
// of a small JSON holding the store's cursor, the request arguments it was issued for and when.
// Reusing it with other arguments, after 24 hours (as AWS), or in a mangled form is InvalidToken.
#include <cstdint>
#include <optional>
#include <string>

#include "core/common/clock.h"
#include "core/common/json.h"

namespace stepd::ops {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int64_t kPageTokenLifetimeMs = 24 * 3600 * 1000;

// maxResults as AWS reads it: absent or 0 means the default page.
int page_size(std::optional<int64_t> max_results);

class PageTokens {
 public:
  explicit PageTokens(const Clock& clock) : clock_(clock) {}

  // `scope` names the request: the action and every argument that must not change between
  // pages. An empty cursor means there is no next page: returns "".
  std::string issue(const Json& scope, const std::string& cursor) const;

  // The store cursor to continue from; "" for no token. Throws ApiError InvalidToken.
  std::string open(const std::optional<std::string>& token, const Json& scope) const;

 private:
  const Clock& clock_;
};

}  // namespace stepd::ops

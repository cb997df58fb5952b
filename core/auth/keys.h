#pragma once
// Access keys and what their roles may do. A key is an id (20 upper-case letters and digits,
// "STPD..." like AWS's "AKIA...") and a 40-character secret; its role decides which actions it
// may call. The policy is one table of action names, and both front doors (AWS JSON, REST) name
// their calls by the same actions, so one check covers both.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth/secret_box.h"
#include "core/store/store.h"

namespace stepd::auth {

enum class Role { kAdmin, kOperator, kWorker };

std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

// Whether `role` may call `action` ("StartExecution", "RedshiftData.DescribeStatement" ...).
// admin may call everything; operator and worker only the actions listed for them (an action
// not known here, or "" for a request naming none, is admin only).
bool role_allows(Role role, std::string_view action);
// The listed actions of a role, for documentation and tests; empty for admin (everything).
const std::vector<std::string_view>& role_actions(Role role);

// The action as IAM would name it in an AccessDenied message: "states:StartExecution",
// "redshift-data:ExecuteStatement".
std::string iam_action(std::string_view action);

std::string new_access_key_id();      // "STPD" and 16 characters of A-Z2-7
std::string new_secret_access_key();  // 40 characters of base64 (30 random bytes)
bool is_access_key_id(std::string_view text);

// A key just made: the only moment its secret is seen in clear.
struct IssuedKey {
  std::string access_key_id;
  std::string secret_access_key;
  Role role;
  int64_t created_ms;
};

// Makes a key, seals its secret under `box` and stores it.
IssuedKey issue_access_key(store::Store& store, const SecretBox& box, Role role, int64_t now_ms);

}  // namespace stepd::auth

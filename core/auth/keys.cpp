#include "core/auth/keys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace stepd::auth {
namespace {

std::string random_bytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("keys: the random generator failed");
  }
  return out;
}

// What a worker does: take activity tasks and report on task tokens.
const std::vector<std::string_view> kWorkerActions = {
    "GetActivityTask",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
};

// What an operator does: run and watch executions, read definitions and statements, and (to
// unstick a task by hand) what a worker does. No definitions, activities, SQL or keys.
const std::vector<std::string_view> kOperatorActions = {
    "StartExecution",
    "StopExecution",
    "RedriveExecution",
    "DescribeExecution",
    "ListExecutions",
    "GetExecutionHistory",
    "DescribeStateMachine",
    "DescribeStateMachineForExecution",
    "ListStateMachines",
    "ValidateStateMachineDefinition",
    "TestState",
    "DescribeActivity",
    "ListActivities",
    "RedshiftData.DescribeStatement",
    "RedshiftData.GetStatementResult",
    "RedshiftData.ListStatements",
    "GetActivityTask",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    // GET /metrics (not an AWS action): operators watch the server; workers have no need to
    // see state machine names or queue depths.
    "GetMetrics",
};

const std::vector<std::string_view> kEverything = {};

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kWorker:
      return "worker";
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "operator") return Role::kOperator;
  if (name == "worker") return Role::kWorker;
  return std::nullopt;
}

const std::vector<std::string_view>& role_actions(Role role) {
  switch (role) {
    case Role::kOperator:
      return kOperatorActions;
    case Role::kWorker:
      return kWorkerActions;
    case Role::kAdmin:
      break;
  }
  return kEverything;
}

bool role_allows(Role role, std::string_view action) {
  if (role == Role::kAdmin) return true;
  const auto& actions = role_actions(role);
  return std::find(actions.begin(), actions.end(), action) != actions.end();
}

std::string iam_action(std::string_view action) {
  constexpr std::string_view kData = "RedshiftData.";
  if (action.starts_with(kData)) {
    return "redshift-data:" + std::string(action.substr(kData.size()));
  }
  return "states:" + std::string(action);
}

std::string new_access_key_id() {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string id = "STPD";
  for (unsigned char c : random_bytes(16)) id.push_back(kAlphabet[c & 31]);
  return id;
}

std::string new_secret_access_key() {
  const std::string raw = random_bytes(30);
  std::string out(41, '\0');  // 40 characters and EVP's terminating NUL
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(40);
  return out;
}

bool is_access_key_id(std::string_view text) {
  return text.size() == 20 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

IssuedKey issue_access_key(store::Store& store, const SecretBox& box, Role role, int64_t now_ms) {
  // 80 random bits make a clash unlikely; a clash with a stored (perhaps revoked) id is retried
  // so that an id never names two keys.
  for (int attempt = 0; attempt < 5; ++attempt) {
    IssuedKey key{new_access_key_id(), new_secret_access_key(), role, now_ms};
    store::AccessKeyRecord record{key.access_key_id, std::string(role_name(role)),
                                  box.seal(key.secret_access_key, key.access_key_id), now_ms, 0};
    if (store.create_access_key(record)) return key;
  }
  throw std::runtime_error("keys: could not find an unused access key id");
}

}  // namespace stepd::auth

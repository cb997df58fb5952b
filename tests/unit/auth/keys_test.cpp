// Secrets at rest (sealing under the master key, the master key file), the role policy, key
// formats, and the Authenticator against a real SQLite store: SigV4 and bearer callers, unknown
// and revoked keys, the open loopback mode while no key exists.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "core/auth/authenticator.h"
#include "core/auth/keys.h"
#include "core/auth/secret_box.h"
#include "core/common/api_error.h"
#include "core/store/sqlite_store.h"
#include "tests/unit/temp_dir.h"

namespace stepd::auth {
namespace {

using stepd::test_support::TempDir;

TEST(SecretBox, SealedSecretsOpenOnlyWithTheSameKeyAndContext) {
  SecretBox box(SecretBox::generate_key());
  const std::string sealed = box.seal("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "STPDAAAA");
  EXPECT_EQ(sealed.find("wJalrX"), std::string::npos);
  EXPECT_EQ(box.open(sealed, "STPDAAAA"), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  EXPECT_NE(box.seal("same", "id"), box.seal("same", "id"));  // a fresh nonce each time

  EXPECT_EQ(box.open(sealed, "STPDBBBB"), std::nullopt);  // moved onto another key's row
  EXPECT_EQ(SecretBox(SecretBox::generate_key()).open(sealed, "STPDAAAA"), std::nullopt);
  std::string altered = sealed;
  altered[10] = altered[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(box.open(altered, "STPDAAAA"), std::nullopt);
  EXPECT_EQ(box.open("v1:00", "STPDAAAA"), std::nullopt);
  EXPECT_EQ(box.open("garbage", "STPDAAAA"), std::nullopt);
  EXPECT_THROW(SecretBox("short"), std::invalid_argument);
}

TEST(MasterKeyFile, IsCreatedOnceWithModeSixHundred) {
  TempDir dir;
  const std::string path = (dir.path() / "sub" / "master.key").string();
  EXPECT_THROW(load_master_key(path, /*create=*/false), std::runtime_error);
  const std::string key = load_master_key(path, /*create=*/true);
  EXPECT_EQ(key.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_master_key(path, true), key);
  EXPECT_EQ(load_master_key(path, false), key);

  std::ofstream(path, std::ios::trunc) << "too short";
  EXPECT_THROW(load_master_key(path, true), std::runtime_error);
}

TEST(Policy, RolesAllowTheirActionsOnly) {
  EXPECT_TRUE(role_allows(Role::kAdmin, "CreateStateMachine"));
  EXPECT_TRUE(role_allows(Role::kAdmin, "RedshiftData.ExecuteStatement"));
  EXPECT_TRUE(role_allows(Role::kAdmin, ""));

  for (auto action : {"StartExecution", "StopExecution", "DescribeExecution", "ListExecutions",
                      "GetExecutionHistory", "RedriveExecution", "TestState",
                      "DescribeStateMachine", "RedshiftData.DescribeStatement",
                      "RedshiftData.GetStatementResult", "RedshiftData.ListStatements"}) {
    EXPECT_TRUE(role_allows(Role::kOperator, action)) << action;
    EXPECT_FALSE(role_allows(Role::kWorker, action)) << action;
  }
  for (auto action :
       {"CreateStateMachine", "UpdateStateMachine", "DeleteStateMachine", "CreateActivity",
        "DeleteActivity", "RedshiftData.ExecuteStatement", "RedshiftData.BatchExecuteStatement",
        "RedshiftData.CancelStatement", "", "SomethingNew"}) {
    EXPECT_FALSE(role_allows(Role::kOperator, action)) << action;
    EXPECT_FALSE(role_allows(Role::kWorker, action)) << action;
  }
  for (auto action :
       {"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat", "GetActivityTask"}) {
    EXPECT_TRUE(role_allows(Role::kWorker, action)) << action;
    EXPECT_TRUE(role_allows(Role::kOperator, action)) << action;
  }
  EXPECT_EQ(iam_action("StartExecution"), "states:StartExecution");
  EXPECT_EQ(iam_action("RedshiftData.ExecuteStatement"), "redshift-data:ExecuteStatement");
  EXPECT_EQ(parse_role("operator"), Role::kOperator);
  EXPECT_EQ(parse_role("root"), std::nullopt);
}

TEST(Keys, IdsAndSecretsHaveTheAwsShapes) {
  const std::string id = new_access_key_id();
  EXPECT_TRUE(is_access_key_id(id)) << id;
  EXPECT_TRUE(id.starts_with("STPD"));
  EXPECT_NE(new_access_key_id(), id);
  const std::string secret = new_secret_access_key();
  EXPECT_EQ(secret.size(), 40u);
  EXPECT_EQ(secret.find(':'), std::string::npos);
  EXPECT_FALSE(is_access_key_id("stpdaaaaaaaaaaaaaaaa"));
  EXPECT_FALSE(is_access_key_id("STPD"));
}

// ---------------------------------------------------------------------------------------------

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<store::SqliteStore>((dir_.path() / "stepd.db").string());
    store_->migrate(STEPD_SOURCE_DIR "/migrations/sqlite");
  }

  Authenticator make(bool open = true) {
    return Authenticator(*store_, clock_, SecretBox(master_), Authenticator::Options{open});
  }

  // A JSON 1.0 call as the AWS CLI sends it, signed now with (id, secret).
  HttpRequestView signed_call(const std::string& id, const std::string& secret,
                              const std::string& action = "StartExecution") {
    HttpRequestView r;
    r.method = "POST";
    r.path = "/";
    r.body = body_;
    const std::string date = format_amz_date(clock_.now_ms());
    r.headers = {{"Host", "127.0.0.1:8080"},
                 {"X-Amz-Date", date},
                 {"X-Amz-Target", "AWSStepFunctions." + action},
                 {"Content-Type", "application/x-amz-json-1.0"}};
    const std::vector<std::string> names = {"content-type", "host", "x-amz-date", "x-amz-target"};
    const std::string scope = date.substr(0, 8) + "/us-east-1/states/aws4_request";
    const std::string sig =
        signature(secret, date.substr(0, 8), "us-east-1", "states",
                  string_to_sign(date, scope, canonical_request(r, names, sha256_hex(r.body))));
    r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + id + "/" + scope +
                                                ", SignedHeaders=content-type;host;x-amz-date;"
                                                "x-amz-target, Signature=" +
                                                sig);
    return r;
  }

  HttpRequestView bearer(const std::string& token) {
    HttpRequestView r;
    r.method = "GET";
    r.path = "/v1/state-machines";
    r.headers = {{"Authorization", "Bearer " + token}};
    return r;
  }

  static std::string refusal(const Authenticator& auth, const HttpRequestView& r,
                             const std::string& action = "StartExecution") {
    try {
      auth.check(r, action);
      return "";
    } catch (const ApiError& e) {
      return e.type();
    }
  }

  TempDir dir_;
  ManualClock clock_{1700000000000};
  std::string master_ = SecretBox::generate_key();
  std::unique_ptr<store::SqliteStore> store_;
  std::string body_ =
      R"({"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m"})";
};

TEST_F(AuthenticatorTest, WithoutKeysALoopbackServerIsOpen) {
  Authenticator auth = make(/*open=*/true);
  HttpRequestView anonymous;
  anonymous.method = "GET";
  anonymous.path = "/";
  EXPECT_EQ(auth.check(anonymous, "CreateStateMachine"), std::nullopt);
  // The AWS CLI always signs, with whatever credentials it has.
  EXPECT_EQ(auth.check(signed_call("AKIDSTEPDTEST0000000", "secret"), "CreateStateMachine"),
            std::nullopt);
  EXPECT_EQ(refusal(make(/*open=*/false), anonymous), "MissingAuthenticationTokenException");
}

TEST_F(AuthenticatorTest, SignedCallsOfAKnownKeyPassAndRolesDecide) {
  Authenticator auth = make();
  IssuedKey admin = issue_access_key(*store_, SecretBox(master_), Role::kAdmin, clock_.now_ms());
  IssuedKey worker = issue_access_key(*store_, SecretBox(master_), Role::kWorker, clock_.now_ms());

  auto who =
      auth.check(signed_call(admin.access_key_id, admin.secret_access_key), "CreateStateMachine");
  ASSERT_TRUE(who);
  EXPECT_EQ(who->access_key_id, admin.access_key_id);
  EXPECT_EQ(who->role, Role::kAdmin);

  EXPECT_TRUE(
      auth.check(signed_call(worker.access_key_id, worker.secret_access_key), "SendTaskSuccess"));
  EXPECT_EQ(refusal(auth, signed_call(worker.access_key_id, worker.secret_access_key),
                    "CreateStateMachine"),
            "AccessDeniedException");

  // Keys exist now: nobody gets in without credentials or with made-up ones.
  HttpRequestView anonymous;
  anonymous.method = "GET";
  EXPECT_EQ(refusal(auth, anonymous), "MissingAuthenticationTokenException");
  EXPECT_EQ(refusal(auth, signed_call("AKIDSTEPDTEST0000000", "secret")),
            "UnrecognizedClientException");
  EXPECT_EQ(refusal(auth, signed_call(admin.access_key_id, "wrong secret")),
            "InvalidSignatureException");

  // A signature made 6 minutes ago.
  HttpRequestView old = signed_call(admin.access_key_id, admin.secret_access_key);
  clock_.advance_ms(6 * 60 * 1000);
  EXPECT_EQ(refusal(auth, old), "InvalidSignatureException");
}

TEST_F(AuthenticatorTest, BearerTokensCompareTheWholeSecret) {
  Authenticator auth = make();
  IssuedKey op = issue_access_key(*store_, SecretBox(master_), Role::kOperator, clock_.now_ms());
  EXPECT_TRUE(auth.check(bearer(op.access_key_id + ":" + op.secret_access_key), "ListExecutions"));
  EXPECT_EQ(
      refusal(auth, bearer(op.access_key_id + ":" + op.secret_access_key), "DeleteStateMachine"),
      "AccessDeniedException");
  EXPECT_EQ(refusal(auth, bearer(op.access_key_id + ":" + op.secret_access_key.substr(1))),
            "UnrecognizedClientException");
  EXPECT_EQ(refusal(auth, bearer(op.access_key_id)), "UnrecognizedClientException");
  EXPECT_EQ(refusal(auth, bearer("STPDXXXXXXXXXXXXXXXX:" + op.secret_access_key)),
            "UnrecognizedClientException");
}

TEST_F(AuthenticatorTest, ARevokedKeyIsRefusedAtOnce) {
  Authenticator auth = make();
  IssuedKey key = issue_access_key(*store_, SecretBox(master_), Role::kAdmin, clock_.now_ms());
  ASSERT_TRUE(auth.check(signed_call(key.access_key_id, key.secret_access_key), "ListExecutions"));
  ASSERT_TRUE(store_->revoke_access_key(key.access_key_id, clock_.now_ms()));
  EXPECT_EQ(refusal(auth, signed_call(key.access_key_id, key.secret_access_key)),
            "UnrecognizedClientException");
  EXPECT_EQ(refusal(auth, bearer(key.access_key_id + ":" + key.secret_access_key)),
            "UnrecognizedClientException");
  // Revoking the last key does not reopen the server.
  HttpRequestView anonymous;
  anonymous.method = "GET";
  EXPECT_EQ(refusal(auth, anonymous), "MissingAuthenticationTokenException");
}

TEST_F(AuthenticatorTest, TheDatabaseAloneHoldsNoUsableSecret) {
  IssuedKey key = issue_access_key(*store_, SecretBox(master_), Role::kAdmin, clock_.now_ms());
  auto row = store_->get_access_key(key.access_key_id);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->secret_ciphertext.find(key.secret_access_key), std::string::npos);
  // Another master key (a copy of stepd.db on a machine without master.key) opens nothing.
  Authenticator elsewhere(*store_, clock_, SecretBox(SecretBox::generate_key()), {});
  EXPECT_EQ(refusal(elsewhere, signed_call(key.access_key_id, key.secret_access_key)),
            "UnrecognizedClientException");
}

// Not a benchmark, a sanity bound: the per-request store read must stay far below a request's
// cost (see core/auth/README.md for measured figures).
TEST_F(AuthenticatorTest, CheckingASignedCallCostsLittle) {
  Authenticator auth = make();
  IssuedKey key = issue_access_key(*store_, SecretBox(master_), Role::kAdmin, clock_.now_ms());
  HttpRequestView r = signed_call(key.access_key_id, key.secret_access_key);
  const int n = 2000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) auth.check(r, "StartExecution");
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  std::printf("one signed-call check: %.1f us\n", static_cast<double>(us) / n);
  EXPECT_LT(us / n, 2000);
}

}  // namespace
}  // namespace stepd::auth

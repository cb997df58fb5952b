#pragma once
// Reading a request body the way AWS's front end does: every member is checked against the
// API model (presence, JSON type, length, range, enum) and all violations are reported together
// in one ValidationException ("2 validation errors detected: ...; ..."). Semantic checks
// (InvalidName, InvalidArn, invalid JSON payloads) come after, so a request is refused before
// anything is looked up or written.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/json.h"

namespace stepd::ops {

struct StringRule {
  bool required = false;
  size_t min = 0;
  size_t max = SIZE_MAX;
  // Payloads (input, output) are limited in UTF-8 bytes, as the service quota says; other
  // strings in characters, as the model says.
  bool count_bytes = false;
  // Sensitive members are not echoed in error messages (AWS redacts them too).
  bool sensitive = false;
  std::vector<std::string_view> one_of = {};  // enum values; empty for any
  // A pattern of the API model: its text, as the error quotes it, and a function that tells
  // whether a value matches it (the model's patterns here are simple enough to spell in code).
  std::string_view pattern = {};
  bool (*matches)(std::string_view) = nullptr;
};

// Common rules from the API model.
StringRule name_rule(bool required);        // 1..80
StringRule arn_rule(bool required);         // 1..256
StringRule payload_rule(bool required);     // ≤262144 bytes
StringRule definition_rule(bool required);  // 1..1048576
StringRule error_rule();                    // ≤256
StringRule cause_rule();                    // ≤32768
StringRule token_rule(size_t max);          // nextToken
StringRule task_token_rule();               // 1..2048
StringRule client_token_rule();             // 1..64, printable ASCII without space

class RequestReader {
 public:
  // A null body (empty request) reads as {}. Anything else that is not an object is refused.
  explicit RequestReader(const Json& body);

  std::optional<std::string> string(std::string_view member, const StringRule& rule);
  std::optional<int64_t> integer(std::string_view member, int64_t min, int64_t max);
  std::optional<bool> boolean(std::string_view member);
  // A structure member; nullopt when absent or null.
  std::optional<Json> object(std::string_view member, bool required = false);
  std::optional<Json> list(std::string_view member, bool required = false,
                           size_t max_items = SIZE_MAX);

  // A reader of a structure member of this request (`object`, read by object()): its messages
  // name members "<path>.<member>", and its violations are reported with this reader's. The
  // object must outlive the nested reader.
  RequestReader nested(const Json& object, std::string path);

  // Records a violation found by the caller (e.g. of a nested member).
  void fail(std::string text);
  // Throws ValidationException listing every violation, if there are any.
  void done() const;

 private:
  RequestReader(const Json& body, std::string prefix, RequestReader* parent);
  const Json* member(std::string_view name, bool required);
  void type_error(std::string_view name, const Json& value, const char* type);
  // The member's name as messages show it.
  std::string path(std::string_view name) const;

  const Json& body_;
  std::string prefix_;               // "mock" for a nested reader; empty for the request
  RequestReader* parent_ = nullptr;  // where a nested reader's violations go
  std::vector<std::string> violations_;
};

// Length of UTF-8 text in code points (invalid bytes count one each).
size_t utf8_length(std::string_view text);

// AWS name rules for state machines, executions and activities (length is checked by the
// reader): throws ApiError InvalidName.
void check_name(const std::string& name);

// JSON payloads (execution input, task output ...) nest at most this deep: the engine walks
// them recursively. 1000 is also the default limit of the JSON parser AWS's services use.
inline constexpr size_t kMaxPayloadDepth = 1000;

// Throws ApiError(`error_type`, "<prefix>: '<parser message>'") unless text is one JSON value
// nested no deeper than kMaxPayloadDepth.
void check_json_text(const std::string& text, const char* error_type, const char* prefix);

// `tags` (CreateStateMachine, CreateActivity): checked for shape and count, not kept: stepd has
// no tag operations. read_tags returns how many there are; check_tag_count throws TooManyTags.
size_t read_tags(RequestReader& r);
void check_tag_count(size_t count);

// encryptionConfiguration: only AWS_OWNED_KEY (the default) is possible here; anything else is
// InvalidEncryptionConfiguration.
void check_encryption(const std::optional<Json>& encryption);

// Epoch milliseconds as AWS's epoch-seconds number (1700000000.123).
Json timestamp(int64_t epoch_ms);

}  // namespace stepd::ops

#pragma once
// Every response carries an x-amzn-RequestId, as AWS does; SDKs surface it in errors and logs, so
// it is the handle a user quotes when reporting a problem.
#include <string>

namespace stepd::api {

// A random (version 4) UUID in its usual 8-4-4-4-12 lowercase form.
std::string new_request_id();

}  // namespace stepd::api

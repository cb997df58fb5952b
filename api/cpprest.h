#pragma once
// The cpprestsdk headers, included one way by every file of api/ (and its tests) that needs them.
// Only api/ and server/ may see cpprestsdk, so this is also the list of what we use from it.

// Boost 1.74's asio/awaitable.hpp, which cpprestsdk pulls in, uses std::exchange without
// including <utility>; in C++20 mode that only compiles if someone included it first.
#include <utility>

#include <cpprest/http_client.h>
#include <cpprest/http_listener.h>
#include <cpprest/http_msg.h>
#include <pplx/threadpool.h>

// cpprestsdk defines a macro U(x) for string literals. fmt (and so spdlog) names a template
// parameter U, which the macro breaks. On Linux utility::string_t is std::string, so plain
// literals do the job and the macro can go.
#undef U

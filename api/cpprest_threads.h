#pragma once
// cpprestsdk runs every listener and client callback on one shared Boost.Asio pool. Its default
// size (40 threads) is its slowest setting on a small machine, and the size can only be chosen
// before the pool is first touched. server/main calls this first thing; HttpServer::start() and
// the tests call it too, which is harmless because only the first call counts.
#include <cstddef>

namespace stepd::api {

inline constexpr std::size_t kDefaultHttpThreads = 4;

// Sizes the shared cpprestsdk pool. Returns the size actually in force: a later call with a
// different size cannot resize the pool and only logs a warning.
std::size_t initialize_cpprest_threads(std::size_t threads = kDefaultHttpThreads);

}  // namespace stepd::api

#pragma once
// cpprestsdk runs every listener and client callback on one shared Boost.Asio pool. Its default
// size (40 threads) is its slowest setting on a small machine, and the size can only be chosen
// before the pool is first touched. server/main calls this first thing; HttpServer::start() and
// the tests call it too, which is harmless because only the first call counts.
#include <cstddef>
#include <functional>

namespace stepd::api {

inline constexpr std::size_t kDefaultHttpThreads = 4;

// Sizes the shared cpprestsdk pool. Returns the size actually in force: a later call with a
// different size cannot resize the pool and only logs a warning.
std::size_t initialize_cpprest_threads(std::size_t threads = kDefaultHttpThreads);

// Runs `work` while all but one thread of the pool are parked, so the pool runs one handler at a
// time and whatever `work` queues runs to its end before any socket completion (an accepted
// connection, a request read) that arrives meanwhile.
//
// Why: cpprestsdk's Linux listener starts accepting on a port before it registers the path
// (http_linux_server::register_listener calls hostport_listener::start() before add_listener()),
// so a client connecting at that instant — one retrying through a restart — is answered
// "404 Not Found" with an empty body by the library itself, and an SDK takes a 404 as final.
// open() does that registration in a task on this same pool, so with one thread left the
// registration finishes before the first request is dispatched. One thread must stay free:
// open() waits for that task.
//
// Returns false, after running `work` anyway, when the pool's size is unknown (something sized
// it before initialize_cpprest_threads) or the other threads did not park within a second.
bool with_one_cpprest_thread(const std::function<void()>& work);

}  // namespace stepd::api

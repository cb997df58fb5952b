#include "api/cpprest_threads.h"

#include <spdlog/spdlog.h>
#include "api/cpprest.h"

#include <exception>
#include <mutex>

namespace stepd::api {

std::size_t initialize_cpprest_threads(std::size_t threads) {
  static std::once_flag once;
  static std::size_t in_force = 0;
  if (threads == 0) threads = kDefaultHttpThreads;
  std::call_once(once, [threads] {
    try {
      crossplat::threadpool::initialize_with_threads(threads);
      in_force = threads;
    } catch (const std::exception& e) {
      // Something touched cpprestsdk before us, so the pool already has its default size.
      spdlog::warn("cpprestsdk thread pool was already running ({}); keeping its size", e.what());
    }
  });
  if (in_force != 0 && in_force != threads) {
    spdlog::warn("cpprestsdk thread pool already sized to {} threads; ignoring request for {}",
                 in_force, threads);
  }
  return in_force;
}

}  // namespace stepd::api

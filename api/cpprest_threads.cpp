#include "api/cpprest_threads.h"

#include <spdlog/spdlog.h>
#include "api/cpprest.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>

namespace stepd::api {

namespace {

std::once_flag once;
std::size_t in_force = 0;  // the pool's size once we chose it; 0 when someone else did

}  // namespace

std::size_t initialize_cpprest_threads(std::size_t threads) {
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

bool with_one_cpprest_thread(const std::function<void()>& work) {
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t parked = 0;
    bool released = false;
  };
  auto gate = std::make_shared<Gate>();
  // Written once under call_once, which the caller went through before.
  const std::size_t to_park = in_force > 0 ? in_force - 1 : 0;
  auto& service = crossplat::threadpool::shared_instance().service();
  for (std::size_t i = 0; i < to_park; ++i) {
    service.post([gate] {
      std::unique_lock lock(gate->mu);
      ++gate->parked;
      gate->cv.notify_all();
      gate->cv.wait(lock, [&] { return gate->released; });
    });
  }
  bool all_parked = false;
  {
    std::unique_lock lock(gate->mu);
    all_parked = in_force != 0 && gate->cv.wait_for(lock, std::chrono::seconds(1),
                                                    [&] { return gate->parked == to_park; });
  }
  auto release = [&] {
    std::lock_guard lock(gate->mu);
    gate->released = true;
    gate->cv.notify_all();
  };
  try {
    work();
  } catch (...) {
    release();
    throw;
  }
  release();
  return all_parked;
}

}  // namespace stepd::api

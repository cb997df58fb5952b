// The HTTP ceiling of issue 6: a bare cpprestsdk listener that answers POST / with the JSON body
// it received, parsed and dumped again with nlohmann-json as stepd does with every request. No
// store, no engine, no routing: what is left is the library's own cost per request, which
// bench/run_suite.py measures beside stepd in the same run.
//
//   echo_server --listen 127.0.0.1:PORT [--threads N]
//
// --threads sizes cpprestsdk's shared pool (default 4, stepd's --http-threads default); it must
// be sized before anything else touches cpprestsdk. Runs until SIGINT or SIGTERM. Loopback only:
// any other host is refused.
#include "api/cpprest.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::methods;
using web::http::status_codes;

void usage() {
  std::fprintf(stderr, "usage: echo_server --listen 127.0.0.1:PORT [--threads N]\n");
  std::exit(2);
}

void handle(http_request request) {
  if (request.method() != methods::POST || request.relative_uri().path() != "/") {
    request.reply(status_codes::NotFound).then([](pplx::task<void> t) {
      try {
        t.get();
      } catch (const std::exception&) {
      }
    });
    return;
  }
  // Never block inside a handler: chain on the body read.
  request.extract_string(true)
      .then([request](pplx::task<std::string> body_task) {
        http_response response;
        try {
          const auto body = nlohmann::json::parse(body_task.get());
          response.set_status_code(status_codes::OK);
          response.set_body(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                            "application/x-amz-json-1.0");
        } catch (const std::exception&) {
          response.set_status_code(status_codes::BadRequest);
          response.set_body(std::string("{\"message\":\"bad JSON\"}"), "application/json");
        }
        return request.reply(response);
      })
      .then([](pplx::task<void> sent) {
        try {
          sent.get();  // an unobserved failed task would terminate the process
        } catch (const std::exception&) {
        }
      });
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen;
  int threads = 4;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      usage();
    }
  }
  if (listen.rfind("127.0.0.1:", 0) != 0 || threads < 1) usage();

  // Before the first use of cpprestsdk; its default of 40 threads is its slowest on 2 cores.
  crossplat::threadpool::initialize_with_threads(static_cast<size_t>(threads));

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // Blocked before the listener starts its threads, so they inherit the mask and sigwait below
  // is the only receiver.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  web::http::experimental::listener::http_listener listener("http://" + listen + "/");
  listener.support(handle);
  try {
    listener.open().wait();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "echo_server: cannot listen on %s: %s\n", listen.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "echo_server: listening on %s with %d threads\n", listen.c_str(), threads);

  int signal = 0;
  sigwait(&signals, &signal);
  listener.close().wait();
  return 0;
}

#pragma once
// A Service over a real SqliteStore (in a temporary folder) and a real Engine on a ManualClock,
// with helpers that call actions synchronously. Outbound HTTP (TestState of an http:invoke task)
// goes to a scripted FakeHttpInvoker.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/common/api_error.h"
#include "core/common/clock.h"
#include "core/common/token_codec.h"
#include "core/engine/engine.h"
#include "core/ops/service.h"
#include "core/store/sqlite_store.h"
#include "core/tasks/activity_dispatcher.h"
#include "core/tasks/callback_service.h"
#include "core/tasks/http_invoker.h"

namespace stepd::ops::testing {

inline const char* kPassMachine = R"({
  "StartAt": "P",
  "States": {"P": {"Type": "Pass", "Result": {"done": true}, "End": true}}
})";

inline const char* kWaitMachine = R"({
  "StartAt": "W",
  "States": {"W": {"Type": "Wait", "Seconds": 100000, "End": true}}
})";

inline const char* kRole = "arn:aws:iam::123456789012:role/stepd";

// Answers every call at once with `respond(request)` (by default 200 and an empty JSON object)
// and keeps the requests it was sent.
class FakeHttpInvoker final : public tasks::HttpInvoker {
 public:
  using Respond = std::function<std::optional<tasks::HttpResponse>(const tasks::HttpRequest&)>;

  void send(tasks::HttpRequest request, Done done) override {
    Respond respond;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      respond = respond_;
    }
    std::optional<tasks::HttpResponse> response;
    if (respond) {
      response = respond(request);
    } else {
      response = tasks::HttpResponse{200, "OK", {{"Content-Type", "application/json"}}, "{}"};
    }
    std::string error = response ? "" : "connection refused";
    done(std::move(response), std::move(error));
  }

  void set_respond(Respond respond) {
    std::lock_guard lock(mu_);
    respond_ = std::move(respond);
  }

  std::vector<tasks::HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  Respond respond_;
  std::vector<tasks::HttpRequest> requests_;
};

struct Outcome {
  Json response;
  std::optional<ApiError> error;
  std::string other_error;  // a failure that is not an ApiError
};

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("stepd-ops-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::SqliteOptions so;
    so.synchronous_full = false;
    store_ = std::make_unique<store::SqliteStore>((dir_ / "stepd.db").string(), so);
    store_->migrate(STEPD_SOURCE_DIR "/migrations/sqlite");
    tokens_ = std::make_unique<TokenCodec>(std::string(32, 'k'));
    engine_ =
        std::make_unique<engine::Engine>(*store_, clock_, ids_, *tokens_, engine::EngineOptions{});
    tasks::ActivityDispatcherOptions ao;
    ao.poll_ms = 200;
    activities_ = std::make_unique<tasks::ActivityDispatcher>(*store_, *engine_, ao);
    callbacks_ = std::make_unique<tasks::CallbackService>(*engine_, *tokens_);
    service_ = std::make_unique<Service>(*store_, *engine_, *activities_, *callbacks_, ids_, http_);
    engine_->add_listener(activities_.get());
    engine_->add_listener(service_.get());
    engine_->start();
    service_->set_ready(true);
  }

  void TearDown() override {
    activities_->shutdown();
    service_->shutdown();
    engine_->shutdown();
    service_.reset();
    callbacks_.reset();
    activities_.reset();
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static Outcome await(std::future<Outcome> f) {
    if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << "no reply within 30 s";
      return {};
    }
    return f.get();
  }

  static Operations::Reply to_promise(std::shared_ptr<std::promise<Outcome>> p) {
    return [p](Json response, std::exception_ptr error) {
      Outcome o;
      o.response = std::move(response);
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const ApiError& e) {
          o.error = e;
        } catch (const std::exception& e) {
          o.other_error = e.what();
        }
      }
      p->set_value(std::move(o));
    };
  }

  Outcome invoke(const std::string& action, Json request) {
    auto p = std::make_shared<std::promise<Outcome>>();
    auto f = p->get_future();
    service_->invoke(action, std::move(request), to_promise(p));
    return await(std::move(f));
  }

  // The response of an action that must succeed.
  Json call(const std::string& action, Json request) {
    Outcome o = invoke(action, std::move(request));
    EXPECT_FALSE(o.error.has_value())
        << action << ": " << o.error->type() << ": " << o.error->message();
    EXPECT_EQ(o.other_error, "") << action;
    return o.response;
  }

  // The error of an action that must fail.
  ApiError fail(const std::string& action, Json request) {
    Outcome o = invoke(action, std::move(request));
    EXPECT_EQ(o.other_error, "") << action;
    if (!o.error) {
      ADD_FAILURE() << action << " succeeded: " << o.response.dump();
      return ApiError("", "");
    }
    return *o.error;
  }

  std::string error_type(const std::string& action, Json request) {
    return fail(action, std::move(request)).type();
  }

  Outcome wait_for(const std::string& arn, int seconds, bool include_data = true) {
    auto p = std::make_shared<std::promise<Outcome>>();
    auto f = p->get_future();
    service_->wait_for_execution(arn, seconds, include_data, to_promise(p));
    return await(std::move(f));
  }

  std::string create_machine(const std::string& name, const char* definition = kPassMachine) {
    Json r = call("CreateStateMachine",
                  {{"name", name}, {"definition", definition}, {"roleArn", kRole}});
    return r.value("stateMachineArn", "");
  }

  std::string start(const std::string& sm_arn, const std::string& name,
                    const std::string& input = "{}") {
    Json r =
        call("StartExecution", {{"stateMachineArn", sm_arn}, {"name", name}, {"input", input}});
    return r.value("executionArn", "");
  }

  std::filesystem::path dir_;
  ManualClock clock_;
  SequentialIdSource ids_;
  FakeHttpInvoker http_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<TokenCodec> tokens_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<tasks::ActivityDispatcher> activities_;
  std::unique_ptr<tasks::CallbackService> callbacks_;
  std::unique_ptr<Service> service_;
};

}  // namespace stepd::ops::testing

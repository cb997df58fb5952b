// Runs the JSONata expressions of the shared conformance cases that need no engine: a state
// machine of one Pass state whose Output is a single `{% expression %}`. The expression sees
// the execution input as `$states.input` (the engine will bind more of `$states`).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/jsonata/jsonata.h"

namespace stepd::jsonata {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string file;
  std::string expression;
  Json input;
  Json expected;
};

std::vector<Case> extract_cases() {
  std::vector<Case> out;
  fs::path root = fs::path(STEPD_SOURCE_DIR) / ".." / "shared" / "conformance" / "cases";
  if (!fs::exists(root)) return out;
  for (const auto& group : fs::directory_iterator(root)) {
    if (group.path().filename().string().rfind("jsonata.", 0) != 0) continue;
    for (const auto& file : fs::directory_iterator(group.path())) {
      std::ifstream in(file.path());
      Json c = Json::parse(in, nullptr, false);
      if (c.is_discarded() || !c.contains("definition") || !c["definition"].is_object()) continue;
      const Json& states = c["definition"].value("States", Json::object());
      if (states.size() != 1) continue;
      const Json& state = states.begin().value();
      if (state.value("Type", "") != "Pass" || state.contains("Assign")) continue;
      if (!state.contains("Output") || !state["Output"].is_string()) continue;
      const Json& expected = c.value("expected", Json::object());
      if (expected.value("status", "") != "SUCCEEDED" || !expected.contains("output")) continue;
      std::string text = state["Output"].get<std::string>();
      if (text.size() < 4 || text.rfind("{%", 0) != 0 || text.substr(text.size() - 2) != "%}") {
        continue;
      }
      out.push_back({file.path().filename().string(), text.substr(2, text.size() - 4),
                     c.value("input", Json::object()), expected["output"]});
    }
  }
  return out;
}

// Step Functions' own additions to the library ($partition, $range, $parse, $hash, $random,
// $uuid) belong to the engine (core/asl/jsonata_field.cpp); the engine's tests cover them.
bool needs_what_is_not_here(const std::string& expr) {
  for (const char* name : {"$partition", "$range", "$parse", "$hash", "$random", "$uuid"}) {
    if (expr.find(name) != std::string::npos) return true;
  }
  return false;
}

TEST(JsonataConformance, PassStateOutputs) {
  std::vector<Case> cases = extract_cases();
  if (cases.empty()) GTEST_SKIP() << "no conformance cases at ../shared/conformance/cases";
  size_t ran = 0;
  for (const Case& c : cases) {
    if (needs_what_is_not_here(c.expression)) continue;
    ++ran;
    Options options;
    options.bindings["states"] = Json{{"input", c.input}};
    try {
      auto result = evaluate(c.expression, c.input, options);
      ASSERT_TRUE(result.has_value()) << c.file << ": " << c.expression;
      // compare without regard to member order
      EXPECT_EQ(nlohmann::json::parse(result->dump()), nlohmann::json::parse(c.expected.dump()))
          << c.file << ": " << c.expression;
    } catch (const Error& e) {
      ADD_FAILURE() << c.file << ": " << c.expression << ": " << e.code << " " << e.message;
    }
  }
  EXPECT_GT(ran, 0u);
  std::cout << "ran " << ran << " of " << cases.size() << " extracted cases\n";
}

}  // namespace
}  // namespace stepd::jsonata

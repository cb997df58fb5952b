// openapi.yaml must document exactly the routes the server answers. No YAML library is at hand,
// so this reads the one part that matters with a line-based scan: under the top-level `paths:`
// key, a two-space-indented key is a path and a four-space-indented HTTP method is an operation.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "api/route_table.h"

namespace stepd::api {
namespace {

using Pair = std::pair<std::string, std::string>;  // method (upper case), path template

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

std::size_t indent_of(const std::string& line) {
  return line.find_first_not_of(' ');
}

std::set<Pair> documented_operations(std::istream& in) {
  static const std::set<std::string> kMethods = {"get",   "put",     "post", "delete",
                                                 "patch", "options", "head", "trace"};
  std::set<Pair> out;
  std::string line;
  bool in_paths = false;
  std::string path;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto indent = indent_of(line);
    if (indent == std::string::npos || line[indent] == '#') continue;  // blank or comment
    if (indent == 0) {
      in_paths = line.rfind("paths:", 0) == 0;
      continue;
    }
    if (!in_paths) continue;
    auto colon = line.find(':', indent);
    // A path key may contain ':' only inside quotes; keys here end at their last ':'.
    if (indent == 2) {
      auto end = line.find_last_of(':');
      path = unquote(line.substr(2, end - 2));
    } else if (indent == 4 && colon != std::string::npos) {
      std::string key = line.substr(4, colon - 4);
      if (kMethods.contains(key)) {
        for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.emplace(key, path);
      }
    }
  }
  return out;
}

TEST(OpenApi, DocumentsExactlyTheRouteTable) {
  std::ifstream in(std::string(STEPD_SOURCE_DIR) + "/openapi.yaml");
  ASSERT_TRUE(in) << "openapi.yaml not found under " << STEPD_SOURCE_DIR;
  auto documented = documented_operations(in);

  std::set<Pair> served;
  for (const auto& route : route_table()) {
    served.emplace(std::string(route.method), std::string(route.path));
  }
  for (const auto& [method, path] : served) {
    EXPECT_TRUE(documented.contains({method, path})) << "undocumented: " << method << " " << path;
  }
  for (const auto& [method, path] : documented) {
    EXPECT_TRUE(served.contains({method, path})) << "not served: " << method << " " << path;
  }
}

TEST(OpenApi, IsOpenApi31) {
  std::ifstream in(std::string(STEPD_SOURCE_DIR) + "/openapi.yaml");
  std::string first;
  while (std::getline(in, first) && (first.empty() || first[0] == '#')) {
  }
  EXPECT_EQ(first.rfind("openapi: 3.1", 0), 0u) << first;
}

TEST(OpenApi, LineReaderFindsPathsAndMethods) {
  std::istringstream yaml(
      "openapi: 3.1.0\n"
      "paths:\n"
      "  /a:\n"
      "    get:\n"
      "      responses: {}\n"
      "    parameters: []\n"
      "  '/b/{x}':\n"
      "    # comment\n"
      "    post:\n"
      "      summary: get: not a method\n"
      "components:\n"
      "  /c:\n"
      "    get: {}\n");
  auto ops = documented_operations(yaml);
  EXPECT_EQ(ops, (std::set<Pair>{{"GET", "/a"}, {"POST", "/b/{x}"}}));
}

}  // namespace
}  // namespace stepd::api

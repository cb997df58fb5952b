#pragma once
// Execution data rows held in memory, laid out as the store keeps them (sorted by key), for
// runs that never touch the store: TestState, unit tests, benchmarks. apply() takes a step's
// write the way Store::commit applies it.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/transition.h"

namespace stepd::engine {

class MemoryData final : public DataReader {
 public:
  std::optional<std::string> get(const std::string& key) override;
  std::vector<std::pair<std::string, std::string>> scan(const std::string& prefix) override;
  void apply(const store::ExecutionWrite& write);

  const std::map<std::string, std::string>& rows() const { return rows_; }
  void clear() { rows_.clear(); }

 private:
  std::map<std::string, std::string> rows_;
};

}  // namespace stepd::engine

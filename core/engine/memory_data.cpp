#include "core/engine/memory_data.h"

namespace stepd::engine {
namespace {

bool has_prefix(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::optional<std::string> MemoryData::get(const std::string& key) {
  auto it = rows_.find(key);
  if (it == rows_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, std::string>> MemoryData::scan(const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = rows_.lower_bound(prefix); it != rows_.end() && has_prefix(it->first, prefix);
       ++it) {
    out.emplace_back(*it);
  }
  return out;
}

void MemoryData::apply(const store::ExecutionWrite& write) {
  if (write.clear_data) rows_.clear();
  for (const auto& prefix : write.data_erase_prefix) {
    auto it = rows_.lower_bound(prefix);
    while (it != rows_.end() && has_prefix(it->first, prefix)) it = rows_.erase(it);
  }
  for (const auto& [key, value] : write.data_put) rows_[key] = value;
}

}  // namespace stepd::engine

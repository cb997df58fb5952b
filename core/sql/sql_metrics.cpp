#include "core/sql/sql_metrics.h"

#include <memory>
#include <utility>
#include <vector>

namespace stepd::sql {

void register_sql_metrics(metrics::Registry& registry,
                          std::map<std::string, SqlExecutor*> executors_by_target) {
  // Shared by the three callbacks; the map is fixed after startup (targets come from
  // configuration).
  auto executors =
      std::make_shared<const std::map<std::string, SqlExecutor*>>(std::move(executors_by_target));
  registry.collected(
      "stepd_sql_connections",
      "Connections of each SQL target by state: idle, busy (running a statement) or connecting. "
      "An embedded sqlite target has one connection.",
      "gauge", {"target", "state"}, [executors] {
        std::vector<metrics::Sample> out;
        for (const auto& [name, executor] : *executors) {
          const SqlExecutor::Stats s = executor->stats();
          out.push_back({{name, "idle"}, static_cast<double>(s.idle)});
          out.push_back({{name, "busy"}, static_cast<double>(s.busy)});
          out.push_back({{name, "connecting"}, static_cast<double>(s.connecting)});
        }
        return out;
      });
  registry.collected("stepd_sql_queue_length",
                     "Requests waiting for a connection of each SQL target.", "gauge", {"target"},
                     [executors] {
                       std::vector<metrics::Sample> out;
                       for (const auto& [name, executor] : *executors) {
                         out.push_back({{name}, static_cast<double>(executor->stats().queued)});
                       }
                       return out;
                     });
  registry.collected(
      "stepd_sql_statements_total",
      "SQL requests each target has ended, by outcome: finished, failed or aborted (cancelled, "
      "timed out, shut down).",
      "counter", {"target", "outcome"}, [executors] {
        std::vector<metrics::Sample> out;
        for (const auto& [name, executor] : *executors) {
          const SqlExecutor::Stats s = executor->stats();
          out.push_back({{name, "finished"}, static_cast<double>(s.finished)});
          out.push_back({{name, "failed"}, static_cast<double>(s.failed)});
          out.push_back({{name, "aborted"}, static_cast<double>(s.aborted)});
        }
        return out;
      });
}

}  // namespace stepd::sql

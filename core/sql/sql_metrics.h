#pragma once
// The SQL targets' pool statistics (SqlExecutor::stats()) as Prometheus families, read at scrape
// time: the pools already count everything under their own locks, so nothing is recorded twice
// and the event loop pays nothing for metrics.
#include <map>
#include <string>

#include "core/common/metrics.h"
#include "core/sql/sql_executor.h"

namespace stepd::sql {

// Registers stepd_sql_connections{target,state}, stepd_sql_queue_length{target} and
// stepd_sql_statements_total{target,outcome}. The executors must outlive every render().
void register_sql_metrics(metrics::Registry& registry,
                          std::map<std::string, SqlExecutor*> executors_by_target);

}  // namespace stepd::sql

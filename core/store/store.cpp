#include "core/store/store.h"

#include <future>

namespace stepd::store {

WriteOutcome Store::commit(ExecutionWrite write) {
  std::promise<WriteOutcome> promise;
  auto future = promise.get_future();
  commit_async(std::move(write), [&promise](const WriteOutcome& outcome, std::exception_ptr err) {
    if (err) {
      promise.set_exception(err);
    } else {
      promise.set_value(outcome);
    }
  });
  return future.get();
}

void Store::put_sql_statement(SqlStatementRecord record) {
  std::promise<void> promise;
  auto future = promise.get_future();
  put_sql_statement_async(std::move(record), [&promise](std::exception_ptr err) {
    if (err) {
      promise.set_exception(err);
    } else {
      promise.set_value();
    }
  });
  future.get();
}

}  // namespace stepd::store

#include "core/store/store.h"

#include "core/store/handoff.h"

namespace stepd::store {

namespace {
struct Nothing {};
}  // namespace

WriteOutcome Store::commit(ExecutionWrite write) {
  Handoff<WriteOutcome> handoff;
  commit_async(std::move(write), [&handoff](const WriteOutcome& outcome, std::exception_ptr err) {
    handoff.fill(err ? std::nullopt : std::optional(outcome), std::move(err));
  });
  return handoff.wait();
}

void Store::put_sql_statement(SqlStatementRecord record) {
  Handoff<Nothing> handoff;
  put_sql_statement_async(std::move(record), [&handoff](std::exception_ptr err) {
    handoff.fill(Nothing{}, std::move(err));
  });
  handoff.wait();
}

}  // namespace stepd::store

// CreateActivity, DescribeActivity, ListActivities, DeleteActivity, GetActivityTask.
#include "core/common/api_error.h"
#include "core/ops/arn.h"
#include "core/ops/service.h"
#include "core/ops/validation.h"

namespace stepd::ops {
namespace {

store::ActivityRecord require_activity(store::Store& store, const std::string& arn) {
  auto a = store.get_activity(arn);
  if (!a) throw ApiError("ActivityDoesNotExist", "Activity Does Not Exist: '" + arn + "'");
  return *a;
}

}  // namespace

Json Service::create_activity(const Json& req) {
  RequestReader r(req);
  auto name = r.string("name", name_rule(true));
  size_t tag_count = read_tags(r);
  auto encryption = r.object("encryptionConfiguration");
  r.done();
  check_name(*name);
  check_tag_count(tag_count);
  check_encryption(encryption);

  store::ActivityRecord a{activity_arn(region(), account(), *name), *name, now_ms()};
  // Idempotent on the name alone, as AWS: a second create answers with the first one.
  if (store_.create_activity(a) == store::CreateOutcome::kAlreadyExists) {
    if (auto existing = store_.get_activity(a.arn)) a = *existing;
  }
  return {{"activityArn", a.arn}, {"creationDate", timestamp(a.creation_ms)}};
}

Json Service::describe_activity(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("activityArn", arn_rule(true));
  r.done();
  require_states_arn(*arn, "activity", 1, 1);
  auto a = require_activity(store_, *arn);
  return {{"activityArn", a.arn}, {"name", a.name}, {"creationDate", timestamp(a.creation_ms)}};
}

Json Service::list_activities(const Json& req) {
  RequestReader r(req);
  auto max_results = r.integer("maxResults", 0, kMaxPageSize);
  auto next_token = r.string("nextToken", token_rule(1024));
  r.done();
  Json scope = {{"op", "ListActivities"}};
  store::Page page{tokens_.open(next_token, scope), page_size(max_results)};
  std::string next;
  std::vector<store::ActivityRecord> rows;
  try {
    rows = store_.list_activities(page, &next);
  } catch (const std::invalid_argument&) {
    throw ApiError("InvalidToken", "Invalid Token: 'nextToken is not a token this server issued'");
  }
  Json items = Json::array();
  for (const auto& a : rows) {
    items.push_back(
        {{"activityArn", a.arn}, {"name", a.name}, {"creationDate", timestamp(a.creation_ms)}});
  }
  Json out = {{"activities", std::move(items)}};
  if (auto t = tokens_.issue(scope, next); !t.empty()) out["nextToken"] = t;
  return out;
}

Json Service::delete_activity(const Json& req) {
  RequestReader r(req);
  auto arn = r.string("activityArn", arn_rule(true));
  r.done();
  require_states_arn(*arn, "activity", 1, 1);
  store_.delete_activity(*arn);  // AWS answers success for an activity already gone
  return Json::object();
}

void Service::get_activity_task(const Json& req, Reply reply) {
  RequestReader r(req);
  auto arn = r.string("activityArn", arn_rule(true));
  auto worker = r.string("workerName", name_rule(false));
  r.done();
  require_states_arn(*arn, "activity", 1, 1);
  require_activity(store_, *arn);
  // The dispatcher answers when a task is queued or the long poll runs out; an empty answer
  // is a 200 without a taskToken, as AWS gives.
  activities_.poll(*arn, worker.value_or(""),
                   [reply](std::optional<tasks::ActivityTask> task, std::exception_ptr error) {
                     if (error) {
                       reply(Json(), std::move(error));
                       return;
                     }
                     if (!task) {
                       reply(Json::object(), {});
                       return;
                     }
                     reply({{"taskToken", task->task_token}, {"input", task->input}}, {});
                   });
}

}  // namespace stepd::ops

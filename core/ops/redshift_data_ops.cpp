// The Redshift Data API's own front door (X-Amz-Target: RedshiftData.<Action>): the same
// emulation SQL steps use, so `aws redshift-data --endpoint-url` can follow their statements,
// and start statements of its own.
#include "core/ops/service.h"

namespace stepd::ops {

void Service::redshift_data(const std::string& action, const Json& req, Reply reply) {
  redshift_data_->call(action, req, [reply](Json response, std::optional<ApiError> error) {
    if (error) {
      reply(Json(), std::make_exception_ptr(*error));
    } else {
      reply(std::move(response), nullptr);
    }
  });
}

}  // namespace stepd::ops

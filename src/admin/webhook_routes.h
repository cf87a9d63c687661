// admin/webhook_routes.h — webhook operations for ops staff (internal to admin; admin.cpp
// registers them behind the token check):
//   GET  /admin/v1/webhook_endpoints   every merchant's endpoints, with why Till disabled one
//   GET  /admin/v1/webhook_attempts    the attempt log of one event or one endpoint
//   POST /admin/v1/events/{id}/resend  deliver an event to an endpoint again, now
//   GET  /admin/v1/webhook_backlog     what is waiting to be delivered, and since when
#pragma once

#include "api/http.h"
#include "base/clock.h"
#include "store/store.h"

namespace till::admin {

class WebhookRoutes {
 public:
  WebhookRoutes(store::Database& database, const Clock& clock)
      : database_(database), clock_(clock) {}

  api::Response list_endpoints(api::Request& request);
  api::Response list_attempts(api::Request& request);
  api::Response resend_event(api::Request& request);
  api::Response get_backlog(api::Request& request);

 private:
  store::Database& database_;
  const Clock& clock_;
};

}  // namespace till::admin

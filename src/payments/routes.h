// payments/routes.h — the route tables of the merchant API's resources (internal). One
// function per resource file; payments.cpp calls them all.
#pragma once

#include "api/router.h"
#include "payments/service.h"

namespace till::payments {

void add_customer_routes(api::Router& router, Services& services);        // customers.cpp
void add_payment_method_routes(api::Router& router, Services& services);  // payment_methods.cpp
void add_payment_intent_routes(api::Router& router, Services& services);  // payment_intents.cpp
void add_charge_routes(api::Router& router, Services& services);          // charges.cpp
void add_refund_routes(api::Router& router, Services& services);          // refunds.cpp
void add_balance_routes(api::Router& router, Services& services);         // balance.cpp
void add_event_routes(api::Router& router, Services& services);           // events_routes.cpp
void add_webhook_endpoint_routes(api::Router& router, Services& services);  // webhook_endpoints.cpp
void add_processor_webhook_route(api::Router& router, Services& services);  // processor_sync.cpp

}  // namespace till::payments

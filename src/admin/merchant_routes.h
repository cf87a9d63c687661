// admin/merchant_routes.h — the /admin/v1/merchants and /admin/v1/keys handlers, and merchants
// and API keys as JSON (internal to admin; admin.cpp registers the routes behind the token
// check, and `till admin` prints the same JSON).
//
// Merchant and key objects mirror Stripe's (`object: "account"`, `created` in Unix seconds)
// rather than the ledger objects' `_unix_ms` fields: they are the objects the merchant API
// will show merchants. A key's secret appears only in the answer of the call that minted it.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>

#include "api/errors.h"
#include "api/http.h"
#include "merchant/merchant.h"

namespace till::admin {

// {"id":"acct_…","object":"account","name":…,"created":<s>,"metadata":{…}}
boost::json::object merchant_json(const merchant::Merchant& merchant);
// {"id":"key_…","object":"api_key","merchant":…,"livemode":…,"type":"secret",
//  "redacted":"sk_test_…abcd","status":…,"created":<s>,"expires_at":<s>|null,
//  "revoked":…,"revoked_at":<s>|null,"replaced_by":"key_…"|null}
boost::json::object key_json(const merchant::ApiKey& key, std::int64_t now_unix_ms);
// key_json plus "secret": only for a key just minted.
boost::json::object issued_key_json(const merchant::IssuedKey& issued, std::int64_t now_unix_ms);

// How a MerchantError reaches an admin API client: validation 400s name the field, unknown
// objects are 404 resource_missing, state conflicts 409, database failures 503 (details
// logged, not returned).
api::ApiError to_api_error(const merchant::MerchantError& error);

class MerchantRoutes {
 public:
  explicit MerchantRoutes(merchant::MerchantStore& store) : store_(store) {}

  api::Response create_merchant(api::Request& request);
  api::Response list_merchants(api::Request& request);
  api::Response get_merchant(api::Request& request);
  api::Response issue_key(api::Request& request);
  api::Response list_keys(api::Request& request);
  api::Response roll_key(api::Request& request);
  api::Response revoke_key(api::Request& request);

 private:
  merchant::MerchantStore& store_;
};

}  // namespace till::admin

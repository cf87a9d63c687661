#include "admin/merchant_routes.h"

#include <array>
#include <boost/json/serialize.hpp>
#include <span>

#include "admin/ledger_json.h"
#include "admin/ledger_requests.h"
#include "admin/query.h"
#include "admin/responses.h"
#include "obs/log.h"

namespace till::admin {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr std::int64_t kMsPerSecond = 1000;

constexpr std::array<std::string_view, 0> kNoQuery = {};
constexpr std::array<std::string_view, 2> kListQuery = {"limit", "starting_after"};
constexpr std::array<std::string_view, 3> kCreateFields = {"name", "metadata", "issue_test_key"};
constexpr std::array<std::string_view, 1> kIssueFields = {"mode"};
constexpr std::array<std::string_view, 1> kRollFields = {"expires_in_seconds"};
constexpr std::array<std::string_view, 0> kNoFields = {};

std::int64_t seconds(std::int64_t unix_ms) { return unix_ms / kMsPerSecond; }

value optional_seconds(const std::optional<std::int64_t>& unix_ms) {
  if (!unix_ms) return nullptr;
  return seconds(*unix_ms);
}

api::Response store_failure(const api::Request& request, const merchant::MerchantError& error) {
  const api::ApiError api_error = to_api_error(error);
  if (api_error.status >= 500) {
    obs::warn("admin merchant request failed",
              {{"request_id", request.request_id}, {"code", error.code}, {"error", error.message}});
  }
  return failure(api_error);
}

std::optional<api::ApiError> refuse_query(const api::Request& request) {
  auto params = parse_query(request.query, kNoQuery);
  if (!params) return std::move(params).error();
  return std::nullopt;
}

// The body as a JSON object whose fields are all in `allowed`. An empty body is an empty
// object: `curl -X POST .../revoke` needs no `-d '{}'`.
ApiResult<object> read_body(std::string_view body, std::span<const std::string_view> allowed) {
  const bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  object fields;
  if (!blank) {
    auto parsed = parse_json_object(body);
    if (!parsed) return unexpected(std::move(parsed).error());
    fields = std::move(*parsed);
  }
  for (const auto& field : fields) {
    bool known = false;
    for (std::string_view name : allowed) known = known || field.key() == name;
    if (!known) return unexpected(parameter_unknown(std::string(field.key())));
  }
  return fields;
}

// The value of `key`, or nullptr when it is absent or null (null counts as absent).
const value* find_field(const object& fields, std::string_view key) {
  const value* found = fields.if_contains(key);
  return found == nullptr || found->is_null() ? nullptr : found;
}

ApiResult<std::string> required_string(const object& fields, std::string_view key) {
  const value* found = find_field(fields, key);
  if (found == nullptr) return unexpected(parameter_missing(std::string(key)));
  if (!found->is_string()) return unexpected(parameter_invalid(std::string(key), "a string"));
  return std::string(found->get_string());
}

ApiResult<merchant::Metadata> read_metadata(const object& fields) {
  merchant::Metadata metadata;
  const value* found = find_field(fields, "metadata");
  if (found == nullptr) return metadata;
  if (!found->is_object()) {
    return unexpected(parameter_invalid("metadata", "an object of string keys and string values"));
  }
  for (const auto& [key, item] : found->get_object()) {
    if (!item.is_string()) {
      return unexpected(parameter_invalid("metadata[" + std::string(key) + "]", "a string"));
    }
    metadata[std::string(key)] = std::string(item.get_string());
  }
  return metadata;
}

ApiResult<merchant::MerchantSpec> read_create(std::string_view body) {
  auto fields = read_body(body, kCreateFields);
  if (!fields) return unexpected(std::move(fields).error());
  merchant::MerchantSpec spec;
  auto name = required_string(*fields, "name");
  if (!name) return unexpected(std::move(name).error());
  spec.name = std::move(*name);
  auto metadata = read_metadata(*fields);
  if (!metadata) return unexpected(std::move(metadata).error());
  spec.metadata = std::move(*metadata);
  if (const value* issue = find_field(*fields, "issue_test_key")) {
    if (!issue->is_bool()) return unexpected(parameter_invalid("issue_test_key", "true or false"));
    spec.issue_test_key = issue->get_bool();
  }
  return spec;
}

ApiResult<merchant::Mode> read_mode(std::string_view body) {
  auto fields = read_body(body, kIssueFields);
  if (!fields) return unexpected(std::move(fields).error());
  auto name = required_string(*fields, "mode");
  if (!name) return unexpected(std::move(name).error());
  const std::optional<merchant::Mode> mode = merchant::parse_mode(*name);
  if (!mode) return unexpected(parameter_invalid("mode", "\"test\" or \"live\""));
  return *mode;
}

ApiResult<std::int64_t> read_expires_in(std::string_view body) {
  auto fields = read_body(body, kRollFields);
  if (!fields) return unexpected(std::move(fields).error());
  const value* found = find_field(*fields, "expires_in_seconds");
  if (found == nullptr) return std::int64_t{0};
  if (!found->is_int64()) {
    return unexpected(parameter_invalid_integer("expires_in_seconds",
                                                "an integer number of seconds from 0 to 604800"));
  }
  return found->get_int64();
}

struct ListQuery {
  std::size_t limit = kListLimitDefault;
  std::string starting_after;
};

ApiResult<ListQuery> read_list_query(const api::Request& request) {
  auto params = parse_query(request.query, kListQuery);
  if (!params) return unexpected(std::move(params).error());
  auto limit = read_limit(*params);
  if (!limit) return unexpected(std::move(limit).error());
  const std::string* cursor = find_query_param(*params, "starting_after");
  return ListQuery{*limit, cursor == nullptr ? std::string() : *cursor};
}

struct ErrorMapping {
  std::string_view code;
  unsigned status;
  std::string_view api_code;
};

// One row per MerchantError code; a code without a row answers 500 and is logged, so a new
// failure cannot silently become a 400.
constexpr std::array kErrorTable = std::to_array<ErrorMapping>({
    {"name_invalid", 400, "name_invalid"},
    {"metadata_invalid", 400, "metadata_invalid"},
    {"limit_invalid", 400, "parameter_invalid_integer"},
    {"cursor_invalid", 400, "cursor_invalid"},
    {"expires_in_invalid", 400, "expires_in_invalid"},
    {"merchant_not_found", 404, "resource_missing"},
    {"key_not_found", 404, "resource_missing"},
    {"key_revoked", 409, "key_revoked"},
    {"key_expired", 409, "key_expired"},
    {"key_already_rolled", 409, "key_already_rolled"},
    {"key_limit_reached", 409, "key_limit_reached"},
    {"database_error", 503, "database_unavailable"},
});

}  // namespace

object merchant_json(const merchant::Merchant& merchant) {
  object out;
  out["id"] = merchant.id;
  out["object"] = "account";
  out["name"] = merchant.name;
  out["created"] = seconds(merchant.created_at_unix_ms);
  object metadata;
  for (const auto& [key, text] : merchant.metadata) metadata[key] = text;
  out["metadata"] = std::move(metadata);
  return out;
}

object key_json(const merchant::ApiKey& key, std::int64_t now_unix_ms) {
  object out;
  out["id"] = key.id;
  out["object"] = "api_key";
  out["merchant"] = key.merchant_id;
  out["livemode"] = key.livemode();
  out["type"] = "secret";
  out["redacted"] = key.redacted();
  out["status"] = merchant::to_string(key.status(now_unix_ms));
  out["created"] = seconds(key.created_at_unix_ms);
  out["expires_at"] = optional_seconds(key.expires_at_unix_ms);
  out["revoked"] = key.revoked_at_unix_ms.has_value();
  out["revoked_at"] = optional_seconds(key.revoked_at_unix_ms);
  if (key.replaced_by_key_id.empty()) {
    out["replaced_by"] = nullptr;
  } else {
    out["replaced_by"] = key.replaced_by_key_id;
  }
  return out;
}

object issued_key_json(const merchant::IssuedKey& issued, std::int64_t now_unix_ms) {
  object out = key_json(issued.key, now_unix_ms);
  out["secret"] = issued.secret;
  return out;
}

api::ApiError to_api_error(const merchant::MerchantError& error) {
  api::ApiError api_error;
  for (const ErrorMapping& row : kErrorTable) {
    if (row.code != error.code) continue;
    api_error.status = row.status;
    api_error.code = std::string(row.api_code);
    api_error.param = error.field;
    api_error.message = error.message;
    if (row.status >= 500) {
      api_error.type = "api_error";
      api_error.param.clear();
      // The database's message may name hosts and tables; it goes to the log only.
      api_error.message =
          "The merchant store is unavailable; retry the request. Details are in the server's log "
          "under this response's Request-Id.";
    }
    return api_error;
  }
  obs::error("merchant error code missing from the admin mapping table", {{"code", error.code}});
  return api::internal_error();
}

api::Response MerchantRoutes::create_merchant(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto spec = read_create(request.body);
  if (!spec) return failure(spec.error());
  auto created = store_.create_merchant(*spec);
  if (!created) return store_failure(request, created.error());
  object body = merchant_json(created->merchant);
  if (created->test_key) {
    body["secret_key"] = issued_key_json(*created->test_key, store_.clock().now_unix_ms());
  }
  return ok(body);
}

api::Response MerchantRoutes::list_merchants(api::Request& request) {
  auto query = read_list_query(request);
  if (!query) return failure(query.error());
  auto page = store_.list_merchants(query->starting_after, query->limit);
  if (!page) return store_failure(request, page.error());
  array data;
  for (const merchant::Merchant& merchant : page->items) data.push_back(merchant_json(merchant));
  return ok(list_json(std::move(data), page->has_more, request.path));
}

api::Response MerchantRoutes::get_merchant(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto merchant = store_.get_merchant(std::string(request.path_param("id")));
  if (!merchant) return store_failure(request, merchant.error());
  return ok(merchant_json(*merchant));
}

api::Response MerchantRoutes::issue_key(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto mode = read_mode(request.body);
  if (!mode) return failure(mode.error());
  auto issued = store_.issue_key(std::string(request.path_param("id")), *mode);
  if (!issued) return store_failure(request, issued.error());
  return ok(issued_key_json(*issued, store_.clock().now_unix_ms()));
}

api::Response MerchantRoutes::list_keys(api::Request& request) {
  auto query = read_list_query(request);
  if (!query) return failure(query.error());
  auto page =
      store_.list_keys(std::string(request.path_param("id")), query->starting_after, query->limit);
  if (!page) return store_failure(request, page.error());
  const std::int64_t now = store_.clock().now_unix_ms();
  array data;
  for (const merchant::ApiKey& key : page->items) data.push_back(key_json(key, now));
  return ok(list_json(std::move(data), page->has_more, request.path));
}

api::Response MerchantRoutes::roll_key(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  auto expires_in = read_expires_in(request.body);
  if (!expires_in) return failure(expires_in.error());
  auto rolled = store_.roll_key(std::string(request.path_param("id")), *expires_in);
  if (!rolled) return store_failure(request, rolled.error());
  const std::int64_t now = store_.clock().now_unix_ms();
  object body = issued_key_json(rolled->replacement, now);
  body["previous_key"] = key_json(rolled->previous, now);
  return ok(body);
}

api::Response MerchantRoutes::revoke_key(api::Request& request) {
  if (auto refused = refuse_query(request)) return failure(*refused);
  if (auto fields = read_body(request.body, kNoFields); !fields) return failure(fields.error());
  auto revoked = store_.revoke_key(std::string(request.path_param("id")));
  if (!revoked) return store_failure(request, revoked.error());
  return ok(key_json(*revoked, store_.clock().now_unix_ms()));
}

}  // namespace till::admin

#include "admin/processor_routes.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>

#include "admin/ledger_requests.h"
#include "admin/query.h"
#include "admin/request_errors.h"
#include "admin/responses.h"
#include "base/ids.h"
#include "connectors/registry.h"
#include "obs/log.h"
#include "payments/attempts.h"
#include "payments/connector_accounts.h"

namespace till::admin {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr std::array<std::string_view, 6> kCreateFields = {
    "connector", "display_name", "base_url", "credentials", "livemode", "timeout_ms"};
constexpr std::array<std::string_view, 3> kUpdateFields = {"status", "base_url", "credentials"};
constexpr std::array<std::string_view, 1> kListQuery = {"livemode"};
constexpr std::array<std::string_view, 0> kNoQuery = {};
constexpr std::size_t kDisplayNameBytesMax = 200;
constexpr std::size_t kBaseUrlBytesMax = 2048;
constexpr std::size_t kCredentialsMax = 16;
constexpr std::size_t kCredentialBytesMax = 4096;

api::Response unavailable(const api::Request& request, const store::StoreError& error) {
  obs::warn("admin processor request failed",
            {{"request_id", request.request_id}, {"error", error.message}});
  return failure(api::service_unavailable("the database is unavailable; retry the request"));
}

api::Response not_found(std::string_view kind, std::string_view id) {
  api::ApiError error;
  error.status = 404;
  error.code = "resource_missing";
  error.message = "No such " + std::string(kind) + ": '" + std::string(id) + "'";
  error.param = "id";
  return failure(error);
}

// The body as a JSON object whose fields are all in `allowed`.
template <std::size_t N>
ApiResult<object> read_fields(std::string_view body,
                              const std::array<std::string_view, N>& allowed) {
  auto parsed = parse_json_object(body);
  if (!parsed) return unexpected(std::move(parsed).error());
  for (const auto& field : *parsed) {
    bool known = false;
    for (std::string_view name : allowed) known = known || field.key() == name;
    if (!known) return unexpected(parameter_unknown(std::string(field.key())));
  }
  return std::move(*parsed);
}

ApiResult<std::string> text_field(const object& fields, std::string_view key, bool required,
                                  std::size_t bytes_max) {
  const value* found = fields.if_contains(key);
  if (found == nullptr || found->is_null()) {
    if (required) return unexpected(parameter_missing(std::string(key)));
    return std::string();
  }
  if (!found->is_string() || found->get_string().size() > bytes_max) {
    return unexpected(parameter_invalid(
        std::string(key), "a string of at most " + std::to_string(bytes_max) + " bytes"));
  }
  return std::string(found->get_string());
}

ApiResult<payments::ConnectorAccount> read_account(const object& fields) {
  payments::ConnectorAccount account;
  auto connector = text_field(fields, "connector", true, 64);
  if (!connector) return unexpected(connector.error());
  account.connector = std::move(*connector);
  auto name = text_field(fields, "display_name", false, kDisplayNameBytesMax);
  if (!name) return unexpected(name.error());
  account.display_name = name->empty() ? account.connector : std::move(*name);
  auto base_url = text_field(fields, "base_url", false, kBaseUrlBytesMax);
  if (!base_url) return unexpected(base_url.error());
  account.base_url = std::move(*base_url);
  if (const value* livemode = fields.if_contains("livemode"); livemode && !livemode->is_null()) {
    if (!livemode->is_bool()) return unexpected(parameter_invalid("livemode", "true or false"));
    account.livemode = livemode->get_bool();
  }
  if (const value* timeout = fields.if_contains("timeout_ms"); timeout && !timeout->is_null()) {
    const std::string expected = "an integer from " +
                                 std::to_string(payments::kConnectorTimeoutMsMin) + " to " +
                                 std::to_string(payments::kConnectorTimeoutMsMax);
    if (!timeout->is_int64()) return unexpected(parameter_invalid_integer("timeout_ms", expected));
    const std::int64_t ms = timeout->get_int64();
    if (ms < payments::kConnectorTimeoutMsMin || ms > payments::kConnectorTimeoutMsMax) {
      return unexpected(parameter_invalid_integer("timeout_ms", expected));
    }
    account.timeout_ms = ms;
  }
  const value* credentials = fields.if_contains("credentials");
  if (credentials != nullptr && !credentials->is_null()) {
    if (!credentials->is_object() || credentials->get_object().size() > kCredentialsMax) {
      return unexpected(parameter_invalid(
          "credentials", "an object of at most 16 string values (api_key, webhook_secret, ...)"));
    }
    for (const auto& [key, secret] : credentials->get_object()) {
      if (!secret.is_string() || secret.get_string().size() > kCredentialBytesMax) {
        return unexpected(parameter_invalid("credentials[" + std::string(key) + "]",
                                            "a string of at most 4096 bytes"));
      }
      account.credentials[std::string(key)] = std::string(secret.get_string());
    }
  }
  return account;
}

std::optional<api::ApiError> check_with_registry(const payments::ConnectorAccount& account) {
  auto valid = connectors::validate_account(payments::connector_config(account));
  if (valid) return std::nullopt;
  // The registry's message names what is wrong (unknown connector, missing credential,
  // base_url); the field it concerns is the first word the message is about.
  const std::string& message = valid.error();
  std::string param = "connector";
  if (message.find("credential") != std::string::npos) param = "credentials";
  if (message.find("base_url") != std::string::npos) param = "base_url";
  if (message.find("timeout") != std::string::npos) param = "timeout_ms";
  api::ApiError error;
  error.status = 400;
  error.type = "invalid_request_error";
  error.code = "parameter_invalid";
  error.param = param;
  error.message = message;
  return error;
}

store::StoreResult<bool> merchant_exists(store::Connection& connection, const std::string& id) {
  bool found = false;
  auto read = connection.query("SELECT 1 FROM merchants WHERE id = $1", {id},
                               [&](const store::Row&) { found = true; });
  if (!read) return unexpected(read.error());
  return found;
}

object attempt_json(const payments::Attempt& attempt) {
  auto text_or_null = [](const std::string& text) -> value {
    return text.empty() ? value(nullptr) : value(text);
  };
  return object{{"id", attempt.id},
                {"object", "payment_attempt"},
                {"payment_intent", attempt.payment_intent_id},
                {"sequence", attempt.sequence},
                {"connector_account", attempt.connector_account_id},
                {"connector", attempt.connector},
                {"status", payments::to_string(attempt.status)},
                {"capture", attempt.capture},
                {"amount", attempt.amount},
                {"currency", attempt.currency},
                {"processor_reference", text_or_null(attempt.processor_reference)},
                {"raw_response_code", text_or_null(attempt.raw_code)},
                {"decline_code", text_or_null(attempt.decline_code)},
                {"soft_decline", attempt.soft},
                {"message", text_or_null(attempt.message)},
                {"latency_us", attempt.latency_us},
                {"charge", text_or_null(attempt.charge_id)},
                {"request_id", text_or_null(attempt.request_id)},
                {"sync_attempts", attempt.sync_attempts},
                {"created_at_unix_ms", attempt.created_at_unix_ms},
                {"updated_at_unix_ms", attempt.updated_at_unix_ms}};
}

}  // namespace

api::Response ProcessorRoutes::create_account(api::Request& request) {
  if (auto refused = parse_query(request.query, kNoQuery); !refused) {
    return failure(refused.error());
  }
  const std::string merchant_id(request.path_param("merchant"));
  auto fields = read_fields(request.body, kCreateFields);
  if (!fields) return failure(fields.error());
  auto account = read_account(*fields);
  if (!account) return failure(account.error());
  account->id = new_id("ca", clock_);
  account->merchant_id = merchant_id;
  account->created_at_unix_ms = clock_.now_unix_ms();
  account->updated_at_unix_ms = account->created_at_unix_ms;
  if (auto invalid = check_with_registry(*account)) return failure(*invalid);
  bool missing_merchant = false;
  bool too_many = false;
  auto done = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    auto exists = merchant_exists(connection, merchant_id);
    if (!exists) return unexpected(exists.error());
    missing_merchant = !*exists;
    if (missing_merchant) return {};
    auto existing = payments::connector_accounts_of(connection, vault_, merchant_id, std::nullopt);
    if (!existing) return unexpected(existing.error());
    too_many = existing->size() >= payments::kConnectorAccountsPerMerchantMax;
    if (too_many) return {};
    return payments::insert_connector_account(connection, vault_, *account);
  });
  if (!done) return unavailable(request, done.error());
  if (missing_merchant) return not_found("merchant", merchant_id);
  if (too_many) {
    api::ApiError error;
    error.status = 400;
    error.code = "connector_accounts_limit";
    error.message = "A merchant has at most " +
                    std::to_string(payments::kConnectorAccountsPerMerchantMax) +
                    " connector accounts; disable or reuse one.";
    return failure(error);
  }
  obs::info("connector account created", {{"account", account->id},
                                          {"merchant", merchant_id},
                                          {"connector", account->connector},
                                          {"livemode", account->livemode}});
  changed_();
  return ok(payments::connector_account_json(*account));
}

api::Response ProcessorRoutes::list_accounts(api::Request& request) {
  auto params = parse_query(request.query, kListQuery);
  if (!params) return failure(params.error());
  std::optional<bool> livemode;
  if (const std::string* mode = find_query_param(*params, "livemode")) {
    if (*mode != "true" && *mode != "false") {
      return failure(parameter_invalid("livemode", "true or false"));
    }
    livemode = *mode == "true";
  }
  const std::string merchant_id(request.path_param("merchant"));
  std::vector<payments::ConnectorAccount> accounts;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = payments::connector_accounts_of(connection, vault_, merchant_id, livemode);
    if (!found) return unexpected(found.error());
    accounts = std::move(*found);
    return {};
  });
  if (!read) return unavailable(request, read.error());
  array data;
  for (const auto& account : accounts) data.push_back(payments::connector_account_json(account));
  return ok(object{{"object", "list"},
                   {"data", std::move(data)},
                   {"has_more", false},
                   {"url", "/admin/v1/merchants/" + merchant_id + "/connector_accounts"}});
}

api::Response ProcessorRoutes::get_account(api::Request& request) {
  if (auto refused = parse_query(request.query, kNoQuery); !refused) {
    return failure(refused.error());
  }
  const std::string merchant_id(request.path_param("merchant"));
  const std::string id(request.path_param("id"));
  std::optional<payments::ConnectorAccount> account;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = payments::find_connector_account(connection, vault_, id, merchant_id);
    if (!found) return unexpected(found.error());
    account = std::move(*found);
    return {};
  });
  if (!read) return unavailable(request, read.error());
  if (!account) return not_found("connector_account", id);
  return ok(payments::connector_account_json(*account));
}

api::Response ProcessorRoutes::update_account(api::Request& request) {
  if (auto refused = parse_query(request.query, kNoQuery); !refused) {
    return failure(refused.error());
  }
  const std::string merchant_id(request.path_param("merchant"));
  const std::string id(request.path_param("id"));
  auto fields = read_fields(request.body, kUpdateFields);
  if (!fields) return failure(fields.error());
  auto status = text_field(*fields, "status", false, 16);
  if (!status) return failure(status.error());
  if (!status->empty() && *status != "active" && *status != "disabled") {
    return failure(parameter_invalid("status", "active or disabled"));
  }
  auto base_url = text_field(*fields, "base_url", false, kBaseUrlBytesMax);
  if (!base_url) return failure(base_url.error());
  // The new credentials, read as on create (names and sizes checked the same way).
  auto changes = read_account(
      object{{"connector", "unchanged"},
             {"credentials",
              fields->contains("credentials") ? fields->at("credentials") : value(nullptr)}});
  if (!changes) return failure(changes.error());
  std::optional<payments::ConnectorAccount> account;
  std::optional<api::ApiError> invalid;
  auto done = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    invalid.reset();
    auto found = payments::find_connector_account(connection, vault_, id, merchant_id);
    if (!found) return unexpected(found.error());
    account = std::move(*found);
    if (!account) return {};
    if (!status->empty()) account->status = *status;
    if (!base_url->empty()) account->base_url = *base_url;
    if (fields->contains("credentials")) account->credentials = changes->credentials;
    account->updated_at_unix_ms = std::max(clock_.now_unix_ms(), account->updated_at_unix_ms + 1);
    invalid = check_with_registry(*account);
    if (invalid) return {};
    auto updated = payments::update_connector_account(connection, vault_, *account);
    if (!updated) return unexpected(updated.error());
    return {};
  });
  if (invalid) return failure(*invalid);
  if (!done) return unavailable(request, done.error());
  if (!account) return not_found("connector_account", id);
  obs::info("connector account updated", {{"account", id}, {"status", account->status}});
  changed_();
  return ok(payments::connector_account_json(*account));
}

api::Response ProcessorRoutes::list_attempts(api::Request& request) {
  if (auto refused = parse_query(request.query, kNoQuery); !refused) {
    return failure(refused.error());
  }
  const std::string merchant_id(request.path_param("merchant"));
  const std::string intent_id(request.path_param("id"));
  std::vector<payments::Attempt> attempts;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    auto found = payments::attempts_of_intent(connection, merchant_id, intent_id);
    if (!found) return unexpected(found.error());
    attempts = std::move(*found);
    return {};
  });
  if (!read) return unavailable(request, read.error());
  array data;
  for (const auto& attempt : attempts) data.push_back(attempt_json(attempt));
  return ok(object{{"object", "list"},
                   {"data", std::move(data)},
                   {"has_more", false},
                   {"url", "/admin/v1/merchants/" + merchant_id + "/payment_intents/" + intent_id +
                               "/attempts"}});
}

}  // namespace till::admin

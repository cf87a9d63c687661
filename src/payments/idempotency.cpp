#include "payments/idempotency.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <vector>

#include "base/digest.h"
#include "obs/log.h"

namespace till::payments {

namespace {

// Serialises with object keys sorted at every level.
void append_canonical(std::string& out, const boost::json::value& value) {
  if (value.is_object()) {
    const auto& object = value.as_object();
    std::vector<const boost::json::key_value_pair*> members;
    members.reserve(object.size());
    for (const auto& member : object) members.push_back(&member);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += boost::json::serialize(boost::json::value(members[i]->key()));
      out.push_back(':');
      append_canonical(out, members[i]->value());
    }
    out.push_back('}');
  } else if (value.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& item : value.as_array()) {
      if (!first) out.push_back(',');
      first = false;
      append_canonical(out, item);
    }
    out.push_back(']');
  } else {
    out += boost::json::serialize(value);
  }
}

api::ApiError parameters_differ(std::string_view key) {
  api::ApiError error;
  error.type = "idempotency_error";
  error.code = "idempotency_key_reused";
  error.message =
      "Keys for idempotent requests can only be used with the same parameters they were first "
      "used with. Try using a key other than '" +
      std::string(key) + "' if you meant to execute a different request.";
  return error;
}

struct StoredReply {
  std::string request_sha256;
  std::int64_t status_code = 0;
  std::string body;
};

// Card numbers and CVCs must not be kept, even hashed (an unkeyed hash of a card number is
// reversible by enumeration), so the fingerprint sees only a number's last four digits and
// length. Two different cards with the same last four under one key would replay rather than
// be refused — an accepted blind spot.
void mask_card_secrets(boost::json::value& value) {
  if (value.is_array()) {
    for (auto& item : value.as_array()) mask_card_secrets(item);
    return;
  }
  if (!value.is_object()) return;
  for (auto& member : value.as_object()) {
    if (member.key() == "cvc") {
      member.value() = "";
    } else if (member.key() == "number" && member.value().is_string()) {
      const std::string_view number = member.value().as_string();
      member.value() = std::to_string(number.size()) + ":" +
                       std::string(number.substr(number.size() > 4 ? number.size() - 4 : 0));
    } else {
      mask_card_secrets(member.value());
    }
  }
}

}  // namespace

std::string request_fingerprint(std::string_view method, std::string_view path,
                                const boost::json::object& params) {
  std::string canonical(method);
  canonical.push_back(' ');
  canonical += path;
  canonical.push_back('\n');
  boost::json::value masked = params;
  mask_card_secrets(masked);
  append_canonical(canonical, masked);
  return sha256_hex(canonical);
}

store::StoreResult<bool> claim_key(store::Connection& connection, const Call& call) {
  // A row older than the lifetime is a dead key: the new request takes it over.
  auto claimed = connection.execute(
      "INSERT INTO idempotency_keys (merchant_id, livemode, idempotency_key, request_sha256, "
      "status_code, response_body, created_at_unix_ms) VALUES ($1, $2, $3, $4, 0, '', $5) "
      "ON CONFLICT (merchant_id, livemode, idempotency_key) DO UPDATE SET "
      "request_sha256 = excluded.request_sha256, status_code = 0, response_body = '', "
      "created_at_unix_ms = excluded.created_at_unix_ms "
      "WHERE idempotency_keys.created_at_unix_ms < $6",
      {call.auth.merchant_id, call.auth.livemode, call.idempotency_key, call.request_sha256,
       call.now_unix_ms, call.now_unix_ms - kIdempotencyKeyLifetimeMs});
  if (!claimed) return unexpected(claimed.error());
  return *claimed == 1;
}

store::StoreResult<void> save_reply(store::Connection& connection, const Call& call,
                                    const Reply& reply) {
  store::StoreResult<std::int64_t> saved =
      reply.status >= 500
          ? connection.execute(
                "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND livemode = $2 AND "
                "idempotency_key = $3",
                {call.auth.merchant_id, call.auth.livemode, call.idempotency_key})
          : connection.execute(
                "UPDATE idempotency_keys SET status_code = $4, response_body = $5 WHERE "
                "merchant_id = $1 AND livemode = $2 AND idempotency_key = $3",
                {call.auth.merchant_id, call.auth.livemode, call.idempotency_key,
                 std::int64_t{reply.status}, reply.serialized()});
  if (!saved) return unexpected(saved.error());
  return {};
}

std::optional<Reply> replay_stored(Services& services, const Call& call) {
  std::optional<StoredReply> stored;
  auto read = services.database.read([&](store::Connection& connection)
                                         -> store::StoreResult<void> {
    return connection.query(
        "SELECT request_sha256, status_code, response_body FROM idempotency_keys WHERE "
        "merchant_id = $1 AND livemode = $2 AND idempotency_key = $3 AND created_at_unix_ms >= $4 "
        "AND status_code > 0",
        {call.auth.merchant_id, call.auth.livemode, call.idempotency_key,
         call.now_unix_ms - kIdempotencyKeyLifetimeMs},
        [&](const store::Row& row) {
          stored = StoredReply{std::string(row.get_text(0)), row.get_int64(1),
                               std::string(row.get_text(2))};
        });
  });
  if (!read) {
    obs::warn("idempotency lookup failed; the unit of work's claim decides",
              {{"request_id", call.request.request_id}, {"error", read.error().message}});
    return std::nullopt;
  }
  if (!stored) return std::nullopt;
  if (stored->request_sha256 != call.request_sha256) {
    return fail(parameters_differ(call.idempotency_key));
  }
  boost::system::error_code failure;
  boost::json::value body = boost::json::parse(stored->body, failure);
  if (failure || !body.is_object()) {
    obs::error("stored idempotent response is not a JSON object",
               {{"request_id", call.request.request_id}});
    return unavailable(call, "stored idempotent response unreadable");
  }
  return Reply{static_cast<unsigned>(stored->status_code), {}, std::move(stored->body), true};
}

store::StoreResult<std::int64_t> purge_expired_keys(store::Database& database,
                                                    std::int64_t now_unix_ms, std::size_t limit) {
  std::int64_t purged = 0;
  auto done = database.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    auto deleted = connection.execute(
        "DELETE FROM idempotency_keys WHERE (merchant_id, livemode, idempotency_key) IN (SELECT "
        "merchant_id, livemode, idempotency_key FROM idempotency_keys WHERE created_at_unix_ms < "
        "$1 LIMIT $2)",
        {now_unix_ms - kIdempotencyKeyLifetimeMs, static_cast<std::int64_t>(limit)});
    if (!deleted) return unexpected(deleted.error());
    purged = *deleted;
    return {};
  });
  if (!done) return unexpected(done.error());
  return purged;
}

}  // namespace till::payments

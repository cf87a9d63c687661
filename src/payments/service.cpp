// The merchant API pipeline: authenticate, decode, Idempotency-Key, handler, JSON.
#include "payments/service.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "base/digest.h"
#include "obs/log.h"
#include "params/params.h"
#include "payments/idempotency.h"

namespace till::payments {

bool InFlightKeys::try_begin(const std::string& key) {
  std::lock_guard lock(mutex_);
  return keys_.insert(key).second;
}

void InFlightKeys::end(const std::string& key) {
  std::lock_guard lock(mutex_);
  keys_.erase(key);
}

std::string Reply::serialized() const {
  if (!body_text.empty()) return body_text;
  return boost::json::serialize(body);
}

Reply ok(boost::json::object body) { return Reply{200, std::move(body), "", false}; }

Reply fail(const api::ApiError& error) {
  return Reply{error.status, api::error_object(error), "", false};
}

Reply no_such(std::string_view kind, std::string_view id, std::string param) {
  api::ApiError error;
  error.status = 404;
  error.code = "resource_missing";
  error.message = "No such " + std::string(kind) + ": '" + std::string(id.substr(0, 64)) + "'";
  error.param = std::move(param);
  return fail(error);
}

Reply unavailable(const Call& call, std::string_view what) {
  obs::error("merchant API request failed on the database",
             {{"request_id", call.request.request_id}, {"error", std::string(what)}});
  return fail(api::service_unavailable("the database is unavailable; retry the request"));
}

namespace {

api::Response to_response(const Reply& reply, const Call* call) {
  api::Response response = api::json_response(reply.status, reply.serialized());
  if (call != nullptr && !call->idempotency_key.empty()) {
    response.headers.emplace_back("Idempotency-Key", call->idempotency_key);
  }
  if (reply.replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  if (reply.status == 503 || reply.status == 429) response.headers.emplace_back("Retry-After", "1");
  // Tells the official SDKs whether retrying can help (they honour it over their own rules).
  if (reply.status == 409) response.headers.emplace_back("Stripe-Should-Retry", "true");
  return response;
}

api::ApiError idempotency_key_invalid(std::string message) {
  api::ApiError error;
  error.type = "idempotency_error";
  error.code = "idempotency_key_invalid";
  error.message = std::move(message);
  return error;
}

api::ApiError idempotency_key_in_use(std::string_view key) {
  api::ApiError error;
  error.status = 409;
  error.type = "idempotency_error";
  error.code = "idempotency_key_in_use";
  error.message =
      "There is currently another in-progress request using this Idempotent Key (that probably "
      "means you submitted twice, and the other request is still going through): " +
      std::string(key) + ". Please try again later.";
  return error;
}

// Runs one request through the pipeline.
api::Response serve(Services& services, const CallHandler& handler, api::Request& request) {
  auto auth = services.authenticator.authenticate(request);
  if (!auth) return to_response(fail(auth.error()), nullptr);
  auto params = params::decode_request(request);
  if (!params) return to_response(fail(params.error()), nullptr);
  Call call{request, std::move(auth).value(),     std::move(params).value(), "",
            "",      services.clock.now_unix_ms()};

  const std::string_view key = request.header("Idempotency-Key");
  if (key.empty() || request.method != "POST") {
    return to_response(handler(services, call), &call);
  }
  if (key.size() > kIdempotencyKeyBytesMax) {
    return to_response(
        fail(idempotency_key_invalid("The Idempotency-Key header is longer than " +
                                     std::to_string(kIdempotencyKeyBytesMax) + " characters.")),
        nullptr);
  }
  call.idempotency_key = std::string(key);
  call.request_sha256 = request_fingerprint(request.method, request.path, call.params);

  if (auto stored = replay_stored(services, call)) return to_response(*stored, &call);
  const std::string scope =
      call.auth.merchant_id + (call.auth.livemode ? "|live|" : "|test|") + call.idempotency_key;
  if (!services.in_flight.try_begin(scope)) {
    return to_response(fail(idempotency_key_in_use(call.idempotency_key)), &call);
  }
  struct EndInFlight {
    Services& services;
    const std::string& scope;
    ~EndInFlight() { services.in_flight.end(scope); }
  } end_in_flight{services, scope};
  return to_response(handler(services, call), &call);
}

}  // namespace

void add_route(api::Router& router, Services& services, std::string_view method,
               std::string_view pattern, CallHandler handler) {
  router.add(method, pattern, api::Execution::blocking,
             [&services, handler = std::move(handler)](api::Request& request) {
               return serve(services, handler, request);
             });
}

EventOrigin event_origin(const Call& call) {
  return EventOrigin{call.request.request_id, call.idempotency_key};
}

namespace {

Reply run_mutation(Services& services, Call& call, const MutationBody& body, bool claim) {
  const bool keyed = !call.idempotency_key.empty();
  std::optional<Reply> reply;
  bool key_taken = false;
  auto ran =
      services.ledger.run([&](ledger::GroupTransaction& transaction) -> store::StoreResult<void> {
        reply.reset();
        key_taken = false;
        store::Connection& connection = transaction.connection();
        if (keyed && claim) {
          auto claimed = claim_key(connection, call);
          if (!claimed) return unexpected(claimed.error());
          if (!*claimed) {
            key_taken = true;  // another request holds it: change nothing
            return {};
          }
        }
        Unit unit(transaction, services.clock, event_origin(call));
        auto produced = body(unit);
        if (!produced) return unexpected(produced.error());
        // Written only when the body succeeded, and never by a replay (which runs no body).
        if (auto announced = unit.write_events(); !announced) return unexpected(announced.error());
        reply = std::move(produced).value();
        if (keyed && !reply->key_stays_open) return save_reply(connection, call, *reply);
        return {};
      });
  if (!ran) return unavailable(call, ran.error().message);
  if (key_taken) {
    if (auto stored = replay_stored(services, call)) return *stored;
    return fail(idempotency_key_in_use(call.idempotency_key));
  }
  assert(reply.has_value());
  return std::move(*reply);
}

}  // namespace

Reply mutate(Services& services, Call& call, const MutationBody& body) {
  return run_mutation(services, call, body, true);
}

Reply mutate_continued(Services& services, Call& call, const MutationBody& body) {
  return run_mutation(services, call, body, false);
}

}  // namespace till::payments

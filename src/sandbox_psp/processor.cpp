#include "sandbox_psp/processor.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cassert>
#include <cstdlib>
#include <ctime>

#include "base/ids.h"
#include "base/random.h"
#include "sandbox_psp/formats.h"

namespace till::sandbox_psp {

namespace {

constexpr std::size_t kRrnLength = 12;
constexpr std::size_t kApprovalCodeLength = 6;

std::string random_digits(std::size_t count) {
  std::string digits(count, '0');
  std::array<std::uint8_t, 32> bytes{};
  assert(count <= bytes.size());
  random_bytes(bytes);
  // 256 is not a multiple of 10, so this is slightly biased; an approval code is no secret.
  for (std::size_t i = 0; i < count; ++i) digits[i] = static_cast<char>('0' + bytes[i] % 10);
  return digits;
}

struct YearMonth {
  std::int64_t year;
  std::int64_t month;
};

YearMonth utc_year_month(const Clock& clock) {
  const std::time_t seconds = static_cast<std::time_t>(clock.now_unix_s());
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return {parts.tm_year + 1900, parts.tm_mon + 1};
}

}  // namespace

Processor::Processor(store::Database& database, const Clock& clock, std::string hash_key, Wire wire,
                     bool webhooks, std::function<void()> on_events)
    : database_(database),
      clock_(clock),
      hash_key_(std::move(hash_key)),
      wire_(wire),
      webhooks_(webhooks),
      on_events_(std::move(on_events)) {
  assert(!hash_key_.empty());
}

std::string Processor::request_hash(std::string_view method, std::string_view path,
                                    std::string_view body) const {
  std::string message;
  message.reserve(method.size() + path.size() + body.size() + 2);
  message.append(method).append("\n").append(path).append("\n").append(body);
  return hmac_sha256_hex(hash_key_, message);
}

StoreResult<Answer> Processor::run_post(const std::string& key, const std::string& hash,
                                        const PostWork& operation) {
  Answer answer;
  auto done = database_.transact([&](Connection& connection) -> StoreResult<void> {
    answer = Answer{};  // the work may run again after a busy retry
    auto stored = find_answer(connection, key);
    if (!stored) return Unexpected(std::move(stored).error());
    if (stored->has_value()) {
      const StoredAnswer& previous = **stored;
      if (previous.request_hash == hash) {
        answer = Answer{previous.status, previous.body, true};
      } else {
        answer = Answer{409,
                        error_body("idempotency_key_reused",
                                   "this idempotency key was already used with a different "
                                   "request; use a new key for a new request"),
                        false};
      }
      return {};
    }
    auto cancelled = is_cancelled(connection, key);
    if (!cancelled) return Unexpected(std::move(cancelled).error());
    if (*cancelled) {
      answer = Answer{409,
                      error_body("idempotency_key_cancelled",
                                 "an inquiry closed this idempotency key before any request "
                                 "under it was processed; nothing was or will be charged"),
                      false};
      return {};
    }
    auto outcome = operation(connection);
    if (!outcome) return Unexpected(std::move(outcome).error());
    answer = outcome->answer;
    if (!outcome->store) return {};
    StoredAnswer record{hash, outcome->answer.status, outcome->answer.body,
                        outcome->authorization_id};
    return store_answer(connection, key, record, clock_.now_unix_ms());
  });
  if (!done) return Unexpected(std::move(done).error());
  if (webhooks_ && !answer.replayed && answer.status == 200) on_events_();
  return answer;
}

StoreResult<void> Processor::announce(Connection& connection, const Authorization& a) {
  if (!webhooks_) return {};
  const std::string id = new_id("pevt", clock_);
  const std::string type = event_type(a);
  return enqueue_event(connection, id, a.id, type,
                       webhook_body(wire_, id, type, a, clock_.now_unix_s()), clock_.now_unix_ms());
}

StoreResult<Authorization> Processor::authorize(Connection& connection,
                                                const AuthorizeInput& input) {
  assert(input.amount > 0 && input.amount <= kAmountMax);
  const YearMonth today = utc_year_month(clock_);
  CardDecision decision = decide(input.card, today.year, today.month);
  if (decision.approved && input.soft_decline) decision = injected_soft_decline();

  Authorization a;
  a.id = new_id("auth", clock_);
  a.rrn = random_base62(kRrnLength);
  a.idempotency_key = input.idempotency_key;
  a.reference = input.reference;
  a.amount = input.amount;
  a.currency = input.currency;
  a.response_code = decision.response_code;
  a.card_brand = card_brand(input.card.number);
  a.card_last4 = card_last4(input.card.number);
  a.created_unix_ms = clock_.now_unix_ms();
  if (decision.approved) {
    a.approval_code = random_digits(kApprovalCodeLength);
    a.status = input.capture ? "captured" : "authorized";
    if (input.capture) {
      a.captured_amount = input.amount;
      a.captured_unix_ms = a.created_unix_ms;
    }
  } else {
    a.status = "declined";
    a.decline_code = decision.decline_code;
    a.message = decision.message;
  }
  if (auto inserted = insert_authorization(connection, a); !inserted) {
    return Unexpected(std::move(inserted).error());
  }
  if (auto announced = announce(connection, a); !announced) {
    return Unexpected(std::move(announced).error());
  }
  return a;
}

StoreResult<Change> Processor::capture(Connection& connection, Authorization a,
                                       std::optional<std::int64_t> amount) {
  if (a.status != "authorized") return Change{Refusal::invalid_state, std::move(a), {}};
  const std::int64_t captured = amount.value_or(a.amount);
  assert(captured > 0);
  if (captured > a.amount) return Change{Refusal::amount_too_large, std::move(a), {}};
  a.status = "captured";
  a.captured_amount = captured;
  a.captured_unix_ms = clock_.now_unix_ms();
  if (auto updated = update_authorization(connection, a); !updated) {
    return Unexpected(std::move(updated).error());
  }
  if (auto announced = announce(connection, a); !announced) {
    return Unexpected(std::move(announced).error());
  }
  return Change{Refusal::none, std::move(a), {}};
}

StoreResult<Change> Processor::void_authorization(Connection& connection, Authorization a) {
  if (a.status != "authorized") return Change{Refusal::invalid_state, std::move(a), {}};
  a.status = "voided";
  if (auto updated = update_authorization(connection, a); !updated) {
    return Unexpected(std::move(updated).error());
  }
  if (auto announced = announce(connection, a); !announced) {
    return Unexpected(std::move(announced).error());
  }
  return Change{Refusal::none, std::move(a), {}};
}

StoreResult<Change> Processor::refund(Connection& connection, Authorization a,
                                      std::int64_t amount) {
  assert(amount > 0);
  if (a.status != "captured" && a.status != "partially_refunded") {
    return Change{Refusal::invalid_state, std::move(a), {}};
  }
  if (amount > a.captured_amount - a.refunded_amount) {
    return Change{Refusal::amount_too_large, std::move(a), {}};
  }
  Refund refund{new_id("rf", clock_), a.id, amount, a.currency, clock_.now_unix_ms()};
  if (auto inserted = insert_refund(connection, refund); !inserted) {
    return Unexpected(std::move(inserted).error());
  }
  a.refunded_amount += amount;
  a.status = a.refunded_amount == a.captured_amount ? "refunded" : "partially_refunded";
  if (auto updated = update_authorization(connection, a); !updated) {
    return Unexpected(std::move(updated).error());
  }
  if (auto announced = announce(connection, a); !announced) {
    return Unexpected(std::move(announced).error());
  }
  return Change{Refusal::none, std::move(a), std::move(refund)};
}

StoreResult<Inquiry> Processor::inquire(Connection& connection, const std::string& key) {
  auto created = find_authorization_by_key(connection, key);
  if (!created) return Unexpected(std::move(created).error());
  if (created->has_value()) return Inquiry{std::move(*created)};
  auto stored = find_answer(connection, key);
  if (!stored) return Unexpected(std::move(stored).error());
  if (stored->has_value() && (*stored)->authorization_id) {
    auto acted_on = find_authorization_by_id(connection, *(*stored)->authorization_id);
    if (!acted_on) return Unexpected(std::move(acted_on).error());
    assert(acted_on->has_value() && "an answer names an authorization that exists");
    return Inquiry{std::move(*acted_on)};
  }
  // Nothing happened under the key. Closing it here, in the lookup's own transaction, is what
  // makes "not found" final: a request under the key that arrives later is refused.
  if (auto cancelled = cancel_key(connection, key, clock_.now_unix_ms()); !cancelled) {
    return Unexpected(std::move(cancelled).error());
  }
  return Inquiry{};
}

}  // namespace till::sandbox_psp

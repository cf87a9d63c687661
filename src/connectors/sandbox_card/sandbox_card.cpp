#include "connectors/sandbox_card/sandbox_card.h"

#include <array>
#include <cassert>
#include <ctime>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "base/luhn.h"
#include "base/random.h"
#include "connectors/common.h"

namespace till::connectors::sandbox_card {

namespace {

constexpr std::size_t kReferenceRandomChars = 20;

struct TestNumber {
  std::string_view number;
  std::string_view decline_code;
};

constexpr std::array<TestNumber, 6> kTestNumbers = {{
    {"4000000000000002", "generic_decline"},
    {"4000000000009995", "insufficient_funds"},
    {"4000000000000069", "expired_card"},
    {"4000000000009979", "stolen_card"},
    {"4000000000009987", "lost_card"},
    {"4000000000000119", "processing_error"},
}};
constexpr std::string_view kAuthenticationRequiredNumber = "4000002500003155";

struct Authorization {
  std::string reference;
  ProcessorStatus status = ProcessorStatus::none;
  std::int64_t amount = 0;
  std::int64_t captured_amount = 0;
  std::int64_t refunded_amount = 0;
};

// One account's books. Every operation holds the mutex for its whole run, as the processor's
// single-writer database would.
struct Books {
  std::mutex mutex;
  std::unordered_map<std::string, ProcessorResult> answers;       // by idempotency key
  std::unordered_map<std::string, std::string> acted_on;          // key → reference
  std::unordered_set<std::string> cancelled;                      // keys an inquiry closed
  std::unordered_map<std::string, Authorization> authorizations;  // by reference
  std::deque<std::string> key_order;                              // oldest first, for eviction
  std::deque<std::string> authorization_order;                    // oldest first, for eviction

  void remember(const std::string& key, const ProcessorResult& answer,
                const std::string& reference) {
    if (answers.emplace(key, answer).second) key_order.push_back(key);
    if (!reference.empty()) acted_on[key] = reference;
    while (key_order.size() > kBookKeysMax) {
      const std::string& oldest = key_order.front();
      acted_on.erase(oldest);
      answers.erase(oldest);
      key_order.pop_front();
    }
  }

  void cancel(const std::string& key) {
    // Bounded like the answers: a cancelled key is forgotten after kBookKeysMax others.
    if (cancelled.insert(key).second) key_order.push_back(key);
    while (key_order.size() > kBookKeysMax) {
      const std::string& oldest = key_order.front();
      acted_on.erase(oldest);
      answers.erase(oldest);
      cancelled.erase(oldest);
      key_order.pop_front();
    }
  }

  void add(const Authorization& authorization) {
    if (authorizations.emplace(authorization.reference, authorization).second) {
      authorization_order.push_back(authorization.reference);
    }
    while (authorization_order.size() > kBookKeysMax) {
      authorizations.erase(authorization_order.front());
      authorization_order.pop_front();
    }
  }
};

std::shared_ptr<Books> books_for(const std::string& account_id) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<Books>> all;
  std::lock_guard lock(mutex);
  std::shared_ptr<Books>& books = all[account_id];
  if (!books) books = std::make_shared<Books>();
  return books;
}

ProcessorResult with(const Authorization& authorization, ProcessorResult result) {
  result.status = authorization.status;
  result.processor_reference = authorization.reference;
  result.amount = authorization.amount;
  result.captured_amount = authorization.captured_amount;
  result.refunded_amount = authorization.refunded_amount;
  return result;
}

ProcessorResult approved() {
  ProcessorResult result;
  result.outcome = Outcome::approved;
  result.raw_code = "00";
  return result;
}

class SandboxCardConnector final : public Connector {
 public:
  SandboxCardConnector(const AccountConfig& account, const Clock& clock)
      : clock_(clock), books_(books_for(account.account_id)) {}

  std::string_view name() const override { return kName; }

  ProcessorResult authorize(const AuthorizeRequest& request) override {
    return keyed(request.context, [&] { return do_authorize(request); });
  }

  ProcessorResult capture(const FollowUpRequest& request) override {
    return keyed(request.context, [&] {
      return follow_up(
          request, ProcessorStatus::captured, [&](Authorization& a) -> std::optional<std::string> {
            if (a.status != ProcessorStatus::authorized) return "authorization is not capturable";
            const std::int64_t amount = request.amount == 0 ? a.amount : request.amount;
            if (amount < 0 || amount > a.amount) return "capture amount exceeds the authorization";
            a.status = ProcessorStatus::captured;
            a.captured_amount = amount;
            return std::nullopt;
          });
    });
  }

  ProcessorResult void_authorization(const FollowUpRequest& request) override {
    return keyed(request.context, [&] {
      return follow_up(request, ProcessorStatus::voided,
                       [&](Authorization& a) -> std::optional<std::string> {
                         if (a.status != ProcessorStatus::authorized)
                           return "authorization is not voidable";
                         a.status = ProcessorStatus::voided;
                         return std::nullopt;
                       });
    });
  }

  ProcessorResult refund(const FollowUpRequest& request) override {
    return keyed(request.context, [&] {
      return follow_up(
          request, ProcessorStatus::refunded, [&](Authorization& a) -> std::optional<std::string> {
            if (a.status != ProcessorStatus::captured && a.status != ProcessorStatus::refunded) {
              return "authorization is not captured";
            }
            if (request.amount <= 0 || request.amount > a.captured_amount - a.refunded_amount) {
              return "refund amount exceeds what is left to refund";
            }
            a.refunded_amount += request.amount;
            a.status = ProcessorStatus::refunded;
            return std::nullopt;
          });
    });
  }

  ProcessorResult resolve(const CallContext& context) override {
    const auto started = std::chrono::steady_clock::now();
    ProcessorResult result;
    if (!is_idempotency_key(context.idempotency_key)) {
      // Nothing can be closed under it, so nothing is confirmed (connector.h: key_closed).
      result = unknown_result("idempotency key is missing or malformed");
    } else {
      std::lock_guard lock(books_->mutex);
      const auto acted = books_->acted_on.find(context.idempotency_key);
      const auto answered = books_->answers.find(context.idempotency_key);
      const auto authorization = acted == books_->acted_on.end()
                                     ? books_->authorizations.end()
                                     : books_->authorizations.find(acted->second);
      if (authorization != books_->authorizations.end()) {
        const Authorization& a = authorization->second;
        result = a.status == ProcessorStatus::declined ? answered->second : approved();
        result = with(a, std::move(result));
      } else if (answered != books_->answers.end()) {
        result = answered->second;  // its authorization was forgotten: the answer stands
      } else {
        books_->cancel(context.idempotency_key);
        result = not_processed_result(
            "nothing under this key; it is cancelled and a late request with it is refused");
        result.key_closed = true;
      }
    }
    result.latency = since(started);
    return result;
  }

  std::optional<WebhookUpdate> parse_webhook(std::string_view,
                                             const std::map<std::string, std::string>&,
                                             std::int64_t,
                                             WebhookRejection& rejection) const override {
    rejection.reason = "sandbox_card sends no webhooks";
    return std::nullopt;
  }

 private:
  static std::chrono::microseconds since(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 started);
  }

  // Idempotency as a processor keeps it: the first answer under a key is the answer; a key an
  // inquiry closed is refused. `operation` runs with the books locked.
  template <class Work>
  ProcessorResult keyed(const CallContext& context, Work&& operation) {
    const auto started = std::chrono::steady_clock::now();
    ProcessorResult result;
    if (!is_idempotency_key(context.idempotency_key)) {
      result = not_processed_result("idempotency key is missing or malformed");
    } else {
      std::lock_guard lock(books_->mutex);
      const auto answered = books_->answers.find(context.idempotency_key);
      if (answered != books_->answers.end()) {
        result = answered->second;
      } else if (books_->cancelled.contains(context.idempotency_key)) {
        result = not_processed_result(
            "idempotency key was cancelled by an inquiry; nothing was or will be processed");
        result.raw_code = "idempotency_key_cancelled";
      } else {
        auto [answer, reference] = operation();
        // Refusals before processing are not stored: a corrected retry may use the key.
        if (answer.outcome != Outcome::not_processed) {
          books_->remember(context.idempotency_key, answer, reference);
        }
        result = std::move(answer);
      }
    }
    result.latency = since(started);
    return result;
  }

  std::pair<ProcessorResult, std::string> do_authorize(const AuthorizeRequest& request) {
    if (!is_card_number(request.card.number)) {
      return {not_processed_result("card number must be 12 to 19 digits"), ""};
    }
    if (request.amount <= 0) return {not_processed_result("amount must be positive"), ""};
    const std::time_t seconds = static_cast<std::time_t>(clock_.now_unix_s());
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    Authorization a;
    a.reference = std::string(kReferencePrefix) + random_base62(kReferenceRandomChars);
    a.amount = request.amount;
    ProcessorResult result;
    if (const DeclineRule* decline =
            decline_for(request.card, parts.tm_year + 1900, parts.tm_mon + 1)) {
      a.status = ProcessorStatus::declined;
      result = declined_result(std::string(decline->decline_code), decline, "");
    } else {
      a.status = request.capture ? ProcessorStatus::captured : ProcessorStatus::authorized;
      a.captured_amount = request.capture ? request.amount : 0;
      result = approved();
    }
    result = with(a, std::move(result));
    books_->add(a);
    return {std::move(result), a.reference};
  }

  // Applies `change` to the authorization `request` names. `lenient_status` is the state a
  // well-formed sandbox reference these books do not hold is taken to reach (see the header).
  template <class Change>
  std::pair<ProcessorResult, std::string> follow_up(const FollowUpRequest& request,
                                                    ProcessorStatus lenient_status,
                                                    Change&& change) {
    const std::string& reference = request.processor_reference;
    if (!is_reference(reference)) {
      return {not_processed_result("processor reference is malformed"), ""};
    }
    const auto found = books_->authorizations.find(reference);
    if (found == books_->authorizations.end()) {
      if (reference.rfind(kReferencePrefix, 0) != 0) {
        return {not_processed_result("no such authorization"), ""};
      }
      Authorization a;
      a.reference = reference;
      a.status = lenient_status;
      a.amount = request.amount;
      if (lenient_status == ProcessorStatus::captured) a.captured_amount = request.amount;
      if (lenient_status == ProcessorStatus::refunded) a.refunded_amount = request.amount;
      books_->add(a);
      return {with(a, approved()), reference};
    }
    Authorization& a = found->second;
    const Authorization before = a;
    if (auto refused = change(a)) {
      a = before;
      return {not_processed_result(*refused), ""};
    }
    return {with(a, approved()), reference};
  }

  const Clock& clock_;
  const std::shared_ptr<Books> books_;
};

}  // namespace

const DeclineRule* decline_for(const Card& card, int now_year, int now_month) {
  if (!is_card_number(card.number) || !luhn_valid(card.number)) {
    return find_decline_by_code("incorrect_number");
  }
  // A card is valid through the last day of its expiry month.
  if (card.exp_year < now_year || (card.exp_year == now_year && card.exp_month < now_month)) {
    return find_decline_by_code("expired_card");
  }
  for (const TestNumber& test : kTestNumbers) {
    if (card.number == test.number) return find_decline_by_code(test.decline_code);
  }
  if (card.number == kAuthenticationRequiredNumber && !card.authenticated) {
    return find_decline_by_code("authentication_required");
  }
  return nullptr;
}

std::unique_ptr<Connector> make(const AccountConfig& account, const Clock& clock) {
  return std::make_unique<SandboxCardConnector>(account, clock);
}

}  // namespace till::connectors::sandbox_card

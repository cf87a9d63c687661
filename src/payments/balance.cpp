// Balance and balance transactions. The balance is read from the ledger: each merchant's
// balance_pending and balance_available accounts per currency (ledger_accounts.h). Funds move
// from pending to available when their balance transaction's available_on comes
// (release_available_funds, run periodically by `till serve`).
#include "money/currency.h"
#include "payments/expand.h"
#include "payments/movements.h"
#include "payments/objects.h"
#include "payments/payments.h"
#include "payments/routes.h"

namespace till::payments {

namespace {

using boost::json::array;
using boost::json::object;

struct CurrencyAccounts {
  std::string currency;  // upper case
  MerchantAccounts accounts;
};

store::StoreResult<std::vector<CurrencyAccounts>> merchant_currencies(store::Database& database,
                                                                      const Call& call) {
  std::vector<CurrencyAccounts> out;
  auto read = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
    return connection.query(
        "SELECT currency, role, account_id FROM payment_ledger_accounts WHERE merchant_id = $1 "
        "AND livemode = $2 ORDER BY currency",
        {call.auth.merchant_id, call.auth.livemode}, [&](const store::Row& row) {
          const std::string currency(row.get_text(0));
          if (out.empty() || out.back().currency != currency) out.push_back({currency, {}});
          const std::string_view role = row.get_text(1);
          std::string id(row.get_text(2));
          if (role == "balance_pending") {
            out.back().accounts.balance_pending = std::move(id);
          } else if (role == "balance_available") {
            out.back().accounts.balance_available = std::move(id);
          }
        });
  });
  if (!read) return unexpected(read.error());
  return out;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return text;
}

object balance_line(std::int64_t amount, const std::string& currency) {
  object line;
  line["amount"] = amount;
  line["currency"] = lower(currency);
  object source_types;
  source_types["card"] = amount;
  line["source_types"] = std::move(source_types);
  return line;
}

// What the merchant is owed on a liability account: credits - debits.
Expected<std::int64_t, ledger::LedgerError> owed(ledger::Ledger& ledger, const std::string& id) {
  auto balance = ledger.balance(id);
  if (!balance) return unexpected(balance.error());
  const i128 amount = balance->credits_posted - balance->debits_posted;
  if (amount > INT64_MAX || amount < INT64_MIN) {
    return unexpected(ledger::LedgerError{"balance_overflow", "balance exceeds 64 bits", ""});
  }
  return static_cast<std::int64_t>(amount);
}

Reply get_balance(Services& services, Call& call) {
  params::Reader reader(call.params);
  if (auto unknown = reader.finish()) return fail(*unknown);
  auto currencies = merchant_currencies(services.database, call);
  if (!currencies) return unavailable(call, currencies.error().message);
  array available;
  array pending;
  for (const CurrencyAccounts& entry : *currencies) {
    auto free = owed(services.ledger, entry.accounts.balance_available);
    if (!free) return ledger_refused(call, free.error());
    auto held = owed(services.ledger, entry.accounts.balance_pending);
    if (!held) return ledger_refused(call, held.error());
    available.emplace_back(balance_line(*free, entry.currency));
    pending.emplace_back(balance_line(*held, entry.currency));
  }
  if (currencies->empty()) {  // Stripe always lists the default currency
    available.emplace_back(balance_line(0, "usd"));
    pending.emplace_back(balance_line(0, "usd"));
  }
  object body;
  body["object"] = "balance";
  body["available"] = std::move(available);
  body["livemode"] = call.auth.livemode;
  body["pending"] = std::move(pending);
  return ok(std::move(body));
}

constexpr std::string_view kTypes[] = {"charge", "refund"};

Reply list_balance_transactions(Services& services, Call& call) {
  params::Reader reader(call.params);
  ListQuery query;
  if (auto bad = read_list_params(reader, call, "balance_transaction", query)) return fail(*bad);
  auto type = reader.one_of("type", kTypes);
  if (!type) return fail(type.error());
  query.type = type->value_or("");
  auto source = reader.string("source", 255);
  if (!source) return fail(source.error());
  query.parent_id = source->value_or("");
  auto expand = read_expand(reader, "balance_transaction", true);
  if (!expand) return fail(expand.error());
  if (auto unknown = reader.finish()) return fail(*unknown);
  return list_reply(services, call, query, "/v1/balance_transactions", *expand);
}

}  // namespace

void add_balance_routes(api::Router& router, Services& services) {
  add_route(router, services, "GET", "/v1/balance", get_balance);
  add_route(router, services, "GET", "/v1/balance_transactions", list_balance_transactions);
  add_route(router, services, "GET", "/v1/balance_transactions/{id}",
            [](Services& s, Call& c) { return retrieve(s, c, "balance_transaction"); });
}

store::StoreResult<std::size_t> release_available_funds(Services& services, std::size_t limit) {
  const std::int64_t now_seconds = services.clock.now_unix_ms() / 1000;
  std::vector<std::string> due;
  auto read = services.database.read([&](store::Connection& connection)
                                         -> store::StoreResult<void> {
    return connection.query(
        "SELECT id FROM payment_objects WHERE kind = 'balance_transaction' AND status = 'pending' "
        "AND created <= $1 ORDER BY seq LIMIT $2",
        {now_seconds - kFundsAvailabilityDelaySeconds, static_cast<std::int64_t>(limit)},
        [&](const store::Row& row) { due.emplace_back(row.get_text(0)); });
  });
  if (!read) return unexpected(read.error());
  std::size_t released = 0;
  for (const std::string& id : due) {
    // One unit each: every transaction needs its own merchant's accounts, resolved first.
    std::optional<ObjectRow> found;
    auto loaded =
        services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
          auto selected = select_object(connection, id);
          if (!selected) return unexpected(selected.error());
          found = std::move(selected).value();
          return {};
        });
    if (!loaded) return unexpected(loaded.error());
    if (!found) continue;
    auto accounts = services.accounts.get(found->merchant_id, found->livemode,
                                          ledger_currency(text_of(found->body, "currency")));
    if (!accounts) return store::store_fail(store::ErrorKind::other, accounts.error().message);
    bool moved = false;
    auto ran =
        services.ledger.run([&](ledger::GroupTransaction& transaction) -> store::StoreResult<void> {
          moved = false;
          auto current = select_object(transaction.connection(), id);
          if (!current) return unexpected(current.error());
          if (!*current || (*current)->status != "pending" ||
              int_of((*current)->body, "available_on") > now_seconds) {
            return {};  // released meanwhile (another node), or not yet due
          }
          const std::int64_t amount = int_of((*current)->body, "net");
          if (amount > 0) {
            auto posted =
                transaction.post({transfer(accounts->balance_pending, accounts->balance_available,
                                           amount, "funds available " + id)});
            if (!posted) return store::store_fail(store::ErrorKind::other, posted.error().message);
          }
          (*current)->status = "available";
          (*current)->body["status"] = "available";
          moved = true;
          return update_object(transaction.connection(), **current);
        });
    if (!ran) return store::store_fail(store::ErrorKind::other, ran.error().message);
    if (moved) ++released;
  }
  return released;
}

}  // namespace till::payments

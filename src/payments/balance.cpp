// Balance and balance transactions. The balance is read from the ledger: each merchant's
// balance_pending and balance_available accounts per currency (ledger_accounts.h). Funds move
// from pending to available when their balance transaction's available_on comes
// (release_available_funds, run periodically by `till serve`), which announces the new
// balance (balance.available).
#include <algorithm>
#include <iterator>
#include <map>
#include <span>

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

store::StoreResult<std::vector<CurrencyAccounts>> merchant_currencies(
    store::Database& database, const std::string& merchant_id, bool livemode) {
  std::vector<CurrencyAccounts> out;
  auto read = database.read([&](store::Connection& connection) -> store::StoreResult<void> {
    return connection.query(
        "SELECT currency, role, account_id FROM payment_ledger_accounts WHERE merchant_id = $1 "
        "AND livemode = $2 ORDER BY currency",
        {merchant_id, livemode}, [&](const store::Row& row) {
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

// The Balance object of a merchant and mode, as GET /v1/balance answers it.
store::StoreResult<Expected<object, ledger::LedgerError>> read_balance(
    Services& services, const std::string& merchant_id, bool livemode) {
  auto currencies = merchant_currencies(services.database, merchant_id, livemode);
  if (!currencies) return unexpected(currencies.error());
  array available;
  array pending;
  for (const CurrencyAccounts& entry : *currencies) {
    auto free = owed(services.ledger, entry.accounts.balance_available);
    if (!free) return Expected<object, ledger::LedgerError>(unexpected(free.error()));
    auto held = owed(services.ledger, entry.accounts.balance_pending);
    if (!held) return Expected<object, ledger::LedgerError>(unexpected(held.error()));
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
  body["livemode"] = livemode;
  body["pending"] = std::move(pending);
  return Expected<object, ledger::LedgerError>(std::move(body));
}

Reply get_balance(Services& services, Call& call) {
  params::Reader reader(call.params);
  if (auto unknown = reader.finish()) return fail(*unknown);
  auto balance = read_balance(services, call.auth.merchant_id, call.auth.livemode);
  if (!balance) return unavailable(call, balance.error().message);
  if (!*balance) return ledger_refused(call, balance->error());
  return ok(std::move(**balance));
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

namespace {

// Balance transactions released per unit: each unit is short (it stalls every writer while it
// runs) and announces one balance.available.
constexpr std::size_t kReleasesPerUnitMax = 64;

// Due balance transactions of one merchant and mode, read before their unit.
struct DueFunds {
  std::string merchant_id;
  bool livemode = false;
  std::vector<ObjectRow> transactions;
};

// Adds `amount` to the balance line of `currency` (lower case) in `lines`.
void add_to_line(array& lines, const std::string& currency, std::int64_t amount) {
  for (boost::json::value& line : lines) {
    object& fields = line.as_object();
    if (fields.at("currency").as_string() != currency) continue;
    fields["amount"] = fields.at("amount").as_int64() + amount;
    object& source_types = fields["source_types"].as_object();
    source_types["card"] = source_types.at("card").as_int64() + amount;
    return;
  }
  lines.emplace_back(balance_line(amount, currency));
}

// The balance after a unit moved `moved` (per lower-case currency) from pending to available:
// the balance read just before the unit, plus what it moved. A payment committed between that
// read and the unit is not in it; the event is a snapshot, as Stripe's is.
object balance_after(object balance, const std::map<std::string, std::int64_t>& moved) {
  for (const auto& [currency, amount] : moved) {
    add_to_line(balance["available"].as_array(), currency, amount);
    add_to_line(balance["pending"].as_array(), currency, -amount);
  }
  return balance;
}

// Releases `batch` (one merchant and mode) in one unit that announces the balance after it.
// Returns how many it released.
store::StoreResult<std::size_t> release_batch(Services& services, const DueFunds& owner,
                                              std::span<const ObjectRow> batch,
                                              std::int64_t now_seconds) {
  std::map<std::string, MerchantAccounts> accounts;  // by lower-case currency
  for (const ObjectRow& row : batch) {
    const std::string currency = text_of(row.body, "currency");
    if (accounts.contains(currency)) continue;
    auto found =
        services.accounts.get(owner.merchant_id, owner.livemode, ledger_currency(currency));
    if (!found) return store::store_fail(store::ErrorKind::other, found.error().message);
    accounts.emplace(currency, *found);
  }
  auto before = read_balance(services, owner.merchant_id, owner.livemode);
  if (!before) return unexpected(before.error());
  if (!*before) return store::store_fail(store::ErrorKind::other, before->error().message);
  std::map<std::string, std::int64_t> moved;
  std::size_t released = 0;
  auto ran =
      services.ledger.run([&](ledger::GroupTransaction& transaction) -> store::StoreResult<void> {
        moved.clear();
        released = 0;
        Unit unit(transaction, services.clock, EventOrigin{});  // housekeeping: no request
        for (const ObjectRow& row : batch) {
          auto current = select_object(unit.connection(), row.id);
          if (!current) return unexpected(current.error());
          if (!*current || (*current)->status != "pending" ||
              int_of((*current)->body, "available_on") > now_seconds) {
            continue;  // released meanwhile (another node), or not yet due
          }
          const std::string currency = text_of((*current)->body, "currency");
          const std::int64_t amount = int_of((*current)->body, "net");
          if (amount > 0) {
            const MerchantAccounts& to = accounts.at(currency);
            auto posted = unit.post({transfer(to.balance_pending, to.balance_available, amount,
                                              "funds available " + row.id)});
            if (!posted) return store::store_fail(store::ErrorKind::other, posted.error().message);
            moved[currency] += amount;
          }
          (*current)->status = "available";
          (*current)->body["status"] = "available";
          if (auto saved = unit.update(**current); !saved) return saved;
          ++released;
        }
        if (released > 0) {
          events::EventDraft draft;
          draft.type = "balance.available";
          draft.merchant_id = owner.merchant_id;
          draft.livemode = owner.livemode;
          draft.object = balance_after(**before, moved);
          unit.announce(std::move(draft));
        }
        auto announced = unit.write_events();
        if (!announced) return unexpected(announced.error());
        return {};
      });
  if (!ran) return store::store_fail(store::ErrorKind::other, ran.error().message);
  return released;
}

}  // namespace

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
  // By owner: a unit moves one merchant's funds (in one mode), so it announces one balance.
  std::vector<DueFunds> owners;
  auto loaded =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        owners.clear();
        for (const std::string& id : due) {
          auto selected = select_object(connection, id);
          if (!selected) return unexpected(selected.error());
          if (!*selected) continue;
          ObjectRow& row = **selected;
          auto owner = std::find_if(owners.begin(), owners.end(), [&](const DueFunds& funds) {
            return funds.merchant_id == row.merchant_id && funds.livemode == row.livemode;
          });
          if (owner == owners.end()) {
            owners.push_back({row.merchant_id, row.livemode, {}});
            owner = std::prev(owners.end());
          }
          owner->transactions.push_back(std::move(row));
        }
        return {};
      });
  if (!loaded) return unexpected(loaded.error());
  std::size_t released = 0;
  for (const DueFunds& owner : owners) {
    const std::span<const ObjectRow> all(owner.transactions);
    for (std::size_t first = 0; first < all.size(); first += kReleasesPerUnitMax) {
      auto done = release_batch(
          services, owner, all.subspan(first, std::min(kReleasesPerUnitMax, all.size() - first)),
          now_seconds);
      if (!done) return unexpected(done.error());
      released += *done;
    }
  }
  return released;
}

}  // namespace till::payments

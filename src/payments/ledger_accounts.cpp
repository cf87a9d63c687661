#include "payments/ledger_accounts.h"

namespace till::payments {

namespace {

ledger::LedgerError database_failed(const store::StoreError& error) {
  return {"ledger_unavailable", "payment ledger accounts: " + error.message, ""};
}

}  // namespace

store::StoreResult<std::optional<MerchantAccounts>> LedgerAccounts::load(const Key& key) {
  std::optional<MerchantAccounts> found;
  auto read = database_.read([&](store::Connection& connection) -> store::StoreResult<void> {
    MerchantAccounts accounts;
    int roles = 0;
    auto queried = connection.query(
        "SELECT role, account_id FROM payment_ledger_accounts WHERE merchant_id = $1 AND "
        "livemode = $2 AND currency = $3",
        {std::get<0>(key), std::get<1>(key), std::get<2>(key)}, [&](const store::Row& row) {
          const std::string_view role = row.get_text(0);
          std::string id(row.get_text(1));
          if (role == "card_clearing") {
            accounts.card_clearing = std::move(id);
          } else if (role == "balance_pending") {
            accounts.balance_pending = std::move(id);
          } else if (role == "balance_available") {
            accounts.balance_available = std::move(id);
          }
          ++roles;
        });
    if (!queried) return queried;
    if (roles == 3) found = std::move(accounts);
    return {};
  });
  if (!read) return unexpected(read.error());
  return found;
}

ledger::LedgerResult<MerchantAccounts> LedgerAccounts::get(const std::string& merchant_id,
                                                           bool livemode,
                                                           const std::string& currency) {
  const Key key{merchant_id, livemode, currency};
  std::lock_guard lock(mutex_);
  if (auto cached = cache_.find(key); cache_.end() != cached) return cached->second;
  auto stored = load(key);
  if (!stored) return unexpected(database_failed(stored.error()));
  if (*stored) return cache_.emplace(key, **stored).first->second;

  const std::string mode = livemode ? "live" : "test";
  auto spec = [&](ledger::AccountType type, const char* role) {
    ledger::AccountSpec account;
    account.type = type;
    account.currency = currency;
    account.owner = merchant_id;
    account.name = mode + ":" + role;
    return account;
  };
  auto created =
      ledger_.create_accounts({spec(ledger::AccountType::asset, "card_clearing"),
                               spec(ledger::AccountType::liability, "balance_pending"),
                               spec(ledger::AccountType::liability, "balance_available")});
  if (!created) return unexpected(created.error());
  const MerchantAccounts accounts{(*created)[0].id, (*created)[1].id, (*created)[2].id};
  auto saved = database_.transact([&](store::Connection& connection) -> store::StoreResult<void> {
    const std::pair<const char*, const std::string*> roles[] = {
        {"card_clearing", &accounts.card_clearing},
        {"balance_pending", &accounts.balance_pending},
        {"balance_available", &accounts.balance_available}};
    for (const auto& [role, id] : roles) {
      // Another process may have won the race: keep its accounts (ours stay empty forever).
      auto inserted = connection.execute(
          "INSERT INTO payment_ledger_accounts (merchant_id, livemode, currency, role, "
          "account_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
          {merchant_id, livemode, currency, std::string(role), *id});
      if (!inserted) return unexpected(inserted.error());
    }
    return {};
  });
  if (!saved) return unexpected(database_failed(saved.error()));
  auto winner = load(key);
  if (!winner) return unexpected(database_failed(winner.error()));
  if (!*winner) return unexpected(database_failed({store::ErrorKind::other, "accounts vanished"}));
  return cache_.emplace(key, **winner).first->second;
}

}  // namespace till::payments

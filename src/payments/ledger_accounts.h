// payments/ledger_accounts.h — the ledger accounts behind each merchant's money, per mode and
// currency, created on first use and remembered (table payment_ledger_accounts).
//
//   card_clearing      asset      what card processors owe Till for this merchant's captures
//   balance_pending    liability  captured funds owed to the merchant, not yet available
//   balance_available  liability  funds owed to the merchant that it can be paid out
//
// An authorization holds (pending entry) card_clearing → balance_pending; capture posts the
// hold (a partial capture releases the rest); a refund debits the merchant's balance and
// credits card_clearing; funds move balance_pending → balance_available on available_on.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "ledger/ledger.h"
#include "store/store.h"

namespace till::payments {

struct MerchantAccounts {
  std::string card_clearing;
  std::string balance_pending;
  std::string balance_available;
};

class LedgerAccounts {
 public:
  LedgerAccounts(store::Database& database, ledger::Ledger& ledger)
      : database_(database), ledger_(ledger) {}

  // The accounts for (merchant, mode, currency), creating them the first time. `currency` is
  // upper case. Thread-safe; creation is serialised so each set is made once per process,
  // and the table's primary key keeps it once across processes.
  ledger::LedgerResult<MerchantAccounts> get(const std::string& merchant_id, bool livemode,
                                             const std::string& currency);

 private:
  using Key = std::tuple<std::string, bool, std::string>;
  store::StoreResult<std::optional<MerchantAccounts>> load(const Key& key);

  store::Database& database_;
  ledger::Ledger& ledger_;
  std::mutex mutex_;
  std::map<Key, MerchantAccounts> cache_;
};

}  // namespace till::payments

// payments/movements.h — what every money movement shares (internal): its ledger accounts, its
// balance transaction, and small readers for the stored JSON documents.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "ledger/ledger.h"
#include "payments/object_store.h"
#include "payments/service.h"

namespace till::payments {

// Card funds become available to the merchant this long after capture (Stripe's standard
// for US card payments is two business days; Till uses two calendar days).
constexpr std::int64_t kFundsAvailabilityDelaySeconds = 2 * 24 * 60 * 60;
// How long an authorization holds funds before the ledger releases it (card networks).
constexpr std::int64_t kAuthorizationValidityMs = 7LL * 24 * 60 * 60 * 1000;

// A new balance_transaction row (not yet inserted). `amount` is signed (refunds negative);
// fee 0 until pricing exists, so net = amount.
ObjectRow new_balance_transaction(const Call& call, const Clock& clock, std::int64_t amount,
                                  const std::string& currency, std::string_view type,
                                  const std::string& source_id, std::string_view status,
                                  std::int64_t available_on, std::string_view description);

// A two-posting standard entry: debit `from`, credit `to`.
ledger::EntrySpec transfer(const std::string& debit_account, const std::string& credit_account,
                           std::int64_t amount, std::string description);

// The ledger's refusal as a 500 reply (a refusal here is a bug: the handlers check first).
Reply ledger_refused(const Call& call, const ledger::LedgerError& error);

// Readers of stored documents: "" / 0 for null or absent.
std::string text_of(const boost::json::object& object, std::string_view key);
std::int64_t int_of(const boost::json::object& object, std::string_view key);
bool bool_of(const boost::json::object& object, std::string_view key);

// The currency in upper case as the ledger keeps it ("usd" → "USD").
std::string ledger_currency(std::string_view currency);

}  // namespace till::payments

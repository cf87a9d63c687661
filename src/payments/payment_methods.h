// payments/payment_methods.h — card PaymentMethods as other resources use them (internal).
//
// A card PaymentMethod's row keeps in `internal`: {"card_behaviour": "<CardBehaviour name>"}
// (the sandbox outcome its number selects); its `body` is Stripe's payment_method object with
// `card` {brand, last4, exp_month, exp_year, fingerprint, funding, country, ...}. Never the
// number or the CVC.
#pragma once

#include <optional>
#include <string>

#include "payments/object_store.h"
#include "payments/sandbox_card.h"
#include "payments/service.h"

namespace till::payments {

// A new card PaymentMethod row for `card` (not yet inserted), owned by the caller.
ObjectRow card_payment_method(const Call& call, const TestCard& card, const Clock& clock);

// The card a PaymentMethod row stands for (from its body and internal), for authorization.
TestCard card_of(const ObjectRow& payment_method);

// Resolves a `payment_method` parameter inside a unit of work: an id of the caller's
// PaymentMethod, or in test mode one of Stripe's test ids (`pm_card_visa`, `tok_visa`, ...),
// for which a new PaymentMethod is inserted. nullopt when it names nothing.
store::StoreResult<std::optional<ObjectRow>> resolve_payment_method(Unit& unit, const Call& call,
                                                                    const Clock& clock,
                                                                    const std::string& id,
                                                                    const vault::Vault* vault);

}  // namespace till::payments

// payments/intent_flow.h — the pieces of confirming a PaymentIntent that the in-process
// sandbox path (payment_intents.cpp) and the processor-routed path (routed_confirmation.cpp)
// share (internal to payments).
//
// Confirming is planned, then applied: `plan_confirm_with` turns a processor's answer into
// the rows and ledger entry it implies (pure, no database), and `apply_confirm` writes them
// inside a unit of work. The sandbox path gets its answer in-process and plans before the
// unit; the routed path gets it over the network between units (orchestration.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "payments/ledger_accounts.h"
#include "payments/object_store.h"
#include "payments/sandbox_card.h"
#include "payments/service.h"
#include "payments/state_machine.h"
#include "payments/unit.h"

namespace till::payments {

// What confirming an intent does, decided without the database: the processor's answer, the
// charge, the balance transaction, the ledger entry and the reply.
struct ConfirmPlan {
  ObjectRow intent;  // as it will be stored
  std::optional<ObjectRow> charge;
  std::optional<ObjectRow> balance_transaction;
  std::optional<ledger::EntrySpec> entry;
  bool hold = false;             // the entry is an authorization hold (manual capture)
  std::optional<Reply> refusal;  // answered instead of the intent (decline, live mode)
};

IntentStatus status_of(const ObjectRow& intent);
void set_status(ObjectRow& intent, IntentStatus status);
bool manual_capture(const ObjectRow& intent);
// The error that carries the intent, as Stripe's do.
Reply state_error(const ObjectRow& intent, IntentAction action);

// The charge for one authorization attempt.
ObjectRow new_charge(const Call& call, const Clock& clock, const ObjectRow& intent,
                     const ObjectRow& payment_method, const AuthorizationResult& result);

// The caller's intent `id`, read inside the unit, when its status allows `action`; otherwise
// the reply to give instead (404, or the state error that carries the intent).
store::StoreResult<Expected<ObjectRow, Reply>> intent_for(Unit& unit, const Call& call,
                                                          const std::string& id,
                                                          IntentAction action);
// The intent as the API shows it, with `expand` applied.
store::StoreResult<Reply> intent_reply(Unit& unit, const Call& call, const ObjectRow& intent,
                                       const std::vector<std::string>& expand);

// Serialises a row's body now, outside the unit of work, when it will not change again.
void freeze(ObjectRow& row);

// The in-process sandbox's plan (test mode; a live key is refused, writing nothing).
ConfirmPlan plan_confirm(Services& services, const Call& call, ObjectRow intent,
                         const ObjectRow& payment_method, const MerchantAccounts& accounts);
// The plan for a processor's answer `result` to authorizing `intent` with `payment_method`.
ConfirmPlan plan_confirm_with(Services& services, const Call& call, ObjectRow intent,
                              const ObjectRow& payment_method, const MerchantAccounts& accounts,
                              const AuthorizationResult& result);

// Carries out a plan inside the unit: posts its entry, writes its rows (the intent inserted
// when `intent_is_new`, else updated), and answers. Leaves the plan as it was, because the
// unit runs again if the store retries the group. `prepared`: the new rows' events, made
// with the plan.
store::StoreResult<Reply> apply_confirm(Unit& unit, const Call& call, const ConfirmPlan& plan,
                                        bool intent_is_new, const std::vector<std::string>& expand,
                                        const ObjectRow* new_payment_method = nullptr,
                                        const PreparedEvents* prepared = nullptr);

// The ledger accounts of a currency, before the unit (they may need creating).
Expected<MerchantAccounts, Reply> accounts_for(Services& services, const Call& call,
                                               const std::string& currency);

}  // namespace till::payments

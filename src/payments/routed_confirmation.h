// payments/routed_confirmation.h — confirming a PaymentIntent through processors (internal).
//
// The sandbox path decides a confirmation in-process and writes it in one unit of work. A
// processor is across a network, so a routed confirmation is a sequence of units with calls
// between them, arranged so that no crash, timeout or lost answer can charge a customer twice:
//
//   unit 1   the intent (inserted or updated, marked with the attempt in flight) and attempt 1,
//            `pending`; the request's idempotency key is claimed and stays open. Committed
//            before the processor hears anything.
//   call     authorize with the attempt id as the processor's idempotency key.
//            No answer (timeout, dropped connection, 5xx): ask the processor what happened
//            under that key (`resolve`), which also closes the key if nothing did.
//   unit 2   the attempt's outcome, by compare-and-set on its status:
//              approved                → charge, ledger entry, intent succeeded or
//                                        requires_capture; the answer stored under the key;
//              hard decline            → failed charge, intent requires_payment_method, 402;
//              soft decline or
//              confirmed not processed → (failed charge for a decline) and, while candidates
//                                        and attempts remain, attempt n+1 `pending` in the
//                                        same unit, then its call;
//              still unknown           → attempt `unknown`, intent `processing`, answered
//                                        200; the processor sync (processor_sync.h) resolves
//                                        it later and only a processor-confirmed failure
//                                        frees the intent for another try.
//
// A crash between units leaves a `pending` attempt and an open key: the sync resolves the
// attempt once its caller must have given up, finishes the intent and stores the answer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "payments/attempts.h"
#include "payments/intent_flow.h"
#include "payments/orchestration.h"

namespace till::payments {

// What unit 1 started, for the rest of the request.
struct RoutedStart {
  std::shared_ptr<const RoutingSetup> setup;
  std::vector<std::string> candidates;       // connector account ids, in order
  std::size_t position = 0;                  // the candidate of `attempt`
  Attempt attempt;                           // written pending
  std::vector<std::string> rate_dimensions;  // the payment's success-rate dimension values
};

// Inside unit 1: routes the payment, writes `intent` (inserted when `intent_is_new`, else
// updated) marked with its first attempt, and the attempt. Returns the reply to give instead
// when the payment cannot start (needs 3-D Secure first, no processor available); otherwise
// sets `started` and returns a reply that keeps the idempotency key open.
store::StoreResult<Reply> begin_routed_confirmation(
    Unit& unit, Services& services, const Call& call,
    const std::shared_ptr<const RoutingSetup>& setup, ObjectRow intent, bool intent_is_new,
    const ObjectRow& payment_method, const MerchantAccounts& accounts,
    const std::vector<std::string>& expand, std::optional<RoutedStart>& started,
    const ObjectRow* new_payment_method = nullptr);

// After unit 1 committed: the calls and the units that follow, until a final answer.
Reply continue_routed_confirmation(Services& services, Call& call, RoutedStart& started,
                                   const MerchantAccounts& accounts,
                                   const std::vector<std::string>& expand);

// An attempt's outcome applied to its intent in a unit: what the sync and processor webhooks
// use (no failover: a confirmed failure leaves the intent requires_payment_method). A still
// unknown `result` schedules the next sync. Returns the reply for the request that started
// it, or nullopt when nothing was settled (already final, or still unknown). `accounts`: the
// ledger accounts of the intent's currency, got before the unit.
store::StoreResult<std::optional<Reply>> settle_attempt_outcome(
    Unit& unit, Services& services, const Call& call, const Attempt& attempt,
    const connectors::ProcessorResult& result, const MerchantAccounts& accounts);

// Whether an intent is waiting for a processor's answer (no other change may start).
bool attempt_in_flight(const ObjectRow& intent);

}  // namespace till::payments

// payments/processor_followups.h — capture, void and refund at the processor of a routed
// charge (internal to payments).
//
// A charge made through a processor (routed_confirmation.h) is captured, voided or refunded
// there before Till records it, and the processor is the point where racing requests are
// ordered: two refunds that together exceed the charge cannot both be accepted there, a void
// after a capture is refused there. Each call carries an idempotency key derived from the
// charge and the request (its Idempotency-Key when it has one), so a client's retry after a
// lost answer repeats the same call and the processor answers it once. An unanswered call is
// reported as a 503 to retry; nothing is recorded until the processor has said yes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "payments/object_store.h"
#include "payments/service.h"

namespace till::payments {

enum class FollowUp : std::uint8_t { capture, void_authorization, refund };

// Carries out `operation` for `amount` of `charge` at its processor. nullopt: go on and
// record it (the processor accepted, or the charge is the in-process sandbox's). Otherwise
// the reply to give instead (the processor refused: 402; it could not be reached or did not
// answer: 503, safe to retry with the same Idempotency-Key).
std::optional<Reply> follow_up_at_processor(Services& services, const Call& call,
                                            const ObjectRow& charge, FollowUp operation,
                                            std::int64_t amount);

// Whether a charge was made through a processor (and so must be followed up there).
bool routed_charge(const ObjectRow& charge);

}  // namespace till::payments

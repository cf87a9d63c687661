#include "events/catalog.h"

#include <algorithm>
#include <array>

namespace till::events {

namespace {

// Sorted (binary search below).
constexpr std::array<std::string_view, 22> kEventTypes = {
    "balance.available",
    "charge.captured",
    "charge.failed",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "payment_intent.amount_capturable_updated",
    "payment_intent.canceled",
    "payment_intent.created",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_method.attached",
    "payment_method.detached",
    "payment_method.updated",
    "refund.created",
    "refund.failed",
    "refund.updated",
};

}  // namespace

std::span<const std::string_view> event_types() { return kEventTypes; }

bool is_event_type(std::string_view type) {
  return std::binary_search(kEventTypes.begin(), kEventTypes.end(), type);
}

bool subscribed(const std::vector<std::string>& enabled_events, std::string_view type) {
  return std::any_of(enabled_events.begin(), enabled_events.end(),
                     [&](const std::string& wanted) { return wanted == "*" || wanted == type; });
}

}  // namespace till::events

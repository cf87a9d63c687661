// events/catalog.h — the event types Till announces and which endpoints want which.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace till::events {

// The API version Till's objects follow (the one the pinned official SDKs speak); every event
// carries it as `api_version`.
constexpr std::string_view kApiVersion = "2026-10-28.endive";

// Every type Till emits, sorted. `enabled_events` accepts these and "*".
std::span<const std::string_view> event_types();
bool is_event_type(std::string_view type);

// Whether an endpoint subscribed to `enabled_events` receives an event of `type`.
bool subscribed(const std::vector<std::string>& enabled_events, std::string_view type);

}  // namespace till::events

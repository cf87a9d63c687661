// sandbox_psp/formats.h — how the processor's objects look on each wire: the JSON
// authorization, the ISO-8583-style fields, error bodies and webhook notifications.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "sandbox_psp/books.h"
#include "sandbox_psp/sandbox_psp.h"

namespace till::sandbox_psp {

constexpr std::int64_t kAmountMax = 1'000'000'000'000;  // 10^12 minor units
constexpr std::size_t kIsoAmountDigits = 12;

// `{"error": {"code", "message"[, "param"]}}`, both wires.
std::string error_body(std::string_view code, std::string_view message,
                       std::string_view param = {});

// The JSON wire's authorization object (docs/sandbox-psp.md).
boost::json::object authorization_json(const Authorization& a);

// An amount as ISO field 4: 12 digits, zero-padded.
std::string iso_amount(std::int64_t amount);

// The ISO wire's view of an authorization: 4, 37, 38 (approved), 39, 44, 49, status,
// message_id, captured_amount, refunded_amount. Answers add mti, 11 and what they echo.
boost::json::object iso_transaction_fields(const Authorization& a);

// The event type of an authorization's current state: authorization.authorized, .captured,
// .declined, .voided, .refunded (also for a partial refund).
std::string event_type(const Authorization& a);

// A webhook notification body in the instance's wire format.
std::string webhook_body(Wire wire, const std::string& event_id, const std::string& type,
                         const Authorization& a, std::int64_t created_unix_s);

}  // namespace till::sandbox_psp

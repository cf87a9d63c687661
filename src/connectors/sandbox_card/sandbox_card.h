// connectors/sandbox_card/sandbox_card.h — an in-process card processor: no network, no
// credentials. The zero-config default of `till serve` and the processor of unit tests.
//
// Outcomes follow the test-card table of docs/sandbox-psp.md (the same cards `till
// sandbox-psp` knows), so a payment behaves the same in process and across the network:
// Luhn-invalid → incorrect_number, an expiry in the past → expired_card, the listed numbers →
// their declines, 4000002500003155 → authentication_required unless authenticated, anything
// else approved.
//
// It keeps a processor's books in memory, per account id and shared by every connector object
// for that account: idempotency (the same key replays the first answer), capture, void and
// refund with their state rules, and inquiries that close a key (resolve). The books do not
// survive a restart, so a follow-up naming a well-formed sandbox reference the books do not
// hold is approved rather than refused: Till's own ledger is the record that outlives the
// process.
#pragma once

#include <memory>
#include <string_view>

#include "base/clock.h"
#include "connectors/connector.h"
#include "connectors/declines.h"

namespace till::connectors::sandbox_card {

inline constexpr std::string_view kName = "sandbox_card";
inline constexpr std::string_view kReferencePrefix = "sbx_";
// Keys (and their answers) remembered per account; the oldest are forgotten beyond it.
inline constexpr std::size_t kBookKeysMax = 100'000;

std::unique_ptr<Connector> make(const AccountConfig& account,
                                const Clock& clock = SystemClock::instance());

// The card table: nullptr when the card is approved, else its decline.
const DeclineRule* decline_for(const Card& card, int now_year, int now_month);

}  // namespace till::connectors::sandbox_card

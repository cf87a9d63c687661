// The card_vault table: one sealed card per payment method, and key rotation.
#include <algorithm>
#include <cassert>
#include <charconv>

#include "obs/log.h"
#include "vault/internal.h"
#include "vault/vault.h"

namespace till::vault {

namespace {

using store::Connection;
using store::ErrorKind;
using store::Row;
using store::StoreResult;

constexpr std::size_t kCardNumberDigitsMin = 12;
constexpr std::size_t kCardNumberDigitsMax = 19;  // ISO/IEC 7812
constexpr int kExpYearMin = 1000;
constexpr int kExpYearMax = 9999;
// The plaintext of a sealed card: "c1:<digits>:<month>:<year>". A fixed text form rather than
// JSON so every copy of it is a string this file can wipe.
constexpr std::string_view kCardFormat = "c1:";

// What a card's seal is bound to: its row. The merchant id's length comes first, so no two
// (merchant, payment method) pairs give the same text.
std::string card_associated_data(std::string_view merchant_id, std::string_view payment_method_id) {
  return "card_vault:" + std::to_string(merchant_id.size()) + ":" + std::string(merchant_id) + ":" +
         std::string(payment_method_id);
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_card(const CardSecret& card) {
  return card.number.size() >= kCardNumberDigitsMin && card.number.size() <= kCardNumberDigitsMax &&
         all_digits(card.number) && card.exp_month >= 1 && card.exp_month <= 12 &&
         card.exp_year >= kExpYearMin && card.exp_year <= kExpYearMax;
}

std::string card_plaintext(const CardSecret& card) {
  std::string text;
  text.reserve(kCardFormat.size() + card.number.size() + 8);
  text += kCardFormat;
  text += card.number;
  text += ':';
  text += std::to_string(card.exp_month);
  text += ':';
  text += std::to_string(card.exp_year);
  return text;
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<CardSecret> parse_card(std::string_view text) {
  if (!text.starts_with(kCardFormat)) return std::nullopt;
  text.remove_prefix(kCardFormat.size());
  const std::size_t first = text.find(':');
  const std::size_t second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto month = parse_int(text.substr(first + 1, second - first - 1));
  const auto year = parse_int(text.substr(second + 1));
  if (!month || !year) return std::nullopt;
  CardSecret card;
  card.number = std::string(text.substr(0, first));
  card.exp_month = *month;
  card.exp_year = *year;
  if (!valid_card(card)) {
    detail::wipe(card.number);
    return std::nullopt;
  }
  return card;
}

struct VaultRow {
  std::string payment_method_id;
  std::string merchant_id;
  std::string sealed;
};

struct Failure {
  std::string payment_method_id;
  std::string key_id;
  std::string reason;  // the open() error code
};

struct BatchOutcome {
  std::size_t rows = 0;
  std::string last_id;
  std::int64_t rewrapped = 0;
  std::int64_t raced = 0;  // changed by someone else between our read and our write
  std::vector<Failure> failures;
};

// One batch in one transaction: the next `limit` rows after `cursor` that are not under the
// active key, each opened and sealed again. The UPDATE changes a row only if it still holds
// the text we opened, so a concurrent rotation (or anything else) is never overwritten.
StoreResult<void> rotate_batch(Connection& connection, const Vault& vault,
                               const std::string& cursor, std::size_t limit, std::int64_t now_ms,
                               BatchOutcome& outcome) {
  outcome = BatchOutcome{};
  std::vector<VaultRow> rows;
  auto queried = connection.query(
      "SELECT payment_method_id, merchant_id, sealed_card FROM card_vault "
      "WHERE payment_method_id > $1 AND key_id <> $2 ORDER BY payment_method_id LIMIT $3",
      {cursor, vault.active_key_id(), static_cast<std::int64_t>(limit)}, [&](const Row& row) {
        rows.push_back(
            VaultRow{row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2)});
      });
  if (!queried) return unexpected(queried.error());
  outcome.rows = rows.size();
  if (!rows.empty()) outcome.last_id = rows.back().payment_method_id;
  for (const VaultRow& row : rows) {
    const std::string associated_data =
        card_associated_data(row.merchant_id, row.payment_method_id);
    auto opened = vault.open(row.sealed, associated_data);
    if (!opened) {
      outcome.failures.push_back(Failure{
          row.payment_method_id, std::string(Vault::key_id_of(row.sealed)), opened.error().code});
      continue;
    }
    std::string plaintext = std::move(opened).value();
    const std::string resealed = vault.seal(plaintext, associated_data);
    detail::wipe(plaintext);
    auto updated = connection.execute(
        "UPDATE card_vault SET sealed_card = $1, key_id = $2, rotated_at_unix_ms = $3 "
        "WHERE payment_method_id = $4 AND sealed_card = $5",
        {resealed, vault.active_key_id(), now_ms, row.payment_method_id, row.sealed});
    if (!updated) return unexpected(updated.error());
    (*updated == 1 ? outcome.rewrapped : outcome.raced)++;
  }
  return {};
}

}  // namespace

StoreResult<void> store_card(Connection& connection, const Vault& vault,
                             std::string_view merchant_id, std::string_view payment_method_id,
                             const CardSecret& card, std::int64_t now_unix_ms) {
  assert(!merchant_id.empty() && !payment_method_id.empty());
  if (!valid_card(card)) {
    // Never the number itself: this message may reach a log.
    return store::store_fail(ErrorKind::invalid_argument,
                             "card for " + std::string(payment_method_id) +
                                 " is not 12-19 digits with expiry month 1-12 and a four-digit "
                                 "year");
  }
  std::string plaintext = card_plaintext(card);
  const std::string sealed =
      vault.seal(plaintext, card_associated_data(merchant_id, payment_method_id));
  detail::wipe(plaintext);
  auto inserted = connection.execute(
      "INSERT INTO card_vault (payment_method_id, merchant_id, sealed_card, key_id, "
      "created_at_unix_ms) VALUES ($1, $2, $3, $4, $5)",
      {std::string(payment_method_id), std::string(merchant_id), sealed, vault.active_key_id(),
       now_unix_ms});
  if (!inserted) return unexpected(inserted.error());
  return {};
}

StoreResult<std::optional<CardSecret>> load_card(Connection& connection, const Vault& vault,
                                                 std::string_view merchant_id,
                                                 std::string_view payment_method_id) {
  auto sealed = connection.query_one<std::string>(
      "SELECT sealed_card FROM card_vault WHERE payment_method_id = $1 AND merchant_id = $2",
      {std::string(payment_method_id), std::string(merchant_id)});
  if (!sealed) return unexpected(sealed.error());
  if (!*sealed) return std::optional<CardSecret>();
  auto opened = vault.open(**sealed, card_associated_data(merchant_id, payment_method_id));
  if (!opened) {
    return store::store_fail(ErrorKind::other, "vaulted card " + std::string(payment_method_id) +
                                                   " cannot be opened: " + opened.error().message);
  }
  std::string plaintext = std::move(opened).value();
  std::optional<CardSecret> card = parse_card(plaintext);
  detail::wipe(plaintext);
  if (!card) {
    return store::store_fail(ErrorKind::other, "vaulted card " + std::string(payment_method_id) +
                                                   " opened but is not a card");
  }
  return card;
}

StoreResult<bool> erase_card(Connection& connection, std::string_view merchant_id,
                             std::string_view payment_method_id) {
  auto deleted =
      connection.execute("DELETE FROM card_vault WHERE payment_method_id = $1 AND merchant_id = $2",
                         {std::string(payment_method_id), std::string(merchant_id)});
  if (!deleted) return unexpected(deleted.error());
  return *deleted > 0;
}

StoreResult<RotationReport> rotate_keys(store::Database& database, const Vault& vault,
                                        std::size_t batch_size, const Clock& clock) {
  if (batch_size == 0 || batch_size > kRotationBatchMax) {
    return store::store_fail(ErrorKind::invalid_argument, "rotation batch size must be 1 to " +
                                                              std::to_string(kRotationBatchMax) +
                                                              ", got " +
                                                              std::to_string(batch_size));
  }
  RotationReport report;
  auto counted = database.read([&](Connection& connection) -> StoreResult<void> {
    auto count = connection.query_one<std::int64_t>(
        "SELECT COUNT(*) FROM card_vault WHERE key_id = $1", {vault.active_key_id()});
    if (!count) return unexpected(count.error());
    report.already_current = count->value_or(0);
    return {};
  });
  if (!counted) return unexpected(counted.error());

  // The cursor walks the primary key once, so the run ends even when rows fail (they stay
  // behind it) and each batch reads only the rows it handles.
  std::string cursor;
  while (true) {
    BatchOutcome outcome;
    auto done = database.transact([&](Connection& connection) {
      return rotate_batch(connection, vault, cursor, batch_size, clock.now_unix_ms(), outcome);
    });
    if (!done) return unexpected(done.error());
    report.rewrapped += outcome.rewrapped;
    report.already_current += outcome.raced;
    report.failed += static_cast<std::int64_t>(outcome.failures.size());
    for (const Failure& failure : outcome.failures) {
      obs::warn("vault: card cannot be opened to re-encrypt; left as it was",
                {{"payment_method_id", failure.payment_method_id},
                 {"key_id", failure.key_id},
                 {"reason", failure.reason}});
    }
    if (outcome.rows < batch_size) break;
    cursor = outcome.last_id;
  }
  return report;
}

}  // namespace till::vault

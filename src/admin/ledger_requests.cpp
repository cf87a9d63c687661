#include "admin/ledger_requests.h"

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <optional>
#include <span>

#include "ledger/amount_text.h"

namespace till::admin {

namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

constexpr std::string_view kAmountExpected =
    "an integer amount in minor units, as a string such as \"1234\" (or a JSON integer)";

constexpr std::array<std::string_view, 6> kAccountFields = {"type", "currency", "owner",
                                                            "name", "flags",    "metadata"};
constexpr std::array<std::string_view, 9> kEntryFields = {"kind",
                                                          "postings",
                                                          "pending_entry_id",
                                                          "post_amount",
                                                          "reverses_entry_id",
                                                          "expires_at_unix_ms",
                                                          "idempotency_key",
                                                          "description",
                                                          "metadata"};
constexpr std::array<std::string_view, 3> kPostingFields = {"account_id", "side", "amount"};
constexpr std::array<std::string_view, 1> kBatchFields = {"entries"};

struct FlagName {
  std::string_view name;
  std::uint32_t flag;
};
constexpr std::array<FlagName, 2> kFlagNames = {{
    {"debits_must_not_exceed_credits", ledger::kDebitsMustNotExceedCredits},
    {"credits_must_not_exceed_debits", ledger::kCreditsMustNotExceedDebits},
}};

// Every kind a caller can name; expire_pending is read too, so the ledger (which owns the
// rule) answers kind_invalid for it rather than this layer guessing.
constexpr std::array<ledger::EntryKind, 6> kEntryKinds = {
    ledger::EntryKind::standard,     ledger::EntryKind::pending,
    ledger::EntryKind::post_pending, ledger::EntryKind::void_pending,
    ledger::EntryKind::reversal,     ledger::EntryKind::expire_pending};

std::string indexed(std::string_view name, std::size_t index) {
  return std::string(name) + "[" + std::to_string(index) + "]";
}

ApiResult<void> only_fields(const object& fields, std::span<const std::string_view> allowed,
                            const std::string& prefix) {
  for (const auto& field : fields) {
    bool known = false;
    for (std::string_view name : allowed) known = known || field.key() == name;
    if (!known) return unexpected(parameter_unknown(prefix + std::string(field.key())));
  }
  return {};
}

// The value of `key`, or nullptr when it is absent or null.
const value* find_field(const object& fields, std::string_view key) {
  const value* found = fields.if_contains(key);
  return found == nullptr || found->is_null() ? nullptr : found;
}

ApiResult<std::optional<std::string>> optional_string(const object& fields, std::string_view key,
                                                      const std::string& prefix) {
  const value* found = find_field(fields, key);
  if (found == nullptr) return std::optional<std::string>();
  if (!found->is_string())
    return unexpected(parameter_invalid(prefix + std::string(key), "a string"));
  return std::optional<std::string>(std::string(found->get_string()));
}

ApiResult<std::string> required_string(const object& fields, std::string_view key,
                                       const std::string& prefix) {
  auto text = optional_string(fields, key, prefix);
  if (!text) return unexpected(std::move(text).error());
  if (!*text) return unexpected(parameter_missing(prefix + std::string(key)));
  return std::move(**text);
}

ApiResult<ledger::Metadata> read_metadata(const object& fields, const std::string& prefix) {
  ledger::Metadata metadata;
  const value* found = find_field(fields, "metadata");
  if (found == nullptr) return metadata;
  const std::string param = prefix + "metadata";
  if (!found->is_object()) {
    return unexpected(parameter_invalid(param, "an object of string keys and string values"));
  }
  for (const auto& [key, item] : found->get_object()) {
    const std::string item_param = param + "[" + std::string(key) + "]";
    if (!item.is_string()) return unexpected(parameter_invalid(item_param, "a string"));
    metadata[std::string(key)] = std::string(item.get_string());
  }
  return metadata;
}

ApiResult<std::optional<std::int64_t>> optional_int64(const object& fields, std::string_view key,
                                                      const std::string& prefix,
                                                      std::string_view expected) {
  const value* found = find_field(fields, key);
  if (found == nullptr) return std::optional<std::int64_t>();
  if (!found->is_int64()) {
    return unexpected(parameter_invalid_integer(prefix + std::string(key), expected));
  }
  return std::optional<std::int64_t>(found->get_int64());
}

ApiResult<std::optional<i128>> optional_amount(const object& fields, std::string_view key,
                                               const std::string& prefix) {
  const value* found = find_field(fields, key);
  if (found == nullptr) return std::optional<i128>();
  auto amount = read_amount(*found, prefix + std::string(key));
  if (!amount) return unexpected(std::move(amount).error());
  return std::optional<i128>(*amount);
}

ApiResult<ledger::Side> read_side(const object& fields, const std::string& prefix) {
  auto name = required_string(fields, "side", prefix);
  if (!name) return unexpected(std::move(name).error());
  if (*name == "debit") return ledger::Side::debit;
  if (*name == "credit") return ledger::Side::credit;
  return unexpected(parameter_invalid(prefix + "side", "\"debit\" or \"credit\""));
}

ApiResult<ledger::PostingSpec> read_posting(const value& item, const std::string& param) {
  if (!item.is_object()) {
    return unexpected(parameter_invalid(param, "a posting object {account_id, side, amount}"));
  }
  const object& fields = item.get_object();
  const std::string prefix = param + ".";
  if (auto known = only_fields(fields, kPostingFields, prefix); !known) {
    return unexpected(std::move(known).error());
  }
  auto account_id = required_string(fields, "account_id", prefix);
  if (!account_id) return unexpected(std::move(account_id).error());
  auto side = read_side(fields, prefix);
  if (!side) return unexpected(std::move(side).error());
  const value* amount_value = find_field(fields, "amount");
  if (amount_value == nullptr) return unexpected(parameter_missing(prefix + "amount"));
  auto amount = read_amount(*amount_value, prefix + "amount");
  if (!amount) return unexpected(std::move(amount).error());
  return ledger::PostingSpec{std::move(*account_id), *side, *amount};
}

ApiResult<std::vector<ledger::PostingSpec>> read_postings(const object& fields,
                                                          const std::string& prefix) {
  std::vector<ledger::PostingSpec> postings;
  const value* found = find_field(fields, "postings");
  if (found == nullptr) return postings;
  const std::string param = prefix + "postings";
  if (!found->is_array()) return unexpected(parameter_invalid(param, "an array of postings"));
  const array& items = found->get_array();
  postings.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto posting = read_posting(items[i], indexed(param, i));
    if (!posting) return unexpected(std::move(posting).error());
    postings.push_back(std::move(*posting));
  }
  return postings;
}

ApiResult<ledger::EntryKind> read_kind(const object& fields, const std::string& prefix) {
  auto name = optional_string(fields, "kind", prefix);
  if (!name) return unexpected(std::move(name).error());
  if (!*name) return ledger::EntryKind::standard;
  for (ledger::EntryKind kind : kEntryKinds) {
    if (**name == ledger::to_string(kind)) return kind;
  }
  return unexpected(parameter_invalid(prefix + "kind",
                                      "standard, pending, post_pending, void_pending or reversal"));
}

// The entry's optional text fields, in one place so read_entry stays short.
ApiResult<void> read_entry_texts(const object& fields, const std::string& prefix,
                                 ledger::EntrySpec& spec) {
  const std::array<std::pair<std::string_view, std::string*>, 4> texts = {{
      {"pending_entry_id", &spec.pending_entry_id},
      {"reverses_entry_id", &spec.reverses_entry_id},
      {"idempotency_key", &spec.idempotency_key},
      {"description", &spec.description},
  }};
  for (const auto& [key, target] : texts) {
    auto text = optional_string(fields, key, prefix);
    if (!text) return unexpected(std::move(text).error());
    if (*text) *target = std::move(**text);
  }
  return {};
}

ApiResult<std::uint32_t> read_flags(const object& fields) {
  std::uint32_t flags = 0;
  const value* found = find_field(fields, "flags");
  if (found == nullptr) return flags;
  constexpr std::string_view expected =
      "\"debits_must_not_exceed_credits\" or \"credits_must_not_exceed_debits\"";
  if (!found->is_array()) return unexpected(parameter_invalid("flags", "an array of flag names"));
  const array& names = found->get_array();
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::uint32_t flag = 0;
    for (const FlagName& known : kFlagNames) {
      if (names[i].is_string() && names[i].get_string() == known.name) flag = known.flag;
    }
    if (flag == 0) return unexpected(parameter_invalid(indexed("flags", i), expected));
    flags |= flag;
  }
  return flags;
}

ApiResult<ledger::AccountType> read_account_type(const object& fields) {
  auto name = required_string(fields, "type", "");
  if (!name) return unexpected(std::move(name).error());
  const std::optional<ledger::AccountType> type = ledger::parse_account_type(*name);
  if (!type) {
    return unexpected(parameter_invalid("type", "asset, liability, equity, revenue or expense"));
  }
  return *type;
}

}  // namespace

ApiResult<object> parse_json_object(std::string_view body) {
  boost::json::parse_options options;
  options.max_depth = kJsonDepthMax;
  boost::system::error_code error;
  value parsed = boost::json::parse(body, error, {}, options);
  if (error) return unexpected(json_invalid(error.message()));
  if (!parsed.is_object()) return unexpected(json_invalid("the body must be a JSON object"));
  return std::move(parsed.get_object());
}

ApiResult<i128> read_amount(const value& amount, const std::string& param) {
  if (amount.is_string()) {
    const std::optional<i128> parsed = ledger::parse_i128(amount.get_string());
    if (!parsed) return unexpected(parameter_invalid_integer(param, kAmountExpected));
    return *parsed;
  }
  if (amount.is_int64()) return static_cast<i128>(amount.get_int64());
  if (amount.is_uint64()) return static_cast<i128>(amount.get_uint64());
  // Doubles included: 12.5 is not an amount, and 1e20 may already have lost digits.
  return unexpected(parameter_invalid_integer(param, kAmountExpected));
}

ApiResult<ledger::EntrySpec> read_entry(const value& entry, const std::string& prefix) {
  if (!entry.is_object()) {
    const std::string param = prefix.empty() ? "entry" : prefix.substr(0, prefix.size() - 1);
    return unexpected(parameter_invalid(param, "an entry object"));
  }
  const object& fields = entry.get_object();
  if (auto known = only_fields(fields, kEntryFields, prefix); !known) {
    return unexpected(std::move(known).error());
  }
  ledger::EntrySpec spec;
  auto kind = read_kind(fields, prefix);
  if (!kind) return unexpected(std::move(kind).error());
  spec.kind = *kind;
  auto postings = read_postings(fields, prefix);
  if (!postings) return unexpected(std::move(postings).error());
  spec.postings = std::move(*postings);
  if (auto texts = read_entry_texts(fields, prefix, spec); !texts) {
    return unexpected(std::move(texts).error());
  }
  auto post_amount = optional_amount(fields, "post_amount", prefix);
  if (!post_amount) return unexpected(std::move(post_amount).error());
  spec.post_amount = *post_amount;
  auto expires =
      optional_int64(fields, "expires_at_unix_ms", prefix, "an integer: Unix time in milliseconds");
  if (!expires) return unexpected(std::move(expires).error());
  spec.expires_at_unix_ms = *expires;
  auto metadata = read_metadata(fields, prefix);
  if (!metadata) return unexpected(std::move(metadata).error());
  spec.metadata = std::move(*metadata);
  return spec;
}

ApiResult<ledger::EntrySpec> parse_entry_request(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed) return unexpected(std::move(parsed).error());
  return read_entry(value(std::move(*parsed)), "");
}

ApiResult<std::vector<ledger::EntrySpec>> parse_batch_request(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed) return unexpected(std::move(parsed).error());
  if (auto known = only_fields(*parsed, kBatchFields, ""); !known) {
    return unexpected(std::move(known).error());
  }
  const value* found = find_field(*parsed, "entries");
  if (found == nullptr) return unexpected(parameter_missing("entries"));
  if (!found->is_array()) return unexpected(parameter_invalid("entries", "an array of entries"));
  const array& items = found->get_array();
  std::vector<ledger::EntrySpec> specs;
  specs.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto spec = read_entry(items[i], indexed("entries", i) + ".");
    if (!spec) return unexpected(std::move(spec).error());
    specs.push_back(std::move(*spec));
  }
  return specs;
}

ApiResult<ledger::AccountSpec> parse_account_request(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed) return unexpected(std::move(parsed).error());
  const object& fields = *parsed;
  if (auto known = only_fields(fields, kAccountFields, ""); !known) {
    return unexpected(std::move(known).error());
  }
  ledger::AccountSpec spec;
  auto type = read_account_type(fields);
  if (!type) return unexpected(std::move(type).error());
  spec.type = *type;
  auto currency = required_string(fields, "currency", "");
  if (!currency) return unexpected(std::move(currency).error());
  spec.currency = std::move(*currency);
  auto owner = required_string(fields, "owner", "");
  if (!owner) return unexpected(std::move(owner).error());
  spec.owner = std::move(*owner);
  auto name = optional_string(fields, "name", "");
  if (!name) return unexpected(std::move(name).error());
  spec.name = name->value_or("");
  auto flags = read_flags(fields);
  if (!flags) return unexpected(std::move(flags).error());
  spec.flags = *flags;
  auto metadata = read_metadata(fields, "");
  if (!metadata) return unexpected(std::move(metadata).error());
  spec.metadata = std::move(*metadata);
  return spec;
}

}  // namespace till::admin

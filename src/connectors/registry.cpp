#include "connectors/registry.h"

#include <array>

#include "connectors/psp_iso8583/psp_iso8583.h"
#include "connectors/psp_json/psp_json.h"
#include "connectors/sandbox_card/sandbox_card.h"

namespace till::connectors {

namespace {

using Factory = std::unique_ptr<Connector> (*)(const AccountConfig&, std::shared_ptr<HttpClient>);

constexpr std::array<std::string_view, 2> kPspCredentials = {"api_key", "webhook_secret"};

// Takes the client by value, as every Factory does (the network connectors keep it).
std::unique_ptr<Connector> make_sandbox_card(
    const AccountConfig& account,
    std::shared_ptr<HttpClient> /*unused*/) {  // NOLINT(performance-unnecessary-value-param)
  return sandbox_card::make(account);
}

struct Entry {
  ConnectorInfo info;
  Factory factory;
};

const std::array<Entry, 3> kEntries = {{
    {{sandbox_card::kName,
      "in-process test card processor: outcomes by test card number, no network",
      {},
      false},
     &make_sandbox_card},
    {{psp_json::kName,
      "card processor over the JSON REST wire (till sandbox-psp and processors of its shape)",
      kPspCredentials, true},
     &psp_json::make},
    {{psp_iso8583::kName,
      "card processor over the ISO-8583-style message wire (POST /iso/v1/messages)",
      kPspCredentials, true},
     &psp_iso8583::make},
}};

const std::array<ConnectorInfo, kEntries.size()> kInfos = [] {
  std::array<ConnectorInfo, kEntries.size()> infos{};
  for (std::size_t i = 0; i < kEntries.size(); ++i) infos[i] = kEntries[i].info;
  return infos;
}();

const Entry* find_entry(std::string_view name) {
  for (const Entry& entry : kEntries) {
    if (entry.info.name == name) return &entry;
  }
  return nullptr;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (c != prefix[i]) return false;
  }
  return true;
}

std::optional<std::string> base_url_problem(std::string_view url) {
  if (url.empty()) return "base_url is required";
  if (url.size() > kBaseUrlBytesMax) return "base_url is too long";
  std::string_view rest;
  if (istarts_with(url, "http://")) {
    rest = url.substr(7);
  } else if (istarts_with(url, "https://")) {
    rest = url.substr(8);
  } else {
    return "base_url must start with http:// or https://";
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return "base_url contains a space or a control character";
    }
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return "base_url must not have a query or fragment";
  }
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) return "base_url has no host";
  if (authority.find('@') != std::string_view::npos) {
    return "base_url must not carry user info";
  }
  // host, host:port, [v6]:port — the port, when present, must be 1..65535.
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5) return "base_url has an invalid port";
    long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return "base_url has an invalid port";
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return "base_url has an invalid port";
    if (colon == 0) return "base_url has no host";
  }
  return std::nullopt;
}

bool is_printable_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::span<const ConnectorInfo> connectors() { return kInfos; }

const ConnectorInfo* find_connector(std::string_view name) {
  for (const ConnectorInfo& info : kInfos) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

Expected<void, std::string> validate_account(const AccountConfig& account) {
  const Entry* entry = find_entry(account.connector);
  if (entry == nullptr) {
    std::string known;
    for (const Entry& e : kEntries) known += (known.empty() ? "" : ", ") + std::string(e.info.name);
    return unexpected("unknown connector; known: " + known);
  }
  for (std::string_view key : entry->info.required_credentials) {
    const auto found = account.credentials.find(std::string(key));
    if (found == account.credentials.end() || found->second.empty()) {
      return unexpected(std::string(account.connector) + " needs credential " + std::string(key));
    }
  }
  for (const auto& [key, value] : account.credentials) {
    if (value.size() > kCredentialBytesMax || !is_printable_ascii(value)) {
      return unexpected("credential " + key + " must be printable ASCII of at most " +
                        std::to_string(kCredentialBytesMax) + " bytes");
    }
  }
  if (entry->info.needs_base_url) {
    if (auto problem = base_url_problem(account.base_url)) return unexpected(std::move(*problem));
  }
  if (account.timeout.count() < 1 || account.timeout > kAccountTimeoutMax) {
    return unexpected("timeout must be between 1 ms and " +
                      std::to_string(kAccountTimeoutMax.count()) + " ms");
  }
  return {};
}

std::unique_ptr<Connector> make_connector(const AccountConfig& account) {
  const Entry* entry = find_entry(account.connector);
  if (entry == nullptr) return nullptr;
  return make_connector(account, entry->info.needs_base_url ? shared_http_client() : nullptr);
}

std::unique_ptr<Connector> make_connector(const AccountConfig& account,
                                          std::shared_ptr<HttpClient> http) {
  if (!validate_account(account)) return nullptr;
  const Entry* entry = find_entry(account.connector);
  if (entry->info.needs_base_url && http == nullptr) http = shared_http_client();
  return entry->factory(account, std::move(http));
}

}  // namespace till::connectors

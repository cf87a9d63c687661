#include "payments/expand.h"

#include <array>
#include <span>

#include "payments/object_store.h"

namespace till::payments {

namespace {

struct ExpandableField {
  std::string_view kind;
  std::string_view field;
  std::string_view target_kind;  // "" = whatever the id names (balance_transaction.source)
};

constexpr std::array<ExpandableField, 11> kExpandable = {{
    {"payment_intent", "customer", "customer"},
    {"payment_intent", "payment_method", "payment_method"},
    {"payment_intent", "latest_charge", "charge"},
    {"charge", "customer", "customer"},
    {"charge", "payment_intent", "payment_intent"},
    {"charge", "balance_transaction", "balance_transaction"},
    {"refund", "charge", "charge"},
    {"refund", "payment_intent", "payment_intent"},
    {"refund", "balance_transaction", "balance_transaction"},
    {"balance_transaction", "source", ""},
    {"payment_method", "customer", "customer"},
}};

const ExpandableField* find_field(std::string_view kind, std::string_view field) {
  for (const auto& entry : kExpandable) {
    if (entry.kind == kind && entry.field == field) return &entry;
  }
  return nullptr;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (true) {
    const auto dot = path.find('.');
    segments.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) return segments;
    path.remove_prefix(dot + 1);
  }
}

api::ApiError cannot_expand(std::string_view path, std::string param) {
  api::ApiError error;
  error.code = "parameter_invalid";
  error.message = "This property cannot be expanded (" + std::string(path.substr(0, 100)) + ").";
  error.param = std::move(param);
  return error;
}

// Expands the remaining `segments` on `object` of `kind` ("" = read it from the object).
store::StoreResult<void> expand_segments(store::Connection& connection,
                                         const std::string& merchant_id, bool livemode,
                                         boost::json::object& object,
                                         std::span<const std::string_view> segments) {
  if (segments.empty()) return {};
  boost::json::value* field = object.if_contains(segments.front());
  if (field == nullptr) return {};
  if (field->is_string()) {
    const std::string id(field->as_string());
    auto found = select_object(connection, id);
    if (!found) return unexpected(found.error());
    if (!*found || (*found)->merchant_id != merchant_id || (*found)->livemode != livemode) {
      return {};
    }
    if ((*found)->deleted) {
      // A deleted object expands to Stripe's stub, as retrieving it does.
      boost::json::object stub;
      stub["id"] = (*found)->id;
      stub["object"] = (*found)->kind;
      stub["deleted"] = true;
      *field = std::move(stub);
      return {};
    }
    *field = std::move((*found)->body);
  }
  if (!field->is_object()) return {};
  return expand_segments(connection, merchant_id, livemode, field->as_object(),
                         segments.subspan(1));
}

}  // namespace

Expected<std::vector<std::string>, api::ApiError> read_expand(params::Reader& reader,
                                                              std::string_view kind, bool list) {
  auto paths = reader.string_list("expand", kExpandPathsMax, 200);
  if (!paths) return unexpected(paths.error());
  if (!*paths) return std::vector<std::string>{};
  const std::string param = params::join_param(reader.prefix(), "expand");
  for (const std::string& path : **paths) {
    auto segments = split_path(path);
    std::size_t first = 0;
    if (list) {
      if (segments.size() < 2 || segments[0] != "data")
        return unexpected(cannot_expand(path, param));
      first = 1;
    }
    if (segments.size() - first > kExpandDepthMax) return unexpected(cannot_expand(path, param));
    std::string current(kind);
    for (std::size_t i = first; i < segments.size(); ++i) {
      if (current.empty()) break;  // a source: any kind; its fields are checked when expanded
      const ExpandableField* field = find_field(current, segments[i]);
      if (field == nullptr) return unexpected(cannot_expand(path, param));
      current = std::string(field->target_kind);
    }
  }
  return std::move(**paths);
}

store::StoreResult<void> expand_object(store::Connection& connection,
                                       const std::string& merchant_id, bool livemode,
                                       boost::json::object& object,
                                       const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    const auto segments = split_path(path);
    if (segments.front() == "data") {
      boost::json::value* data = object.if_contains("data");
      if (data == nullptr || !data->is_array()) continue;
      for (auto& item : data->as_array()) {
        if (!item.is_object()) continue;
        auto done = expand_segments(connection, merchant_id, livemode, item.as_object(),
                                    std::span(segments).subspan(1));
        if (!done) return done;
      }
      continue;
    }
    auto done = expand_segments(connection, merchant_id, livemode, object, segments);
    if (!done) return done;
  }
  return {};
}

store::StoreResult<void> expand_read(store::Database& database, const std::string& merchant_id,
                                     bool livemode, boost::json::object& object,
                                     const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  return database.read([&](store::Connection& connection) {
    return expand_object(connection, merchant_id, livemode, object, paths);
  });
}

}  // namespace till::payments

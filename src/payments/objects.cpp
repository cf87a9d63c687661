#include "payments/objects.h"

#include "payments/expand.h"

namespace till::payments {

namespace {

constexpr std::int64_t kListLimitDefault = 10;
constexpr std::int64_t kListLimitMax = 100;
constexpr std::size_t kObjectIdBytesMax = 255;

}  // namespace

api::ApiError no_such_cursor(std::string_view kind, const std::string& starting_after,
                             const std::string& ending_before) {
  const bool after = !starting_after.empty();
  const std::string& id = after ? starting_after : ending_before;
  api::ApiError error;
  error.code = "resource_missing";
  error.message = "No such " + std::string(kind) + ": '" + id.substr(0, 64) + "'";
  error.param = after ? "starting_after" : "ending_before";
  return error;
}

store::StoreResult<std::optional<ObjectRow>> find_owned(store::Connection& connection,
                                                        const Call& call, std::string_view kind,
                                                        const std::string& id) {
  if (id.empty() || id.size() > kObjectIdBytesMax) return std::optional<ObjectRow>{};
  auto found = select_object(connection, id);
  if (!found) return unexpected(found.error());
  if (!*found || (*found)->kind != kind || (*found)->merchant_id != call.auth.merchant_id ||
      (*found)->livemode != call.auth.livemode) {
    return std::optional<ObjectRow>{};
  }
  return found;
}

store::StoreResult<std::optional<ObjectRow>> read_owned(Services& services, const Call& call,
                                                        std::string_view kind,
                                                        const std::string& id) {
  std::optional<ObjectRow> row;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto found = find_owned(connection, call, kind, id);
        if (!found) return unexpected(found.error());
        row = std::move(found).value();
        return {};
      });
  if (!read) return unexpected(read.error());
  return row;
}

std::optional<api::ApiError> read_list_params(params::Reader& reader, const Call& call,
                                              std::string_view kind, ListQuery& query) {
  query.merchant_id = call.auth.merchant_id;
  query.livemode = call.auth.livemode;
  query.kind = std::string(kind);
  auto limit = reader.integer("limit", 1, kListLimitMax);
  if (!limit) return limit.error();
  query.limit = static_cast<std::size_t>(limit->value_or(kListLimitDefault));
  auto after = reader.string("starting_after", kObjectIdBytesMax);
  if (!after) return after.error();
  query.starting_after = after->value_or("");
  auto before = reader.string("ending_before", kObjectIdBytesMax);
  if (!before) return before.error();
  query.ending_before = before->value_or("");
  auto created = reader.range("created");
  if (!created) return created.error();
  if (*created) {
    const params::RangeFilter& range = **created;
    if (range.gte) query.created_gte = *range.gte;
    if (range.gt)
      query.created_gte = std::max(query.created_gte.value_or(INT64_MIN), *range.gt + 1);
    if (range.lte) query.created_lte = *range.lte;
    if (range.lt)
      query.created_lte = std::min(query.created_lte.value_or(INT64_MAX), *range.lt - 1);
  }
  return std::nullopt;
}

Reply list_reply(Services& services, const Call& call, const ListQuery& query, std::string url,
                 const std::vector<std::string>& expand) {
  std::optional<ObjectPage> page;
  boost::json::object body;
  auto read =
      services.database.read([&](store::Connection& connection) -> store::StoreResult<void> {
        auto listed = list_objects(connection, query);
        if (!listed) return unexpected(listed.error());
        page = std::move(listed).value();
        if (!page) return {};
        boost::json::array data;
        for (ObjectRow& row : page->rows) data.emplace_back(std::move(row.body));
        body["object"] = "list";
        body["data"] = std::move(data);
        body["has_more"] = page->has_more;
        body["url"] = url;
        return expand_object(connection, call.auth.merchant_id, call.auth.livemode, body, expand);
      });
  if (!read) return unavailable(call, read.error().message);
  if (!page) {
    return fail(no_such_cursor(query.kind, query.starting_after, query.ending_before));
  }
  return ok(std::move(body));
}

Reply object_reply(Services& services, const Call& call, boost::json::object body,
                   const std::vector<std::string>& expand) {
  auto expanded =
      expand_read(services.database, call.auth.merchant_id, call.auth.livemode, body, expand);
  if (!expanded) return unavailable(call, expanded.error().message);
  return ok(std::move(body));
}

Expected<std::vector<std::string>, api::ApiError> read_expand_only(const Call& call,
                                                                   std::string_view kind) {
  params::Reader reader(call.params);
  auto expand = read_expand(reader, kind, false);
  if (!expand) return unexpected(expand.error());
  if (auto unknown = reader.finish()) return unexpected(*unknown);
  return expand;
}

Reply retrieve(Services& services, Call& call, std::string_view kind) {
  auto expand = read_expand_only(call, kind);
  if (!expand) return fail(expand.error());
  const std::string id(call.request.path_param("id"));
  auto row = read_owned(services, call, kind, id);
  if (!row) return unavailable(call, row.error().message);
  if (!*row) return no_such(kind, id);
  return object_reply(services, call, std::move((*row)->body), *expand);
}

}  // namespace till::payments

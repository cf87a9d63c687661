#include "payments/object_store.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cassert>

namespace till::payments {

namespace {

using store::Connection;
using store::Row;
using store::StoreResult;
using store::Value;

constexpr std::size_t kListLimitMax = 100;  // Stripe's

Value optional_text(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

// The kind's own exact-match list filter, derived from the body so it cannot drift from it.
Value lookup_key_of(const ObjectRow& row) {
  if (row.kind != "customer") return nullptr;
  const boost::json::value* email = row.body.if_contains("email");
  if (email == nullptr || !email->is_string() || email->as_string().empty()) return nullptr;
  return std::string(email->as_string());
}

std::string body_text(const ObjectRow& row) {
  if (!row.body_text.empty()) return row.body_text;
  return boost::json::serialize(row.body);
}

std::string internal_of(const ObjectRow& row, const std::string& internal_text) {
  if (!internal_text.empty()) return internal_text;
  return boost::json::serialize(row.internal);
}

constexpr std::string_view kColumns =
    "id, kind, merchant_id, livemode, created, customer_id, parent_id, type, status, deleted, "
    "body, internal, seq";

StoreResult<boost::json::object> parse_document(std::string_view text, const char* column) {
  boost::system::error_code failure;
  boost::json::value value = boost::json::parse(text, failure);
  if (failure || !value.is_object()) {
    return store::store_fail(store::ErrorKind::corrupt,
                             std::string("payment_objects.") + column + " is not a JSON object");
  }
  return std::move(value.as_object());
}

StoreResult<ObjectRow> read_row(const Row& row) {
  ObjectRow object;
  object.id = row.get<std::string>(0);
  object.kind = row.get<std::string>(1);
  object.merchant_id = row.get<std::string>(2);
  object.livemode = row.get_bool(3);
  object.created = row.get_int64(4);
  object.customer_id = row.get<std::optional<std::string>>(5).value_or("");
  object.parent_id = row.get<std::optional<std::string>>(6).value_or("");
  object.type = row.get<std::optional<std::string>>(7).value_or("");
  object.status = row.get<std::optional<std::string>>(8).value_or("");
  object.deleted = row.get_bool(9);
  object.stored_body_text = std::string(row.get_text(10));
  auto body = parse_document(object.stored_body_text, "body");
  if (!body) return unexpected(body.error());
  object.body = std::move(body).value();
  auto internal = parse_document(row.get_text(11), "internal");
  if (!internal) return unexpected(internal.error());
  object.internal = std::move(internal).value();
  return object;
}

// The seq of a cursor object of the same owner and kind, or nullopt.
StoreResult<std::optional<std::int64_t>> cursor_seq(Connection& connection, const ListQuery& query,
                                                    const std::string& id) {
  return connection.query_one<std::int64_t>(
      "SELECT seq FROM payment_objects WHERE id = $1 AND merchant_id = $2 AND livemode = $3 AND "
      "kind = $4",
      {id, query.merchant_id, query.livemode, query.kind});
}

}  // namespace

StoreResult<void> insert_objects(Connection& connection, std::span<const NewObject> objects) {
  assert(!objects.empty() && objects.size() <= kInsertRowsMax);
  constexpr std::size_t kColumnCount = 13;
  // Statements are cached by text, so each row count has its own; at most kInsertRowsMax.
  std::string sql =
      "INSERT INTO payment_objects (id, kind, merchant_id, livemode, created, customer_id, "
      "parent_id, type, status, deleted, body, internal, lookup_key) VALUES ";
  std::vector<Value> params;
  params.reserve(objects.size() * kColumnCount);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const ObjectRow& row = *objects[i].row;
    assert(!row.id.empty() && !row.kind.empty() && !row.merchant_id.empty());
    sql += i == 0 ? "(" : ", (";
    for (std::size_t column = 0; column < kColumnCount; ++column) {
      if (column > 0) sql += ", ";
      sql += "$" + std::to_string(i * kColumnCount + column + 1);
    }
    sql += ")";
    params.insert(params.end(),
                  {row.id, row.kind, row.merchant_id, row.livemode, row.created,
                   optional_text(row.customer_id), optional_text(row.parent_id),
                   optional_text(row.type), optional_text(row.status), row.deleted, body_text(row),
                   internal_of(row, objects[i].internal_text), lookup_key_of(row)});
  }
  auto inserted = connection.execute(sql, params);
  if (!inserted) return unexpected(inserted.error());
  return {};
}

StoreResult<void> insert_object(Connection& connection, const ObjectRow& row,
                                const std::string& internal_text) {
  const NewObject object{&row, internal_text};
  return insert_objects(connection, std::span(&object, 1));
}

StoreResult<void> update_object(Connection& connection, const ObjectRow& row,
                                const std::string& internal_text) {
  auto updated = connection.execute(
      "UPDATE payment_objects SET customer_id = $2, parent_id = $3, type = $4, status = $5, "
      "deleted = $6, body = $7, internal = $8, lookup_key = $9 WHERE id = $1",
      {row.id, optional_text(row.customer_id), optional_text(row.parent_id),
       optional_text(row.type), optional_text(row.status), row.deleted, body_text(row),
       internal_of(row, internal_text), lookup_key_of(row)});
  if (!updated) return unexpected(updated.error());
  if (*updated != 1) {
    return store::store_fail(store::ErrorKind::other,
                             "payment object " + row.id + " vanished before its update");
  }
  return {};
}

StoreResult<std::optional<ObjectRow>> select_object(Connection& connection, const std::string& id) {
  std::optional<StoreResult<ObjectRow>> found;
  auto queried = connection.query(
      std::string("SELECT ") + std::string(kColumns) + " FROM payment_objects WHERE id = $1", {id},
      [&](const Row& row) { found.emplace(read_row(row)); });
  if (!queried) return unexpected(queried.error());
  if (!found) return std::optional<ObjectRow>{};
  if (!*found) return unexpected(found->error());
  return std::optional<ObjectRow>(std::move(found->value()));
}

StoreResult<std::optional<ObjectPage>> list_objects(Connection& connection,
                                                    const ListQuery& query) {
  assert(query.limit >= 1 && query.limit <= kListLimitMax);
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM payment_objects WHERE merchant_id = $1 AND livemode = $2 AND kind = $3";
  std::vector<Value> params{query.merchant_id, query.livemode, query.kind};
  auto add = [&](std::string_view condition, Value value) {
    params.push_back(std::move(value));
    sql += " AND ";
    sql += condition;
    sql += " $" + std::to_string(params.size());
  };
  if (!query.customer_id.empty()) add("customer_id =", query.customer_id);
  if (!query.parent_id.empty()) add("parent_id =", query.parent_id);
  if (!query.type.empty()) add("type =", query.type);
  if (!query.lookup_key.empty()) add("lookup_key =", query.lookup_key);
  if (query.created_gte) add("created >=", *query.created_gte);
  if (query.created_lte) add("created <=", *query.created_lte);
  if (!query.include_deleted) sql += " AND deleted = FALSE";
  // ending_before pages towards newer objects: read them oldest first, then flip.
  const bool backwards = query.starting_after.empty() && !query.ending_before.empty();
  const std::string& cursor = backwards ? query.ending_before : query.starting_after;
  if (!cursor.empty()) {
    auto seq = cursor_seq(connection, query, cursor);
    if (!seq) return unexpected(seq.error());
    if (!*seq) return std::optional<ObjectPage>{};
    add(backwards ? "seq >" : "seq <", **seq);
  }
  sql += backwards ? " ORDER BY seq ASC" : " ORDER BY seq DESC";
  sql += " LIMIT " + std::to_string(query.limit + 1);
  ObjectPage page;
  std::optional<store::StoreError> bad;
  auto queried = connection.query(sql, params, [&](const Row& row) {
    auto object = read_row(row);
    if (!object) {
      bad = object.error();
      return;
    }
    page.rows.push_back(std::move(object).value());
  });
  if (!queried) return unexpected(queried.error());
  if (bad) return unexpected(*bad);
  page.has_more = page.rows.size() > query.limit;
  if (page.has_more) page.rows.pop_back();
  if (backwards) std::reverse(page.rows.begin(), page.rows.end());
  return std::optional<ObjectPage>(std::move(page));
}

}  // namespace till::payments

// payments/object_store.h — the rows behind the merchant API's objects (table payment_objects,
// migration 0004). Every object kind shares one table: the columns the API filters and pages
// on, the object exactly as the API returns it (`body`) and what Till keeps but never returns
// (`internal`). See docs/adr/0009-payments-objects.md.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/store.h"

namespace till::payments {

struct ObjectRow {
  std::string id;
  std::string kind;  // customer, payment_method, payment_intent, charge, refund, ...
  std::string merchant_id;
  bool livemode = false;
  std::int64_t created = 0;  // unix seconds
  std::string customer_id;   // "" = none
  std::string parent_id;     // "" = none
  std::string type;          // "" = none
  std::string status;        // "" = none
  bool deleted = false;
  boost::json::object body;
  boost::json::object internal;
  // When set, `body` already serialised (and not changed since): written as is, so rows
  // built off the committer thread cost it no serialisation.
  std::string body_text;
  // The body exactly as read from the store ("" for a row not read): the before-state a
  // unit of work announces an update's changes against (unit.h). Never written.
  std::string stored_body_text;
};

// Which objects a list returns. Owner and kind always; the rest when set.
struct ListQuery {
  std::string merchant_id;
  bool livemode = false;
  std::string kind;
  std::string customer_id;
  std::string parent_id;
  std::string type;
  std::string lookup_key;                                // customers: exact email
  std::optional<std::int64_t> created_gte, created_lte;  // inclusive bounds, unix seconds
  std::string starting_after;                            // object id: older than it
  std::string ending_before;                             // object id: newer than it
  std::size_t limit = 10;                                // 1..100
  bool include_deleted = false;
};

struct ObjectPage {
  std::vector<ObjectRow> rows;  // newest first, always
  bool has_more = false;
};

// A row to insert, with `internal_text` written instead of `row.internal` serialised when
// it is not empty.
struct NewObject {
  const ObjectRow* row;
  std::string internal_text;
};
constexpr std::size_t kInsertRowsMax = 8;

// Several rows in one statement: one round trip to the database instead of one per row (on
// PostgreSQL, inside a group commit, round trips are what a payment costs).
store::StoreResult<void> insert_objects(store::Connection& connection,
                                        std::span<const NewObject> objects);
// `internal_text`, when given, is written instead of `row.internal` serialised.
store::StoreResult<void> insert_object(store::Connection& connection, const ObjectRow& row,
                                       const std::string& internal_text = "");
// Rewrites the mutable columns and the documents of an existing row (by id).
store::StoreResult<void> update_object(store::Connection& connection, const ObjectRow& row,
                                       const std::string& internal_text = "");
store::StoreResult<std::optional<ObjectRow>> select_object(store::Connection& connection,
                                                           const std::string& id);
// A cursor id that does not exist (or belongs to another owner/kind) yields nullopt, so the
// caller can answer 400 naming the parameter.
store::StoreResult<std::optional<ObjectPage>> list_objects(store::Connection& connection,
                                                           const ListQuery& query);

}  // namespace till::payments

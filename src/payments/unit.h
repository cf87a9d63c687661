// payments/unit.h — one unit of work of the merchant API: its writes and the events they
// announce, in one transaction (internal to payments).
//
// Every write of a payments object goes through a Unit. Besides writing the row
// (object_store.h) the unit remembers the change; at its end (write_events) it turns each
// object's change into Stripe's events (announcements(), below) and writes them with their
// outbox rows (events::insert_events) in the same transaction. If the change commits, its
// events commit with it; if the unit fails or its group rolls back, neither exists
// (DESIGN.md, money invariant 5). Handlers get their Unit from `mutate` (service.h), which
// writes the events after the body succeeded and before the reply is stored, so an
// idempotent replay answers the stored reply and announces nothing again. Housekeeping
// builds its own, with an empty origin (request.id null).
//
// Net change. A unit announces each object's net change once, when it ends: from the body
// as stored before the unit (none for an object it inserted) to the body of its last write.
// So an object inserted and then updated in one unit is announced as inserted in its final
// state (a test payment method made and attached by one request: payment_method.attached),
// two updates as one, and data.object is always a state that committed; a state the unit
// passed through and overwrote was never visible to anyone and is not announced. The one
// thing the body cannot show is a customer's deletion (the row's `deleted` flag): a write
// that leaves a customer deleted is its deletion, since every write refuses a deleted
// customer as missing.
//
// Order. `X.created` events come first, in the order the objects were first written; then
// the other events, each object's at the position of its last write, and announce()d ones
// where they were announced. Create-and-confirm thus announces payment_intent.created,
// charge.succeeded, payment_intent.succeeded, as Stripe does, although the intent's row is
// inserted after its charge's.
//
// Cost. Kinds that announce nothing (balance transactions) are written and forgotten. Rows
// built off the committer thread can have their events made there too
// (prepare_insert_events), so the committer only writes them: events::make_event copies and
// serialises data.object, which is most of an event's cost.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "events/event_store.h"
#include "ledger/ledger.h"
#include "payments/object_store.h"
#include "store/store.h"

namespace till::payments {

// Who caused a unit's changes, as its events' `request` shows: the API request's Request-Id
// and Idempotency-Key; both "" for housekeeping.
struct EventOrigin {
  std::string request_id;
  std::string idempotency_key;

  bool operator==(const EventOrigin&) const = default;
};

// One event that a change of an object announces.
struct Announcement {
  std::string_view type;  // an events::event_types() entry
  bool creation = false;  // X.created: ordered before the unit's other events
  bool previous = false;  // carries data.previous_attributes (events from an update)
};

// What changing an object of `kind` from `before` (nullptr: the unit inserted it) to `after`
// announces, in order. `deleted`: the row is deleted after the change.
//   payment_intent  insert: created, then its status's event unless the status is an initial
//                   one. Update: payment_failed when last_payment_error became set or
//                   changed; else the new status's event when the status changed; else
//                   amount_capturable_updated when a requires_capture intent's
//                   amount_capturable changed. Status events: requires_action,
//                   processing, requires_capture → amount_capturable_updated, succeeded,
//                   canceled. Nothing else (Stripe has no payment_intent.updated).
//   charge          insert: succeeded / failed by its status. Update: captured when captured
//                   turned true, refunded when amount_refunded grew, else updated.
//   refund          insert: created, and failed when inserted failed. Update: failed when its
//                   status became failed, else updated.
//   customer        insert: created. Update: deleted when deleted, else updated.
//   payment_method  insert: attached when it has a customer (nothing on create). Update:
//                   attached / detached when its customer was set / unset, else updated.
//   anything else   nothing.
// An update that changes no field of the body announces nothing (but a deletion).
std::vector<Announcement> announcements(std::string_view kind, const boost::json::object* before,
                                        const boost::json::object& after, bool deleted);

// Whether changes of `kind` announce anything at all (the unit tracks only these).
bool announces_changes(std::string_view kind);

// Events of inserting rows, made ahead of the unit (off the committer thread) by the rules
// the unit would apply; passed to Unit::insert_all with those rows.
struct PreparedEvents {
  struct Event {
    std::string object_id;
    bool creation = false;
    events::EventRecord record;
  };
  std::vector<std::string> object_ids;  // every row prepared for, announcing or not
  std::vector<Event> events;
  EventOrigin origin;
};
PreparedEvents prepare_insert_events(std::span<const ObjectRow* const> rows, const Clock& clock,
                                     const EventOrigin& origin);

class Unit {
 public:
  // `clock` dates and names the events; it and the transaction must outlive the unit.
  Unit(ledger::GroupTransaction& transaction, const Clock& clock, EventOrigin origin);
  Unit(const Unit&) = delete;
  Unit& operator=(const Unit&) = delete;

  // The group's transaction, as handlers used it before units announced anything: read
  // through connection(), post ledger entries with post(). Write objects only with the
  // methods below, or their events are lost.
  ledger::GroupTransaction& transaction() { return transaction_; }
  store::Connection& connection() { return transaction_.connection(); }
  std::int64_t now_unix_ms() const { return transaction_.now_unix_ms(); }
  ledger::LedgerResult<std::vector<ledger::Entry>> post(
      const std::vector<ledger::EntrySpec>& specs) {
    return transaction_.post(specs);
  }
  const EventOrigin& origin() const { return origin_; }

  // object_store's writes, remembered for the unit's events. `internal_text` as there.
  store::StoreResult<void> insert(const ObjectRow& row, const std::string& internal_text = "");
  // Several rows in one statement (at most kInsertRowsMax). The rows `prepared` was made for
  // announce its events instead of their own (unless the unit writes them again).
  store::StoreResult<void> insert_all(std::span<const NewObject> rows,
                                      const PreparedEvents* prepared = nullptr);
  // `row` was read in this unit (its stored_body_text is the before-state) or written by it.
  store::StoreResult<void> update(const ObjectRow& row, const std::string& internal_text = "");

  // An event that is no stored object's change (balance.available). Its request fields are
  // the unit's origin.
  void announce(events::EventDraft draft);

  // Writes the unit's events and their outbox rows; once, after its last write. Returns how
  // many it wrote.
  store::StoreResult<std::size_t> write_events();

 private:
  // One object's net change so far.
  struct Change {
    std::string id;
    std::string kind;
    std::string merchant_id;
    bool livemode = false;
    bool inserted = false;        // first written by an insert: no before-state
    std::string before_text;      // updated: the body as stored before the unit
    boost::json::object after;    // the body of the last write (unless prepared)
    bool deleted = false;         // the row's flag after the last write
    std::size_t first_write = 0;  // positions among the unit's writes and announcements
    std::size_t last_write = 0;
    bool use_prepared = false;  // its events are `prepared` (a single, prepared insert)
    std::vector<PreparedEvents::Event> prepared;
  };
  struct Announced {
    std::size_t position = 0;
    events::EventDraft draft;
  };
  // An event on its way to the store: made now, or prepared.
  struct Slot {
    bool creation = false;
    std::size_t position = 0;
    std::variant<events::EventDraft, events::EventRecord> event;
  };

  Change* find(const std::string& id);
  void remember_insert(const ObjectRow& row, const PreparedEvents* prepared);
  void remember_update(const ObjectRow& row);
  store::StoreResult<void> derive(Change& change, std::vector<Slot>& slots) const;

  ledger::GroupTransaction& transaction_;
  const Clock& clock_;
  EventOrigin origin_;
  std::vector<Change> changes_;  // in first-write order
  std::vector<Announced> announced_;
  std::size_t writes_ = 0;  // writes and announcements so far
  bool events_written_ = false;
};

}  // namespace till::payments

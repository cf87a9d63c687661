// events/event_store.h — events: building Stripe's event object and the rows behind it.
//
// An event is written by whoever makes the change it announces, in the same transaction
// (insert_events), together with its event_outbox row: if the change commits, the event and
// the duty to deliver it commit with it; if it rolls back, neither exists. Events are never
// updated; they are deleted only when older than the retention period (30 days).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "store/store.h"

namespace till::events {

constexpr std::int64_t kEventRetentionSeconds = 30LL * 24 * 60 * 60;

// What a change announces; make_event turns it into the stored event.
struct EventDraft {
  std::string type;  // one of event_types() (asserted)
  std::string merchant_id;
  bool livemode = false;
  boost::json::object object;  // data.object: the object after the change, as the API shows it
  // data.object already serialised (a JSON object's text), used instead of `object` when set:
  // objects built off the committer thread carry their text, and an event made from it costs
  // no copy and no second serialisation.
  std::string object_text;
  std::string object_id;  // with object_text: data.object.id (read from `object` otherwise)
  // data.previous_attributes: on updates, the changed top-level fields' earlier values.
  std::optional<boost::json::object> previous_attributes;
  std::string request_id;       // "" = not caused by an API request (request.id null)
  std::string idempotency_key;  // "" = none
};

// One stored event.
struct EventRecord {
  std::int64_t seq = 0;  // set when read back
  std::string id;        // evt_...
  std::string merchant_id;
  bool livemode = false;
  std::string type;
  std::int64_t created = 0;  // unix seconds
  std::string object_id;
  std::string body_text;  // the event object, serialised
};

// Mints the id and serialises Stripe's event shape: id, object "event", api_version, created,
// data {object, previous_attributes}, livemode, pending_webhooks (0 as stored), request {id,
// idempotency_key}, type.
EventRecord make_event(const EventDraft& draft, const Clock& clock);

// The top-level fields of `before` whose values differ in `after` (or that `after` lacks),
// with their earlier values; fields only `after` has are given as null. Stripe's
// previous_attributes.
boost::json::object previous_attributes(const boost::json::object& before,
                                        const boost::json::object& after);

// Inserts the events (one statement per 64); the database adds their outbox rows in the same
// statement (trigger events_enqueue, migration 0005).
store::StoreResult<void> insert_events(store::Connection& connection,
                                       std::span<const EventRecord> events);

store::StoreResult<std::optional<EventRecord>> select_event(store::Connection& connection,
                                                            const std::string& id);

struct EventQuery {
  std::string merchant_id;
  bool livemode = false;
  std::vector<std::string> types;  // any of; an entry ending in ".*" matches a prefix
  std::optional<std::int64_t> created_gte, created_lte;
  std::string starting_after, ending_before;  // event ids
  std::size_t limit = 10;                     // 1..100
};
struct EventPage {
  std::vector<EventRecord> events;  // newest first
  bool has_more = false;
};
// nullopt when a cursor is not one of the owner's events.
store::StoreResult<std::optional<EventPage>> list_events(store::Connection& connection,
                                                         const EventQuery& query);

// Deletes events created before `cutoff_seconds` (with their deliveries and attempts), at most
// `limit` events per call. Returns how many events went.
store::StoreResult<std::int64_t> purge_events(store::Connection& connection,
                                              std::int64_t cutoff_seconds, std::size_t limit);

}  // namespace till::events

#include "payments/unit.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cassert>
#include <optional>
#include <utility>

#include "payments/movements.h"

namespace till::payments {

namespace {

using boost::json::object;
using boost::json::value;

// A field's value, or null when absent.
const value& field(const object& body, std::string_view key) {
  static const value kNull;
  const value* found = body.if_contains(key);
  return found != nullptr ? *found : kNull;
}

bool changed(const object& before, const object& after, std::string_view key) {
  return field(before, key) != field(after, key);
}

// The event an intent's status announces. requires_payment_method and requires_confirmation
// are where an intent starts (and where a failed confirm returns it: that announces
// payment_failed, from last_payment_error).
std::optional<std::string_view> intent_status_event(const object& intent) {
  const std::string status = text_of(intent, "status");
  if (status == "requires_action") return "payment_intent.requires_action";
  if (status == "processing") return "payment_intent.processing";
  if (status == "requires_capture") return "payment_intent.amount_capturable_updated";
  if (status == "succeeded") return "payment_intent.succeeded";
  if (status == "canceled") return "payment_intent.canceled";
  return std::nullopt;
}

std::vector<Announcement> intent_announcements(const object* before, const object& after) {
  const bool failed = !field(after, "last_payment_error").is_null();
  if (before == nullptr) {
    std::vector<Announcement> out{{"payment_intent.created", true, false}};
    if (failed) {
      out.push_back({"payment_intent.payment_failed", false, false});
    } else if (auto status = intent_status_event(after)) {
      out.push_back({*status, false, false});
    }
    return out;
  }
  if (failed && changed(*before, after, "last_payment_error")) {
    return {{"payment_intent.payment_failed", false, true}};
  }
  if (changed(*before, after, "status")) {
    if (auto status = intent_status_event(after)) return {{*status, false, true}};
    return {};
  }
  if (text_of(after, "status") == "requires_capture" &&
      changed(*before, after, "amount_capturable")) {
    return {{"payment_intent.amount_capturable_updated", false, true}};
  }
  return {};  // descriptive fields only: Stripe announces no payment_intent.updated
}

std::vector<Announcement> charge_announcements(const object* before, const object& after) {
  if (before == nullptr) {
    const std::string status = text_of(after, "status");
    if (status == "succeeded") return {{"charge.succeeded", false, false}};
    if (status == "failed") return {{"charge.failed", false, false}};
    return {};
  }
  std::vector<Announcement> out;
  if (!bool_of(*before, "captured") && bool_of(after, "captured")) {
    out.push_back({"charge.captured", false, true});
  }
  if (int_of(after, "amount_refunded") > int_of(*before, "amount_refunded")) {
    out.push_back({"charge.refunded", false, true});
  }
  if (out.empty()) out.push_back({"charge.updated", false, true});
  return out;
}

std::vector<Announcement> refund_announcements(const object* before, const object& after) {
  const bool failed = text_of(after, "status") == "failed";
  if (before == nullptr) {
    std::vector<Announcement> out{{"refund.created", true, false}};
    if (failed) out.push_back({"refund.failed", false, false});
    return out;
  }
  if (failed && text_of(*before, "status") != "failed") return {{"refund.failed", false, true}};
  return {{"refund.updated", false, true}};
}

std::vector<Announcement> customer_announcements(const object* before, bool deleted) {
  if (before == nullptr) return {{"customer.created", true, false}};
  // The body does not change when a customer is deleted: nothing to show as previous.
  if (deleted) return {{"customer.deleted", false, false}};
  return {{"customer.updated", false, true}};
}

std::vector<Announcement> payment_method_announcements(const object* before, const object& after) {
  const bool attached = !field(after, "customer").is_null();
  if (before == nullptr) {
    // Made and attached in one unit (a test id attached by its first use): Stripe creates it
    // silently, then announces the attachment.
    if (attached) return {{"payment_method.attached", false, false}};
    return {};
  }
  const bool was_attached = !field(*before, "customer").is_null();
  if (!was_attached && attached) return {{"payment_method.attached", false, true}};
  if (was_attached && !attached) return {{"payment_method.detached", false, true}};
  return {{"payment_method.updated", false, true}};
}

store::StoreResult<object> parse_stored(const std::string& text, const std::string& id) {
  boost::system::error_code failure;
  value parsed = boost::json::parse(text, failure);
  if (failure || !parsed.is_object()) {
    return store::store_fail(store::ErrorKind::corrupt,
                             "payment object " + id + ": its stored body is not a JSON object");
  }
  return std::move(parsed.as_object());
}

events::EventDraft draft_for(const Announcement& announcement, std::string_view merchant_id,
                             bool livemode, const EventOrigin& origin) {
  events::EventDraft draft;
  draft.type = std::string(announcement.type);
  draft.merchant_id = std::string(merchant_id);
  draft.livemode = livemode;
  draft.request_id = origin.request_id;
  draft.idempotency_key = origin.idempotency_key;
  return draft;
}

}  // namespace

bool announces_changes(std::string_view kind) {
  return kind == "payment_intent" || kind == "charge" || kind == "refund" || kind == "customer" ||
         kind == "payment_method";
}

std::vector<Announcement> announcements(std::string_view kind, const object* before,
                                        const object& after, bool deleted) {
  const bool deletion = kind == "customer" && deleted;
  if (before != nullptr && *before == after && !deletion) return {};  // nothing changed
  if (kind == "payment_intent") return intent_announcements(before, after);
  if (kind == "charge") return charge_announcements(before, after);
  if (kind == "refund") return refund_announcements(before, after);
  if (kind == "customer") return customer_announcements(before, deleted);
  if (kind == "payment_method") return payment_method_announcements(before, after);
  return {};
}

PreparedEvents prepare_insert_events(std::span<const ObjectRow* const> rows, const Clock& clock,
                                     const EventOrigin& origin) {
  PreparedEvents prepared;
  prepared.origin = origin;
  for (const ObjectRow* row : rows) {
    assert(row != nullptr);
    prepared.object_ids.push_back(row->id);
    for (const Announcement& announcement :
         announcements(row->kind, nullptr, row->body, row->deleted)) {
      events::EventDraft draft = draft_for(announcement, row->merchant_id, row->livemode, origin);
      // A row built off the committer thread has its body serialised already: the event
      // takes that text instead of copying and serialising the object again.
      if (!row->body_text.empty()) {
        draft.object_text = row->body_text;
        draft.object_id = row->id;
      } else {
        draft.object = row->body;
      }
      prepared.events.push_back({row->id, announcement.creation, events::make_event(draft, clock)});
    }
  }
  return prepared;
}

Unit::Unit(ledger::GroupTransaction& transaction, const Clock& clock, EventOrigin origin)
    : transaction_(transaction), clock_(clock), origin_(std::move(origin)) {}

Unit::Change* Unit::find(const std::string& id) {
  // Units write a handful of objects (deleting a customer: its payment methods), so a scan
  // beats a map.
  for (Change& change : changes_) {
    if (change.id == id) return &change;
  }
  return nullptr;
}

void Unit::remember_insert(const ObjectRow& row, const PreparedEvents* prepared) {
  const std::size_t position = writes_++;
  if (!announces_changes(row.kind)) return;
  assert(find(row.id) == nullptr && "an object inserted twice in one unit");
  Change change;
  change.id = row.id;
  change.kind = row.kind;
  change.merchant_id = row.merchant_id;
  change.livemode = row.livemode;
  change.inserted = true;
  change.deleted = row.deleted;
  change.first_write = change.last_write = position;
  const bool covered =
      prepared != nullptr && std::find(prepared->object_ids.begin(), prepared->object_ids.end(),
                                       row.id) != prepared->object_ids.end();
  if (covered) {
    change.use_prepared = true;
    for (const PreparedEvents::Event& event : prepared->events) {
      if (event.object_id == row.id) change.prepared.push_back(event);
    }
  } else {
    change.after = row.body;
  }
  changes_.push_back(std::move(change));
}

void Unit::remember_update(const ObjectRow& row) {
  const std::size_t position = writes_++;
  if (!announces_changes(row.kind)) return;
  Change* change = find(row.id);
  if (change == nullptr) {
    // First write of a stored object: what was read is the before-state.
    assert(!row.stored_body_text.empty() && "updating a row this unit neither read nor wrote");
    Change fresh;
    fresh.id = row.id;
    fresh.kind = row.kind;
    fresh.merchant_id = row.merchant_id;
    fresh.livemode = row.livemode;
    fresh.before_text = row.stored_body_text;
    fresh.first_write = position;
    changes_.push_back(std::move(fresh));
    change = &changes_.back();
  }
  assert(change->kind == row.kind);
  change->after = row.body;
  change->deleted = row.deleted;
  change->last_write = position;
  // Written again after it was prepared: its net change is derived from its last state.
  change->use_prepared = false;
  change->prepared.clear();
}

store::StoreResult<void> Unit::insert(const ObjectRow& row, const std::string& internal_text) {
  assert(!events_written_);
  if (auto inserted = insert_object(connection(), row, internal_text); !inserted) return inserted;
  remember_insert(row, nullptr);
  return {};
}

store::StoreResult<void> Unit::insert_all(std::span<const NewObject> rows,
                                          const PreparedEvents* prepared) {
  assert(!events_written_);
  assert(prepared == nullptr || prepared->origin == origin_);
  if (auto inserted = insert_objects(connection(), rows); !inserted) return inserted;
  for (const NewObject& object : rows) remember_insert(*object.row, prepared);
  return {};
}

store::StoreResult<void> Unit::update(const ObjectRow& row, const std::string& internal_text) {
  assert(!events_written_);
  if (auto updated = update_object(connection(), row, internal_text); !updated) return updated;
  remember_update(row);
  return {};
}

void Unit::announce(events::EventDraft draft) {
  assert(!events_written_);
  draft.request_id = origin_.request_id;
  draft.idempotency_key = origin_.idempotency_key;
  announced_.push_back({writes_++, std::move(draft)});
}

store::StoreResult<void> Unit::derive(Change& change, std::vector<Slot>& slots) const {
  if (change.use_prepared) {
    for (PreparedEvents::Event& event : change.prepared) {
      slots.push_back({event.creation, event.creation ? change.first_write : change.last_write,
                       std::move(event.record)});
    }
    return {};
  }
  std::optional<object> before;
  if (!change.inserted) {
    auto parsed = parse_stored(change.before_text, change.id);
    if (!parsed) return unexpected(parsed.error());
    before = std::move(parsed).value();
  }
  const std::vector<Announcement> found =
      announcements(change.kind, before ? &*before : nullptr, change.after, change.deleted);
  std::optional<object> previous;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const Announcement& announcement = found[i];
    events::EventDraft draft =
        draft_for(announcement, change.merchant_id, change.livemode, origin_);
    if (announcement.previous) {
      assert(before);
      if (!previous) previous = events::previous_attributes(*before, change.after);
      draft.previous_attributes = *previous;
    }
    // The last event of the change takes the body; the others copy it.
    draft.object = i + 1 == found.size() ? std::move(change.after) : change.after;
    slots.push_back({announcement.creation,
                     announcement.creation ? change.first_write : change.last_write,
                     std::move(draft)});
  }
  return {};
}

store::StoreResult<std::size_t> Unit::write_events() {
  assert(!events_written_);
  events_written_ = true;
  std::vector<Slot> slots;
  for (Change& change : changes_) {
    if (auto derived = derive(change, slots); !derived) return unexpected(derived.error());
  }
  for (Announced& announced : announced_) {
    slots.push_back({false, announced.position, std::move(announced.draft)});
  }
  if (slots.empty()) return std::size_t{0};
  // Creations first, then by position; a change's own events keep their order.
  std::stable_sort(slots.begin(), slots.end(), [](const Slot& a, const Slot& b) {
    if (a.creation != b.creation) return a.creation;
    return a.position < b.position;
  });
  std::vector<events::EventRecord> records;
  records.reserve(slots.size());
  for (Slot& slot : slots) {
    if (auto* draft = std::get_if<events::EventDraft>(&slot.event)) {
      records.push_back(events::make_event(*draft, clock_));
    } else {
      records.push_back(std::move(std::get<events::EventRecord>(slot.event)));
    }
  }
  if (auto inserted = events::insert_events(connection(), records); !inserted) {
    return unexpected(inserted.error());
  }
  return records.size();
}

}  // namespace till::payments

-- 0005_events: events, webhook endpoints and their deliveries (src/events/).
-- See docs/adr/0010-events-and-webhooks.md.
--
-- An event is written in the same transaction as the change it announces, and with it the duty
-- to deliver it (the transactional outbox, below). The dispatcher later fans each event out
-- into one webhook_deliveries row per matching endpoint, claims due deliveries with a lease,
-- sends them and records every attempt in webhook_attempts. Events are immutable once
-- written; deliveries are mutable work items; attempts are an append-only log.

CREATE TABLE events (
-- till:sqlite
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after a purge: see event_fanout
-- till:end
-- till:postgres
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- till:end
  id TEXT NOT NULL UNIQUE,              -- evt_...
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  type TEXT NOT NULL,                   -- payment_intent.succeeded, ...
  created BIGINT NOT NULL,              -- unix seconds, as the API shows it
  object_id TEXT NOT NULL,              -- data.object.id, for admin lookups
  body TEXT NOT NULL                    -- the event as the API returns it
);
-- One index serves every list: newest first per merchant and mode, with the type in the index
-- so a type filter is checked without reading the event (an index per filter would cost every
-- payment another B-tree insert per event).
CREATE INDEX events_by_owner ON events (merchant_id, livemode, seq, type);

-- The transactional outbox: which events are not yet fanned out to endpoints.
--
-- SQLite has one writer at a time, so events commit in seq order and the outbox is a cursor:
-- every event after `fanned_out_seq` is still to be fanned out. Writing an event costs no
-- outbox row at all (AUTOINCREMENT keeps seqs from being reused below the cursor).
-- till:sqlite
CREATE TABLE event_fanout (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  fanned_out_seq INTEGER NOT NULL
);
INSERT INTO event_fanout (id, fanned_out_seq) VALUES (1, 0);
-- till:end
-- On PostgreSQL concurrent transactions commit out of seq order, so a cursor could pass an
-- event that commits later: each event gets an event_outbox row instead, written by the
-- database itself (the trigger) in the statement that inserts the events, and deleted in the
-- transaction that fans the event out.
-- till:postgres
CREATE TABLE event_outbox (
  event_seq BIGINT PRIMARY KEY
);
CREATE FUNCTION events_enqueue() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO event_outbox (event_seq) SELECT seq FROM inserted_events;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER events_enqueue AFTER INSERT ON events REFERENCING NEW TABLE AS inserted_events
  FOR EACH STATEMENT EXECUTE FUNCTION events_enqueue();
-- till:end

CREATE TABLE webhook_endpoints (
-- till:sqlite
  seq INTEGER PRIMARY KEY,
-- till:end
-- till:postgres
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- till:end
  id TEXT NOT NULL UNIQUE,              -- we_...
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  created BIGINT NOT NULL,              -- unix seconds; only later events are sent to it
  url TEXT NOT NULL,
  status TEXT NOT NULL,                 -- enabled, disabled
  enabled_events TEXT NOT NULL,         -- JSON array of event types, or ["*"]
  extras TEXT NOT NULL,                 -- JSON: description, metadata, api_version
  secret TEXT NOT NULL,                 -- whsec_...: signs every delivery
  previous_secret TEXT,                 -- after a roll, also signs until it expires
  previous_secret_expires_at_ms BIGINT,
  failing_since_ms BIGINT,              -- first failed attempt since the last success
  disabled_reason TEXT,                 -- why Till disabled it (admin-visible)
  disabled_at_ms BIGINT,
  deleted BOOLEAN NOT NULL
);
CREATE INDEX webhook_endpoints_by_owner ON webhook_endpoints (merchant_id, livemode, seq);

CREATE TABLE webhook_deliveries (
-- till:sqlite
  seq INTEGER PRIMARY KEY,
-- till:end
-- till:postgres
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- till:end
  event_seq BIGINT NOT NULL,
  endpoint_id TEXT NOT NULL,
  state TEXT NOT NULL,                  -- pending, succeeded, failed (gave up)
  attempt_count BIGINT NOT NULL,
  started_at_ms BIGINT NOT NULL,        -- fanned out, or resent: retries stop 3 days after
  next_attempt_at_ms BIGINT NOT NULL,
  lease_owner TEXT,                     -- the dispatcher sending it now
  lease_until_ms BIGINT NOT NULL,       -- 0 = not leased; a lapsed lease may be taken over
  finished_at_ms BIGINT,
  fanout_count BIGINT NOT NULL,         -- endpoints the event went to (pending_webhooks)
  UNIQUE (event_seq, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at_ms)
  WHERE state = 'pending';
CREATE INDEX webhook_deliveries_backlog ON webhook_deliveries (started_at_ms)
  WHERE state = 'pending';

CREATE TABLE webhook_attempts (
-- till:sqlite
  seq INTEGER PRIMARY KEY,
-- till:end
-- till:postgres
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- till:end
  delivery_seq BIGINT NOT NULL,
  event_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  attempted_at_ms BIGINT NOT NULL,
  duration_us BIGINT NOT NULL,
  status_code BIGINT NOT NULL,          -- 0 when no HTTP response arrived
  outcome TEXT NOT NULL,                -- succeeded, http_error, timeout, connect_failed, ...
  error TEXT NOT NULL,
  response_excerpt TEXT NOT NULL,       -- the first bytes of the response body
  dispatcher TEXT NOT NULL              -- which process made the attempt
);
CREATE INDEX webhook_attempts_by_event ON webhook_attempts (event_id, seq);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);

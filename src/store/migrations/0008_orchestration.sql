-- 0008_orchestration: processor connector accounts, payment attempts and processor webhooks
-- (src/payments/orchestration.*, docs/orchestration.md, docs/adr/0013-orchestration.md).
--
-- A payment routed to processors is confirmed in steps, each its own durable transaction: the
-- attempt is written (pending) before the processor is called, so a crash while the call is
-- in flight leaves a record that the processor sync resolves by asking the processor. The
-- attempt's id is the idempotency key of the processor call.

CREATE TABLE connector_accounts (
  id TEXT PRIMARY KEY,                    -- ca_...
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  connector TEXT NOT NULL,                -- connectors registry name: psp_json, psp_iso8583, ...
  display_name TEXT NOT NULL,
  base_url TEXT NOT NULL,
  credentials_sealed TEXT NOT NULL,       -- vault: AES-256-GCM, bound to the account id
  timeout_ms BIGINT NOT NULL,
  status TEXT NOT NULL,                   -- active | disabled
  created_at_unix_ms BIGINT NOT NULL,
  updated_at_unix_ms BIGINT NOT NULL
);
CREATE INDEX connector_accounts_by_owner ON connector_accounts (merchant_id, livemode);

CREATE TABLE payment_attempts (
  id TEXT PRIMARY KEY,                    -- pa_..., the processor call's idempotency key
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  payment_intent_id TEXT NOT NULL,
  sequence BIGINT NOT NULL,               -- 1, 2, ... across the intent's confirmations
  connector_account_id TEXT NOT NULL,
  connector TEXT NOT NULL,
  status TEXT NOT NULL,                   -- pending | approved | declined | not_processed | unknown
  capture BOOLEAN NOT NULL,               -- authorize and capture at once
  amount BIGINT NOT NULL,
  currency TEXT NOT NULL,
  processor_reference TEXT NOT NULL,      -- '' until the processor names it
  raw_code TEXT NOT NULL,
  decline_code TEXT NOT NULL,
  soft BOOLEAN NOT NULL,
  message TEXT NOT NULL,
  latency_us BIGINT NOT NULL,
  charge_id TEXT NOT NULL,                -- the Charge that shows it, '' when none
  -- The merchant's request that started it, so whoever resolves the attempt can store the
  -- request's idempotent answer ('' when it had no Idempotency-Key).
  request_idempotency_key TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,
  request_id TEXT NOT NULL,
  created_at_unix_ms BIGINT NOT NULL,
  updated_at_unix_ms BIGINT NOT NULL,
  next_sync_at_unix_ms BIGINT NOT NULL,   -- pending / unknown: when the sync may look at it
  sync_attempts BIGINT NOT NULL,
  lease_owner TEXT NOT NULL,
  lease_until_unix_ms BIGINT NOT NULL
);
CREATE INDEX payment_attempts_by_intent ON payment_attempts (payment_intent_id, sequence);
CREATE INDEX payment_attempts_by_reference ON payment_attempts (connector_account_id, processor_reference);
CREATE INDEX payment_attempts_to_sync ON payment_attempts (next_sync_at_unix_ms)
  WHERE status IN ('pending', 'unknown');

-- Processor webhooks already applied (a processor may send one more than once).
CREATE TABLE processor_webhook_events (
  connector_account_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  received_at_unix_ms BIGINT NOT NULL,
  result TEXT NOT NULL,
  PRIMARY KEY (connector_account_id, event_id)
);

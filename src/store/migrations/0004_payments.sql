-- 0004_payments: the merchant API's objects (src/payments/). See docs/adr/0009-payments-objects.md.
--
-- Every Stripe-shaped object (customer, payment_method, payment_intent, charge, refund,
-- balance_transaction) is one row: the columns the API filters and pages on, the object as the
-- API returns it (`body`, JSON), and fields Till keeps but never returns (`internal`, JSON:
-- ledger entry ids, the sandbox behaviour of a test card). Money's record is the ledger; these
-- rows are the objects that describe it, and they are written in the same transaction as the
-- ledger entries they cause (Ledger::run).

CREATE TABLE payment_objects (
-- till:sqlite
  seq INTEGER PRIMARY KEY,              -- insertion order: lists page on it, newest first
-- till:end
-- till:postgres
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- till:end
  id TEXT NOT NULL UNIQUE,              -- cus_, pm_, pi_, ch_, re_, txn_ ...
  kind TEXT NOT NULL,                   -- customer, payment_method, payment_intent, ...
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  created BIGINT NOT NULL,              -- unix seconds, as the API shows it
  customer_id TEXT,                     -- filters: a customer's payment methods, intents, charges
  parent_id TEXT,                       -- charge: its intent; refund: its charge; txn: its source
  type TEXT,                            -- balance_transaction type; payment_method type
  status TEXT,
  lookup_key TEXT,                      -- a kind's own exact-match filter: a customer's email
  deleted BOOLEAN NOT NULL,             -- deleted customers answer `deleted: true`
  body TEXT NOT NULL,
  internal TEXT NOT NULL
);
CREATE INDEX payment_objects_by_owner ON payment_objects (merchant_id, livemode, kind, seq);
CREATE INDEX payment_objects_by_customer ON payment_objects (customer_id, kind, seq)
  WHERE customer_id IS NOT NULL;
CREATE INDEX payment_objects_by_parent ON payment_objects (parent_id, kind, seq)
  WHERE parent_id IS NOT NULL;
CREATE INDEX payment_objects_by_lookup_key ON payment_objects (merchant_id, livemode, kind,
  lookup_key, seq) WHERE lookup_key IS NOT NULL;
-- The availability sweep finds pending balance transactions whose time has come.
CREATE INDEX payment_objects_pending_funds ON payment_objects (kind, status, created)
  WHERE kind = 'balance_transaction' AND status = 'pending';

-- The ledger accounts of each merchant, mode and currency, created on first use.
CREATE TABLE payment_ledger_accounts (
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  currency TEXT NOT NULL,               -- upper case, as the ledger stores it
  role TEXT NOT NULL,                   -- card_clearing, balance_pending, balance_available
  account_id TEXT NOT NULL UNIQUE,      -- la_...
  PRIMARY KEY (merchant_id, livemode, currency, role)
);

-- Stored responses to Idempotency-Key requests, kept 24 hours. Written in the same
-- transaction as the change the request made, so a replay after a crash or restart returns
-- exactly what the first request did.
CREATE TABLE idempotency_keys (
  merchant_id TEXT NOT NULL,
  livemode BOOLEAN NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_sha256 TEXT NOT NULL,         -- method, path and canonical parameters
  status_code BIGINT NOT NULL,
  response_body TEXT NOT NULL,
  created_at_unix_ms BIGINT NOT NULL,
  PRIMARY KEY (merchant_id, livemode, idempotency_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at_unix_ms);

-- 0003_merchants: merchants and their secret API keys (src/merchant/).
--
-- Rows are keyed by their prefixed IDs (acct_..., key_...): IDs sort by creation time to the
-- millisecond (docs/adr/0004-id-format.md), so lists page by id without a sequence number that
-- concurrent creators on several nodes would have to agree on.
--
-- A key's secret is never stored: only the SHA-256 of the whole secret (lower-case hex), which
-- the merchant API looks a presented key up by, and its last four characters for display
-- ("sk_test_...abcd"). A database dump therefore cannot be used to call the API.

CREATE TABLE merchants (
  id TEXT PRIMARY KEY,                  -- acct_...
  name TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  created_at_unix_ms BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,                  -- key_...
  merchant_id TEXT NOT NULL REFERENCES merchants (id),
  mode TEXT NOT NULL CHECK (mode IN ('test', 'live')),
  secret_sha256 TEXT NOT NULL,          -- hex SHA-256 of the full secret (sk_test_... / sk_live_...)
  secret_last4 TEXT NOT NULL,
  created_at_unix_ms BIGINT NOT NULL,
  expires_at_unix_ms BIGINT,            -- set when the key is rolled; the key works until then
  revoked_at_unix_ms BIGINT,            -- set when revoked; the key stops working at once
  replaced_by_key_id TEXT               -- the key a roll issued in its place
);
-- Every authenticated request looks its key up here; unique, so one secret names one key.
CREATE UNIQUE INDEX api_keys_by_secret ON api_keys (secret_sha256);
CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, id);

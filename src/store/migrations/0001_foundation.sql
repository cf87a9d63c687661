-- 0001_foundation: the first table, so that every database Till touches has a schema version
-- and a row to prove a migration ran. Later migrations add the ledger and payments tables.

-- One row per Till installation (written by `till serve` on first start): lets operators and
-- support tell databases apart.
CREATE TABLE till_instance (
  id TEXT PRIMARY KEY,
  created_at_unix_ms BIGINT NOT NULL
);

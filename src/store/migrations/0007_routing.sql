-- 0007_routing: every version of every merchant's routing configuration (src/routing/).
-- See docs/adr/0012-routing.md and docs/routing.md.
--
-- One row per saved version, per merchant and mode. Versions are append-only (triggers
-- below): a change is a new version, the active configuration is the highest version, and
-- rolling back means saving an old version's text again. So the configuration that routed any
-- past payment can always be read back.

CREATE TABLE routing_configs (
  merchant_id TEXT NOT NULL,            -- acct_...
  livemode BOOLEAN NOT NULL,
  version BIGINT NOT NULL CHECK (version >= 1),  -- 1, 2, ... per merchant and mode
  config TEXT NOT NULL,                 -- the JSON as saved, validated before it is stored
  created_at BIGINT NOT NULL,           -- unix ms
  created_by TEXT NOT NULL,             -- who saved it (admin_api, a staff member, ...)
  PRIMARY KEY (merchant_id, livemode, version)
);

-- till:sqlite
CREATE TRIGGER routing_configs_no_update BEFORE UPDATE ON routing_configs
BEGIN SELECT RAISE(ABORT, 'routing_configs is append-only: save a new version instead'); END;
CREATE TRIGGER routing_configs_no_delete BEFORE DELETE ON routing_configs
BEGIN SELECT RAISE(ABORT, 'routing_configs is append-only: save a new version instead'); END;
-- till:end
-- till:postgres
CREATE FUNCTION routing_configs_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'routing_configs is append-only: save a new version instead';
END
$fn$;
CREATE TRIGGER routing_configs_append_only BEFORE UPDATE OR DELETE ON routing_configs
  FOR EACH ROW EXECUTE FUNCTION routing_configs_append_only();
CREATE TRIGGER routing_configs_no_truncate BEFORE TRUNCATE ON routing_configs
  FOR EACH STATEMENT EXECUTE FUNCTION routing_configs_append_only();
-- till:end

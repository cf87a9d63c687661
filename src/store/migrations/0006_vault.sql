-- 0006_vault: the card vault (src/vault/). See docs/adr/0011-card-vault.md and docs/vault.md.
--
-- One row per vaulted card. The number and expiry are sealed together with AES-256-GCM under
-- one of the vault's data keys and bound to (merchant_id, payment_method_id), so a sealed
-- value copied into another row does not open. Nothing here is readable without the keys,
-- which never enter the database. The card's non-secret face (brand, last4, fingerprint)
-- lives on the payment method object (payment_objects), not here.

CREATE TABLE card_vault (
  payment_method_id TEXT PRIMARY KEY,   -- pm_...; rotation walks this key in order
  merchant_id TEXT NOT NULL,
  sealed_card TEXT NOT NULL,            -- v1.<key id>.<base64url(nonce || ciphertext || tag)>
  key_id TEXT NOT NULL,                 -- the data key sealed_card is under
  created_at_unix_ms BIGINT NOT NULL,
  rotated_at_unix_ms BIGINT             -- last re-encryption under a newer key; NULL = never
);
CREATE INDEX card_vault_by_merchant ON card_vault (merchant_id);

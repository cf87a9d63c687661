-- 0002_ledger: the double-entry ledger (src/ledger/). See docs/adr/0007-ledger.md.
--
-- Amounts are signed decimal integers in minor units stored as TEXT: 18-decimal tokens need
-- 128 bits, which neither SQLite's INTEGER nor BIGINT holds, and all arithmetic happens in
-- C++ on checked 128-bit integers, never in SQL.
--
-- Records vs derived state: ledger_entries and ledger_postings are the record and are
-- append-only (triggers below reject UPDATE and DELETE). ledger_balances and ledger_holds are
-- derived from them for speed; `till ledger verify` recomputes both from the postings.

CREATE TABLE ledger_accounts (
  seq {{INT64_PK}},                     -- dense internal key used by postings and balances
  id TEXT NOT NULL UNIQUE,              -- la_...
  type TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
  currency TEXT NOT NULL,               -- ISO 4217 or token code, upper case
  flags BIGINT NOT NULL,                -- 1: debits must not exceed credits; 2: the reverse
  owner TEXT NOT NULL,                  -- who the account belongs to (merchant id, "platform")
  name TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  created_at_unix_ms BIGINT NOT NULL
);
CREATE INDEX ledger_accounts_by_owner ON ledger_accounts (owner, seq);

CREATE TABLE ledger_entries (
  seq {{INT64_PK}},                     -- commit order, assigned by the committer
  id TEXT NOT NULL UNIQUE,              -- je_...
  kind TEXT NOT NULL CHECK (kind IN ('standard', 'pending', 'post_pending', 'void_pending',
                                     'expire_pending', 'reversal')),
  pending_entry_seq BIGINT,             -- post/void/expire: the hold it resolves
  reverses_entry_seq BIGINT,            -- reversal: the entry it reverses
  expires_at_unix_ms BIGINT,            -- pending: when the hold lapses (NULL = never)
  idempotency_key TEXT,
  content_sha256 TEXT,                  -- of the request (entries with an idempotency key)
  description TEXT NOT NULL,
  metadata_json TEXT NOT NULL,
  created_at_unix_ms BIGINT NOT NULL
);
-- A key names one entry; a hold is resolved at most once; an entry is reversed at most once.
-- Partial indexes: most entries have none of these, and skipping their NULLs saves three
-- index inserts per entry on the ledger's hottest path.
CREATE UNIQUE INDEX ledger_entries_by_idempotency_key ON ledger_entries (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX ledger_entries_one_resolution ON ledger_entries (pending_entry_seq)
  WHERE pending_entry_seq IS NOT NULL;
CREATE UNIQUE INDEX ledger_entries_one_reversal ON ledger_entries (reverses_entry_seq)
  WHERE reverses_entry_seq IS NOT NULL;

-- Clustered by entry: a group commit appends its postings at the end of the table. The
-- per-account index holds only keys, so the random inserts it takes (one region per account)
-- dirty as few pages as possible.
CREATE TABLE ledger_postings (
  entry_seq BIGINT NOT NULL,
  posting_index INTEGER NOT NULL,
  account_seq BIGINT NOT NULL,
  side TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
  layer TEXT NOT NULL CHECK (layer IN ('posted', 'pending')),
  amount TEXT NOT NULL,                 -- posted: > 0; pending: > 0 reserves, < 0 releases
  currency TEXT NOT NULL,
  created_at_unix_ms BIGINT NOT NULL,
  PRIMARY KEY (entry_seq, posting_index)
-- till:sqlite
) WITHOUT ROWID;
-- till:end
-- till:postgres
);
-- till:end
CREATE INDEX ledger_postings_by_account ON ledger_postings (account_seq, entry_seq, posting_index);

CREATE TABLE ledger_balances (
  account_seq BIGINT PRIMARY KEY,
  debits_posted TEXT NOT NULL,
  credits_posted TEXT NOT NULL,
  debits_pending TEXT NOT NULL,
  credits_pending TEXT NOT NULL,
  last_entry_seq BIGINT NOT NULL
);

CREATE TABLE ledger_holds (
  entry_seq BIGINT PRIMARY KEY,         -- the pending entry
  status TEXT NOT NULL CHECK (status IN ('open', 'posted', 'voided', 'expired')),
  amount TEXT NOT NULL,                 -- reserved
  posted_amount TEXT NOT NULL,          -- 0 unless posted; never above amount
  expires_at_unix_ms BIGINT,
  resolved_by_entry_seq BIGINT
);
CREATE INDEX ledger_holds_open_by_expiry ON ledger_holds (status, expires_at_unix_ms);

-- One row: the next entry sequence number. Committers lock it, which orders all commits.
CREATE TABLE ledger_meta (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  next_entry_seq BIGINT NOT NULL
);
INSERT INTO ledger_meta (singleton, next_entry_seq) VALUES (1, 1);

-- Append-only, for real: the database itself refuses to change or remove the record.
-- till:sqlite
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: correct a mistake with a reversing entry'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: correct a mistake with a reversing entry'); END;
CREATE TRIGGER ledger_postings_no_update BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only: correct a mistake with a reversing entry'); END;
CREATE TRIGGER ledger_postings_no_delete BEFORE DELETE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger_postings is append-only: correct a mistake with a reversing entry'); END;
-- till:end
-- till:postgres
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION '% is append-only: correct a mistake with a reversing entry', TG_TABLE_NAME;
END
$fn$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
-- till:end

-- 0009_ledger_account_index: postings by account, kept behind the head of the journal.
-- See docs/adr/0014-ledger-throughput.md.
--
-- A synchronous index on ledger_postings (account_seq, ...) made every group commit insert
-- into one region per account: a group of 16k transfers dirtied most of the index's pages
-- and wrote them all to the WAL, which capped the ledger at ~75k transfers/s on SQLite.
-- The account index is now derived data, written by the ledger's indexer in large batches
-- sorted by account, so each page it touches takes many rows at once. Readers combine it
-- with the unindexed tail of the journal (entry_seq > indexed_through_entry_seq), which is a
-- range of ledger_postings' primary key, in one snapshot: answers stay exact.

DROP INDEX ledger_postings_by_account;

-- The key of each posting with entry_seq <= indexed_through_entry_seq, clustered by account;
-- readers join back to ledger_postings for the rest (keys only: fewer pages to write).
-- Rows above the mark can exist after an interrupted batch; readers ignore them and the next
-- batch inserts around them (ON CONFLICT DO NOTHING). `till ledger verify` checks the index.
CREATE TABLE ledger_account_postings (
  account_seq BIGINT NOT NULL,
  entry_seq BIGINT NOT NULL,
  posting_index INTEGER NOT NULL,
  PRIMARY KEY (account_seq, entry_seq, posting_index)
-- till:sqlite
) WITHOUT ROWID;
-- till:end
-- till:postgres
);
-- till:end

-- One row: every posting with entry_seq <= this is in ledger_account_postings. Only grows.
CREATE TABLE ledger_account_index_state (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  indexed_through_entry_seq BIGINT NOT NULL
);
INSERT INTO ledger_account_index_state (singleton, indexed_through_entry_seq) VALUES (1, 0);

-- 0008_inbox_journals: how far each inbox journal segment has been imported into the inbox.
-- Twin: src/store/postgres/migrations/0008_inbox_journals.sql (same table; it stays empty there: a Postgres store
-- commits each delivery to the inbox table before its 2xx).
-- A SQLite store's writer thread makes an Event Streams delivery durable as one record appended to a segment file
-- (<store file>.inbox-journal/, src/store/sqlite/inboxJournal.ts) and the inbox processor imports those records into
-- `inbox` when it claims work. `imported` is the byte offset the import has reached in segment `name`; it advances in
-- the transaction that inserts the imported rows, so each record is imported once. A row goes after its file.

CREATE TABLE inbox_journals (
  name TEXT PRIMARY KEY,
  imported INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);

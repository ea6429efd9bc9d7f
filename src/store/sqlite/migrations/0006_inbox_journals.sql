-- 0006_inbox_journals: the inbox journals of the SQLite store's writer threads (src/store/sqlite/inboxWriter.ts).
-- Twin: src/store/postgres/migrations/0006_inbox_journals.sql (same table; that dialect writes no journal).
-- An Event Streams delivery is made durable in an append-only journal file before its 2xx and imported into `inbox`
-- shortly after, many per transaction. One row per journal file: the file's owner (`host:pid:thread`), the
-- generation being written (the file is overwritten from its start once all of it is imported) and the offset
-- imported so far, which advances in the same transaction as the rows it imported: a record is imported exactly once,
-- by its owner or, once the owner is gone, by the next writer thread that starts on this database.

CREATE TABLE inbox_journals (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  generation INTEGER NOT NULL,
  imported INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);

-- 0006_inbox_journals: the inbox journals of the SQLite store's writer threads (src/store/sqlite/inboxWriter.ts).
-- Twin of src/store/sqlite/migrations/0006_inbox_journals.sql, kept so both dialects share one schema: this dialect
-- writes no journal (its inbox rows are inserted before the 2xx) and leaves the table empty.

CREATE TABLE inbox_journals (
  name text PRIMARY KEY,
  owner text NOT NULL,
  generation bigint NOT NULL,
  imported bigint NOT NULL,
  updated_at text NOT NULL
);

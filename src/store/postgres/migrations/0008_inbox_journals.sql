-- 0008_inbox_journals: how far each inbox journal segment has been imported into the inbox.
-- Twin of src/store/sqlite/migrations/0008_inbox_journals.sql, kept so both dialects have the same schema. It stays
-- empty here: a Postgres store commits each delivery to the inbox table before its 2xx, with no journal.

CREATE TABLE inbox_journals (
  name text PRIMARY KEY,
  imported bigint NOT NULL,
  updated_at text NOT NULL
);

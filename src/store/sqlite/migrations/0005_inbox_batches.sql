-- 0005_inbox_batches: one inbox row per Event Streams delivery.
-- Twin: src/store/postgres/migrations/0005_inbox_batches.sql (same column and table).
-- A batch of CloudEvents the server takes as it is (Store.ingestJsonBatch) is stored as ONE row: `payload` is a JSON
-- array of its new items, as received, and `item_keys` the JSON array of their keys, in the same order (the row's
-- `key` is its first item's). A row with item_keys NULL holds one item, as before. Storing a batch of N events as N
-- rows cost N payload rows and three b-tree inserts each before the 2xx; one row costs one, plus a narrow key entry
-- per item (bench:webhooks).
-- Dedupe spans both kinds: every key of a batch row is in `inbox_keys`, which a single item's insert consults too,
-- and a batch's items are checked against `inbox.key` as well. Pruning a processed batch row deletes its keys (found
-- through its `item_keys`: no index on `inbox_id`, one b-tree less to write per key before the 2xx).

ALTER TABLE inbox ADD COLUMN item_keys TEXT;

CREATE TABLE inbox_keys (
  key TEXT PRIMARY KEY,
  inbox_id INTEGER NOT NULL
) WITHOUT ROWID;

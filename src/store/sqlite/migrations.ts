// Generated from ./migrations/*.sql by src/store/migrations.unit.test.ts; do not edit by hand.
// Regenerate: TAJO_WRITE_MIGRATIONS=1 npx vitest run --project unit src/store/migrations.unit.test.ts
import type { Migration } from '../migration.js';

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { id: 1, name: '0001_init', sql: `-- 0001_init: the Tajo state store, SQLite dialect.
-- Portable on purpose: the Postgres twin (src/store/postgres/migrations/0001_init.sql) differs only in types
-- (TEXT JSON -> jsonb, INTEGER ms -> bigint, INTEGER PRIMARY KEY -> bigint generated always as identity, REAL -> double precision).
-- Times: *_at are ISO-8601 strings, *_ms are epoch milliseconds.

CREATE TABLE connectors (
  id TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'paused')),
  status_reason TEXT,
  installed_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_sync_at TEXT,
  last_error TEXT
);

-- AES-256-GCM sealed credentials (src/core/vault.ts); never plaintext.
CREATE TABLE secrets (
  connector_id TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  iv TEXT NOT NULL,
  tag TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, name)
);

-- Optimistic version: writers send the version they read; a mismatch aborts the commit.
CREATE TABLE checkpoints (
  connector_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  partition TEXT NOT NULL,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, stream, partition)
);

CREATE TABLE raw_events (
  id INTEGER PRIMARY KEY,
  connector_id TEXT NOT NULL,
  key TEXT NOT NULL,
  type TEXT NOT NULL,
  occurred_ms INTEGER NOT NULL,
  task_sid TEXT,
  worker_sid TEXT,
  conversation_sid TEXT,
  via TEXT NOT NULL CHECK (via IN ('poll', 'webhook')),
  data TEXT NOT NULL,
  received_at TEXT NOT NULL,
  UNIQUE (connector_id, key)
);
CREATE INDEX raw_events_task ON raw_events (connector_id, task_sid, occurred_ms);
CREATE INDEX raw_events_worker ON raw_events (connector_id, worker_sid, occurred_ms);

CREATE TABLE interactions (
  connector_id TEXT NOT NULL,
  task_sid TEXT NOT NULL,
  customer_key TEXT,
  channel TEXT,
  queue_sid TEXT,
  queue_name TEXT,
  worker_sid TEXT,
  worker_name TEXT,
  created_ms INTEGER,
  answered_ms INTEGER,
  wrapup_ms INTEGER,
  ended_ms INTEGER,
  outcome TEXT NOT NULL CHECK (outcome IN ('completed', 'abandoned', 'canceled', 'open')),
  conversation_sid TEXT,
  conversation_closed_ms INTEGER,
  wait_seconds REAL,
  handle_seconds REAL,
  attributes TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, task_sid)
);
CREATE INDEX interactions_customer ON interactions (connector_id, customer_key);
CREATE INDEX interactions_created ON interactions (connector_id, created_ms);

CREATE TABLE surveys (
  connector_id TEXT NOT NULL,
  survey_task_sid TEXT NOT NULL,
  linked_task_sid TEXT,
  customer_key TEXT,
  score REAL NOT NULL,
  scale REAL NOT NULL,
  questions TEXT NOT NULL,
  completed_ms INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, survey_task_sid)
);
CREATE INDEX surveys_customer ON surveys (connector_id, customer_key);
CREATE INDEX surveys_linked ON surveys (connector_id, linked_task_sid);

CREATE TABLE customers (
  connector_id TEXT NOT NULL,
  key TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  whatsapp TEXT,
  chat_identity TEXT,
  sms_blacklisted INTEGER NOT NULL DEFAULT 0,
  whatsapp_blacklisted INTEGER NOT NULL DEFAULT 0,
  pushed_hash TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, key)
);

-- Writes waiting for Brevo. Events are unique by key for ever (and against the ledger); contact and list writes
-- keep at most one pending row per key (a newer write replaces the pending payload).
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  connector_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('contact', 'event', 'list_add', 'list_remove')),
  key TEXT NOT NULL,
  customer_key TEXT,
  payload TEXT NOT NULL,
  content_hash TEXT,
  priority INTEGER NOT NULL CHECK (priority IN (0, 1)),
  status TEXT NOT NULL CHECK (status IN ('pending', 'inflight', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  claimed_by TEXT,
  claimed_until_ms INTEGER,
  last_error TEXT,
  created_ms INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  delivered_at TEXT
);
CREATE INDEX outbox_claim ON outbox (status, priority, next_attempt_ms, id);
CREATE INDEX outbox_lease ON outbox (claimed_until_ms) WHERE status = 'inflight';
CREATE UNIQUE INDEX outbox_event_key ON outbox (key) WHERE kind = 'event';
CREATE UNIQUE INDEX outbox_pending_key ON outbox (key) WHERE status = 'pending' AND kind <> 'event';
CREATE INDEX outbox_state_key ON outbox (key, status) WHERE kind <> 'event';
CREATE INDEX outbox_customer ON outbox (customer_key) WHERE customer_key IS NOT NULL;

-- What Brevo has accepted: one row per key, with the content hash last sent.
CREATE TABLE ledger (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  content_hash TEXT,
  delivered_at TEXT NOT NULL
);

CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY,
  connector_id TEXT,
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  record_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  error TEXT,
  outbox_id INTEGER,
  status TEXT NOT NULL CHECK (status IN ('open', 'replayed', 'discarded')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX dead_letters_open ON dead_letters (source, reason, record_key) WHERE status = 'open';
CREATE INDEX dead_letters_status ON dead_letters (status, id);

-- Webhook deliveries, stored before the 2xx is answered.
CREATE TABLE inbox (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'inflight', 'processed')),
  claimed_by TEXT,
  claimed_until_ms INTEGER,
  received_at TEXT NOT NULL,
  processed_at TEXT
);
CREATE INDEX inbox_claim ON inbox (status, id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  acquired_at TEXT NOT NULL
);
` },
  { id: 2, name: '0002_analytics', sql: `-- 0002_analytics: what reports and the dashboard (src/analytics) read, as grouped queries over a time range that touch
-- only compact index/table pages (src/store/analytics.ts). Twin: src/store/postgres/migrations/0002_analytics.sql.

-- Interactions by created_at, covering every column the grouped reads use.
CREATE INDEX interactions_analytics ON interactions (connector_id, created_ms, queue_sid, channel, outcome, answered_ms, ended_ms, wrapup_ms,
  worker_sid, worker_name, queue_name, task_sid);

-- CSAT by completion time.
CREATE INDEX surveys_completed ON surveys (connector_id, completed_ms);

-- Reservation outcomes and task creations by type and time (queries repeat this exact IN list so the partial index applies).
CREATE INDEX raw_events_analytics ON raw_events (connector_id, type, occurred_ms, worker_sid, task_sid)
  WHERE type IN ('reservation.canceled', 'reservation.timeout', 'reservation.rejected', 'task.created');

-- Agent activity changes, kept as they are stored: one small row per \`worker.activity.update\` raw event, in the order
-- activity time is computed (worker, time), so reports never parse raw event payloads.
CREATE TABLE worker_activity (
  connector_id TEXT NOT NULL,
  worker_sid TEXT NOT NULL,
  occurred_ms INTEGER NOT NULL,
  key TEXT NOT NULL,
  activity TEXT,
  worker_name TEXT,
  PRIMARY KEY (connector_id, worker_sid, occurred_ms, key),
  UNIQUE (connector_id, key)
) WITHOUT ROWID;

INSERT INTO worker_activity (connector_id, worker_sid, occurred_ms, key, activity, worker_name)
SELECT connector_id, worker_sid, occurred_ms, key,
  coalesce(json_extract(data, '$.worker_activity_name'), json_extract(data, '$.WorkerActivityName')),
  coalesce(json_extract(data, '$.worker_name'), json_extract(data, '$.WorkerName'))
FROM raw_events WHERE type = 'worker.activity.update' AND worker_sid IS NOT NULL;

CREATE TRIGGER raw_events_worker_activity_insert AFTER INSERT ON raw_events
WHEN NEW.type = 'worker.activity.update' AND NEW.worker_sid IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO worker_activity (connector_id, worker_sid, occurred_ms, key, activity, worker_name)
  VALUES (NEW.connector_id, NEW.worker_sid, NEW.occurred_ms, NEW.key,
    coalesce(json_extract(NEW.data, '$.worker_activity_name'), json_extract(NEW.data, '$.WorkerActivityName')),
    coalesce(json_extract(NEW.data, '$.worker_name'), json_extract(NEW.data, '$.WorkerName')));
END;

CREATE TRIGGER raw_events_worker_activity_delete AFTER DELETE ON raw_events
WHEN OLD.type = 'worker.activity.update'
BEGIN
  DELETE FROM worker_activity WHERE connector_id = OLD.connector_id AND key = OLD.key;
END;
` },
  { id: 3, name: '0003_scale', sql: `-- 0003_scale: the replica registry and rate budgets shared by every replica (scale-out).
-- Twin: src/store/postgres/migrations/0003_scale.sql (same tables and columns; only types differ).

-- One row per running Tajo process (\`tajo serve\`), refreshed by its heartbeat (heartbeat_ms, epoch ms).
CREATE TABLE replicas (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  role TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_ms INTEGER NOT NULL,
  info TEXT NOT NULL
);

-- One token bucket per vendor budget: tokens refill at the caller's rate up to its burst since updated_ms; the
-- optional fixed window (Brevo's 100 calls per hour) counts calls since window_start_ms. A row is locked per spend.
CREATE TABLE rate_budgets (
  name TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_ms INTEGER NOT NULL,
  paused_until_ms INTEGER NOT NULL DEFAULT 0,
  window_start_ms INTEGER,
  window_used INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0
);
` },
  { id: 4, name: '0004_customer_version', sql: `-- 0004_customer_version: an optimistic version on customer rows.
-- Twin: src/store/postgres/migrations/0004_customer_version.sql (same column).
-- A customer's row and contact payload are derived from all its interactions and surveys, read before the commit.
-- Two processes (\`tajo serve\`'s inbox processor and \`tajo connectors sync\`) deriving one customer at once would each
-- miss the other's interaction, and the later commit would win. Every write of the row bumps \`version\`; a commit
-- whose row was derived from an older version is refused as a whole, and the engine re-derives that customer.
-- Rows written before this migration start at 0.

ALTER TABLE customers ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
` },
  { id: 5, name: '0005_inbox_batches', sql: `-- 0005_inbox_batches: one inbox row per Event Streams delivery.
-- Twin: src/store/postgres/migrations/0005_inbox_batches.sql (same column and table).
-- A batch of CloudEvents the server takes as it is (Store.ingestJsonBatch) is stored as ONE row: \`payload\` is a JSON
-- array of its new items, as received, and \`item_keys\` the JSON array of their keys, in the same order (the row's
-- \`key\` is its first item's). A row with item_keys NULL holds one item, as before. Storing a batch of N events as N
-- rows cost N payload rows and three b-tree inserts each before the 2xx; one row costs one, plus a narrow key entry
-- per item (bench:webhooks).
-- Dedupe spans both kinds: every key of a batch row is in \`inbox_keys\`, which a single item's insert consults too,
-- and a batch's items are checked against \`inbox.key\` as well. Pruning a processed batch row deletes its keys (found
-- through its \`item_keys\`: no index on \`inbox_id\`, one b-tree less to write per key before the 2xx).

ALTER TABLE inbox ADD COLUMN item_keys TEXT;

CREATE TABLE inbox_keys (
  key TEXT PRIMARY KEY,
  inbox_id INTEGER NOT NULL
) WITHOUT ROWID;
` },
  { id: 6, name: '0006_forgotten_tasks', sql: `-- 0006_forgotten_tasks: what \`tajo forget\` erased stays erased.
-- Twin: src/store/postgres/migrations/0006_forgotten_tasks.sql (same table).
-- Forgetting a person deletes their interactions, surveys and raw events; without a trace, the next full sync (the
-- TaskRouter Events API keeps 30 days), an Event Streams retry of an old delivery or a late event of the same task
-- would derive them again and re-create the Brevo contact. Each forgotten task (interaction or survey) leaves its SID
-- here, which is not personal data by itself; the engine skips those tasks (engine/sync/taskPlan.ts), and a commit
-- carrying one (planned while the person was being forgotten) is refused and re-derived without it. A new task of the
-- same person after the forget is new data and is synced as usual.

CREATE TABLE forgotten_tasks (
  connector_id TEXT NOT NULL,
  task_sid TEXT NOT NULL,
  forgotten_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, task_sid)
) WITHOUT ROWID;
` },
  { id: 7, name: '0007_cancel_reason', sql: `-- 0007_cancel_reason: why a queued task was canceled. Twin: src/store/postgres/migrations/0007_cancel_reason.sql.
-- TaskRouter sends the reason with task.canceled (\`TaskCanceledReason\`, \`task_canceled_reason\`, or \`reason\`); the
-- derivation keeps the one of the task.canceled that ended the task (engine/derive/interaction.ts), and the analytics
-- tell a timeout ("Task TTL Exceeded", a workflow timeout) from a customer abandonment with store/cancelReason.ts.
-- The \`outcome\` values do not change: both stay \`abandoned\`.

ALTER TABLE interactions ADD COLUMN cancel_reason TEXT;

-- Interactions derived before this migration: the reason from their stored task.canceled event, as the derivation
-- reads it (the latest by time then key; the first non-empty string of these fields).
UPDATE interactions SET cancel_reason = (
  SELECT coalesce(
    CASE json_type(r.data, '$.task_canceled_reason') WHEN 'text' THEN nullif(json_extract(r.data, '$.task_canceled_reason'), '') END,
    CASE json_type(r.data, '$.TaskCanceledReason') WHEN 'text' THEN nullif(json_extract(r.data, '$.TaskCanceledReason'), '') END,
    CASE json_type(r.data, '$.reason') WHEN 'text' THEN nullif(json_extract(r.data, '$.reason'), '') END,
    CASE json_type(r.data, '$.Reason') WHEN 'text' THEN nullif(json_extract(r.data, '$.Reason'), '') END)
  FROM raw_events r
  WHERE r.connector_id = interactions.connector_id AND r.task_sid = interactions.task_sid AND r.type = 'task.canceled'
  ORDER BY r.occurred_ms DESC, r.key DESC LIMIT 1)
WHERE outcome IN ('abandoned', 'canceled');

-- The analytics index (0002) keeps covering every column the grouped reads use.
DROP INDEX interactions_analytics;
CREATE INDEX interactions_analytics ON interactions (connector_id, created_ms, queue_sid, channel, outcome, answered_ms, ended_ms, wrapup_ms,
  worker_sid, worker_name, queue_name, task_sid, cancel_reason);
` },
  { id: 8, name: '0008_inbox_journals', sql: `-- 0008_inbox_journals: how far each inbox journal segment has been imported into the inbox.
-- Twin: src/store/postgres/migrations/0008_inbox_journals.sql (same table; it stays empty there: a Postgres store
-- commits each delivery to the inbox table before its 2xx).
-- A SQLite store's writer thread makes an Event Streams delivery durable as one record appended to a segment file
-- (<store file>.inbox-journal/, src/store/sqlite/inboxJournal.ts) and the inbox processor imports those records into
-- \`inbox\` when it claims work. \`imported\` is the byte offset the import has reached in segment \`name\`; it advances in
-- the transaction that inserts the imported rows, so each record is imported once. A row goes after its file.

CREATE TABLE inbox_journals (
  name TEXT PRIMARY KEY,
  imported INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
` },
];

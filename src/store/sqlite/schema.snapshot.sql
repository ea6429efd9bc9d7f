-- Schema after all migrations; regenerate: TAJO_WRITE_MIGRATIONS=1 npx vitest run --project integration src/store/sqlite
CREATE TRIGGER raw_events_worker_activity_delete AFTER DELETE ON raw_events
WHEN OLD.type = 'worker.activity.update'
BEGIN
  DELETE FROM worker_activity WHERE connector_id = OLD.connector_id AND key = OLD.key;
END;
CREATE TRIGGER raw_events_worker_activity_insert AFTER INSERT ON raw_events
WHEN NEW.type = 'worker.activity.update' AND NEW.worker_sid IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO worker_activity (connector_id, worker_sid, occurred_ms, key, activity, worker_name)
  VALUES (NEW.connector_id, NEW.worker_sid, NEW.occurred_ms, NEW.key,
    coalesce(json_extract(NEW.data, '$.worker_activity_name'), json_extract(NEW.data, '$.WorkerActivityName')),
    coalesce(json_extract(NEW.data, '$.worker_name'), json_extract(NEW.data, '$.WorkerName')));
END;
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE checkpoints (
  connector_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  partition TEXT NOT NULL,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, stream, partition)
);
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
  updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (connector_id, key)
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
CREATE TABLE forgotten_tasks (
  connector_id TEXT NOT NULL,
  task_sid TEXT NOT NULL,
  forgotten_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, task_sid)
) WITHOUT ROWID;
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
, item_keys TEXT);
CREATE TABLE inbox_journals (
  name TEXT PRIMARY KEY,
  imported INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE inbox_keys (
  key TEXT PRIMARY KEY,
  inbox_id INTEGER NOT NULL
) WITHOUT ROWID;
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
  updated_at TEXT NOT NULL, cancel_reason TEXT,
  PRIMARY KEY (connector_id, task_sid)
);
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  acquired_at TEXT NOT NULL
);
CREATE TABLE ledger (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  content_hash TEXT,
  delivered_at TEXT NOT NULL
);
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
CREATE TABLE rate_budgets (
  name TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_ms INTEGER NOT NULL,
  paused_until_ms INTEGER NOT NULL DEFAULT 0,
  window_start_ms INTEGER,
  window_used INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0
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
CREATE TABLE replicas (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  role TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_ms INTEGER NOT NULL,
  info TEXT NOT NULL
);
CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE secrets (
  connector_id TEXT NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  iv TEXT NOT NULL,
  tag TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector_id, name)
);
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
CREATE UNIQUE INDEX dead_letters_open ON dead_letters (source, reason, record_key) WHERE status = 'open';
CREATE INDEX dead_letters_status ON dead_letters (status, id);
CREATE INDEX inbox_claim ON inbox (status, id);
CREATE INDEX interactions_analytics ON interactions (connector_id, created_ms, queue_sid, channel, outcome, answered_ms, ended_ms, wrapup_ms,
  worker_sid, worker_name, queue_name, task_sid, cancel_reason);
CREATE INDEX interactions_created ON interactions (connector_id, created_ms);
CREATE INDEX interactions_customer ON interactions (connector_id, customer_key);
CREATE INDEX outbox_claim ON outbox (status, priority, next_attempt_ms, id);
CREATE INDEX outbox_customer ON outbox (customer_key) WHERE customer_key IS NOT NULL;
CREATE UNIQUE INDEX outbox_event_key ON outbox (key) WHERE kind = 'event';
CREATE INDEX outbox_lease ON outbox (claimed_until_ms) WHERE status = 'inflight';
CREATE UNIQUE INDEX outbox_pending_key ON outbox (key) WHERE status = 'pending' AND kind <> 'event';
CREATE INDEX outbox_state_key ON outbox (key, status) WHERE kind <> 'event';
CREATE INDEX raw_events_analytics ON raw_events (connector_id, type, occurred_ms, worker_sid, task_sid)
  WHERE type IN ('reservation.canceled', 'reservation.timeout', 'reservation.rejected', 'task.created');
CREATE INDEX raw_events_task ON raw_events (connector_id, task_sid, occurred_ms);
CREATE INDEX raw_events_worker ON raw_events (connector_id, worker_sid, occurred_ms);
CREATE INDEX surveys_completed ON surveys (connector_id, completed_ms);
CREATE INDEX surveys_customer ON surveys (connector_id, customer_key);
CREATE INDEX surveys_linked ON surveys (connector_id, linked_task_sid);

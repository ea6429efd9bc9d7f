-- 0003_scale: the replica registry and rate budgets shared by every replica (scale-out).
-- Twin: src/store/sqlite/migrations/0003_scale.sql (same tables and columns; only types differ).

-- One row per running Tajo process (`tajo serve`), refreshed by its heartbeat (heartbeat_ms, epoch ms).
CREATE TABLE replicas (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  role TEXT NOT NULL,
  started_at TEXT NOT NULL,
  heartbeat_ms BIGINT NOT NULL,
  info JSONB NOT NULL
);

-- One token bucket per vendor budget: tokens refill at the caller's rate up to its burst since updated_ms; the
-- optional fixed window (Brevo's 100 calls per hour) counts calls since window_start_ms. A row is locked per spend.
CREATE TABLE rate_budgets (
  name TEXT PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  updated_ms BIGINT NOT NULL,
  paused_until_ms BIGINT NOT NULL DEFAULT 0,
  window_start_ms BIGINT,
  window_used INTEGER NOT NULL DEFAULT 0,
  used BIGINT NOT NULL DEFAULT 0
);

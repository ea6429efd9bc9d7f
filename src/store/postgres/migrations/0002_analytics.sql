-- 0002_analytics: what reports and the dashboard (src/analytics) read, as grouped queries over a time range that touch
-- only compact index/table pages (src/store/analytics.ts). Twin: src/store/sqlite/migrations/0002_analytics.sql.

-- Interactions by created_at, covering every column the grouped reads use.
CREATE INDEX interactions_analytics ON interactions (connector_id, created_ms, queue_sid, channel, outcome, answered_ms, ended_ms, wrapup_ms,
  worker_sid, worker_name, queue_name, task_sid);

-- CSAT by completion time.
CREATE INDEX surveys_completed ON surveys (connector_id, completed_ms);

-- Reservation outcomes and task creations by type and time (queries repeat this exact IN list so the partial index applies).
CREATE INDEX raw_events_analytics ON raw_events (connector_id, type, occurred_ms, worker_sid, task_sid)
  WHERE type IN ('reservation.canceled', 'reservation.timeout', 'reservation.rejected', 'task.created');

-- Agent activity changes, kept as they are stored: one small row per `worker.activity.update` raw event, in the order
-- activity time is computed (worker, time), so reports never parse raw event payloads.
CREATE TABLE worker_activity (
  connector_id TEXT NOT NULL,
  worker_sid TEXT NOT NULL,
  occurred_ms BIGINT NOT NULL,
  key TEXT NOT NULL,
  activity TEXT,
  worker_name TEXT,
  PRIMARY KEY (connector_id, worker_sid, occurred_ms, key),
  UNIQUE (connector_id, key)
);

INSERT INTO worker_activity (connector_id, worker_sid, occurred_ms, key, activity, worker_name)
SELECT connector_id, worker_sid, occurred_ms, key,
  coalesce(data->>'worker_activity_name', data->>'WorkerActivityName'),
  coalesce(data->>'worker_name', data->>'WorkerName')
FROM raw_events WHERE type = 'worker.activity.update' AND worker_sid IS NOT NULL;

CREATE FUNCTION tajo_worker_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO worker_activity (connector_id, worker_sid, occurred_ms, key, activity, worker_name)
  VALUES (NEW.connector_id, NEW.worker_sid, NEW.occurred_ms, NEW.key,
    coalesce(NEW.data->>'worker_activity_name', NEW.data->>'WorkerActivityName'),
    coalesce(NEW.data->>'worker_name', NEW.data->>'WorkerName'))
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE TRIGGER raw_events_worker_activity_insert AFTER INSERT ON raw_events FOR EACH ROW
WHEN (NEW.type = 'worker.activity.update' AND NEW.worker_sid IS NOT NULL)
EXECUTE FUNCTION tajo_worker_activity_insert();

CREATE FUNCTION tajo_worker_activity_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM worker_activity WHERE connector_id = OLD.connector_id AND key = OLD.key;
  RETURN NULL;
END $$;

CREATE TRIGGER raw_events_worker_activity_delete AFTER DELETE ON raw_events FOR EACH ROW
WHEN (OLD.type = 'worker.activity.update')
EXECUTE FUNCTION tajo_worker_activity_delete();

-- 0007_cancel_reason: why a queued task was canceled. Twin: src/store/sqlite/migrations/0007_cancel_reason.sql.
-- TaskRouter sends the reason with task.canceled (`TaskCanceledReason`, `task_canceled_reason`, or `reason`); the
-- derivation keeps the one of the task.canceled that ended the task (engine/derive/interaction.ts), and the analytics
-- tell a timeout ("Task TTL Exceeded", a workflow timeout) from a customer abandonment with store/cancelReason.ts.
-- The `outcome` values do not change: both stay `abandoned`.

ALTER TABLE interactions ADD COLUMN cancel_reason text;

-- Interactions derived before this migration: the reason from their stored task.canceled event, as the derivation
-- reads it (the latest by time then key; the first non-empty string of these fields).
UPDATE interactions i SET cancel_reason = (
  SELECT coalesce(
    CASE WHEN jsonb_typeof(r.data -> 'task_canceled_reason') = 'string' THEN nullif(r.data ->> 'task_canceled_reason', '') END,
    CASE WHEN jsonb_typeof(r.data -> 'TaskCanceledReason') = 'string' THEN nullif(r.data ->> 'TaskCanceledReason', '') END,
    CASE WHEN jsonb_typeof(r.data -> 'reason') = 'string' THEN nullif(r.data ->> 'reason', '') END,
    CASE WHEN jsonb_typeof(r.data -> 'Reason') = 'string' THEN nullif(r.data ->> 'Reason', '') END)
  FROM raw_events r
  WHERE r.connector_id = i.connector_id AND r.task_sid = i.task_sid AND r.type = 'task.canceled'
  ORDER BY r.occurred_ms DESC, r.key COLLATE "C" DESC LIMIT 1)
WHERE i.outcome IN ('abandoned', 'canceled');

-- The analytics index (0002) keeps covering every column the grouped reads use.
DROP INDEX interactions_analytics;
CREATE INDEX interactions_analytics ON interactions (connector_id, created_ms, queue_sid, channel, outcome, answered_ms, ended_ms, wrapup_ms,
  worker_sid, worker_name, queue_name, task_sid, cancel_reason);

-- 0002_analytics: indexes for reports and the dashboard (src/analytics), read on demand per time range.
-- Twin: src/store/sqlite/migrations/0002_analytics.sql (same statements).

-- The TaskRouter events analytics reads by type and time (activity changes, reservations that rang out, task creations).
-- Queries repeat this exact IN list so the planner can use the partial index.
CREATE INDEX raw_events_analytics ON raw_events (connector_id, type, occurred_ms)
  WHERE type IN ('worker.activity.update', 'reservation.canceled', 'reservation.timeout', 'reservation.rejected', 'tajo.worker.snapshot', 'task.created');

-- CSAT by completion time.
CREATE INDEX surveys_completed ON surveys (connector_id, completed_ms);

-- 0006_forgotten_tasks: what `tajo forget` erased stays erased.
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

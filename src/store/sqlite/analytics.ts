/** Range reads for reports and the dashboard (src/analytics); twin of ../postgres/analytics.ts. */
import {
  ANALYTICS_TYPES_SQL, FACT_COLS, toFact, toSurveyFact, toWorkerEvent,
  type AnalyticsRange, type InteractionFact, type SurveyFact, type WorkerEventFact, type WorkerEventType,
} from '../analytics.js';
import type { SqliteDb } from './db.js';

const MIN = Number.MIN_SAFE_INTEGER;
const MAX = Number.MAX_SAFE_INTEGER;
const bounds = (r: AnalyticsRange): [number, number] => [r.sinceMs ?? MIN, r.untilMs ?? MAX];

export function analyticsInteractions(db: SqliteDb, connectorId: string, range: AnalyticsRange): InteractionFact[] {
  const rows = db.read(() =>
    db.stmt(`SELECT ${FACT_COLS} FROM interactions WHERE connector_id = ? AND created_ms >= ? AND created_ms < ? ORDER BY created_ms, task_sid`)
      .all(connectorId, ...bounds(range)));
  return (rows as Record<string, unknown>[]).map((r) => toFact(r));
}

const SURVEY_COLS = `s.survey_task_sid, s.linked_task_sid, s.score, s.scale, s.completed_ms, ${FACT_COLS.split(', ').map((c) => `i.${c} AS i_${c}`).join(', ')}`;

export function analyticsSurveys(db: SqliteDb, connectorId: string, range: AnalyticsRange): SurveyFact[] {
  const [since, until] = bounds(range);
  const rows = db.read(() =>
    db.stmt(`SELECT ${SURVEY_COLS} FROM surveys s LEFT JOIN interactions i ON i.connector_id = s.connector_id AND i.task_sid = s.linked_task_sid
        WHERE s.connector_id = ? AND s.completed_ms >= ? AND s.completed_ms < ?
      UNION
      SELECT ${SURVEY_COLS} FROM interactions i JOIN surveys s ON s.connector_id = i.connector_id AND s.linked_task_sid = i.task_sid
        WHERE i.connector_id = ? AND i.created_ms >= ? AND i.created_ms < ?
      ORDER BY 5, 1`).all(connectorId, since, until, connectorId, since, until));
  return (rows as Record<string, unknown>[]).map(toSurveyFact);
}

export function workerEvents(db: SqliteDb, connectorId: string, opts: { types: readonly WorkerEventType[]; untilMs?: number }): WorkerEventFact[] {
  if (!opts.types.length) return [];
  const rows = db.read(() =>
    db.stmt(`SELECT key, type, occurred_ms, worker_sid,
        coalesce(json_extract(data, '$.worker_name'), json_extract(data, '$.friendly_name'), json_extract(data, '$.WorkerName')) AS worker_name,
        coalesce(json_extract(data, '$.worker_activity_name'), json_extract(data, '$.activity_name'), json_extract(data, '$.WorkerActivityName')) AS activity
      FROM raw_events WHERE connector_id = ? AND type IN ${ANALYTICS_TYPES_SQL} AND type IN (SELECT value FROM json_each(?))
        AND occurred_ms < ?
      ORDER BY occurred_ms, key`).all(connectorId, JSON.stringify(opts.types), opts.untilMs ?? MAX));
  // worker_sid is checked here, not in SQL: a `worker_sid` term makes SQLite pick the worker index over the partial one
  return (rows as Record<string, unknown>[]).filter((r) => r.worker_sid != null).map(toWorkerEvent);
}

export function tasksWithoutRecords(db: SqliteDb, connectorId: string, range: AnalyticsRange): string[] {
  const rows = db.read(() =>
    db.stmt(`SELECT DISTINCT r.task_sid AS sid FROM raw_events r
      WHERE r.connector_id = ? AND r.type IN ${ANALYTICS_TYPES_SQL} AND r.type = 'task.created' AND r.occurred_ms >= ? AND r.occurred_ms < ?
        AND r.task_sid IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.connector_id = r.connector_id AND i.task_sid = r.task_sid)
        AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.connector_id = r.connector_id AND s.survey_task_sid = r.task_sid)
      ORDER BY 1`).all(connectorId, ...bounds(range)));
  return (rows as { sid: string }[]).map((r) => r.sid);
}

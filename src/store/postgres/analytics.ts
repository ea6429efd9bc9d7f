/** Range reads for reports and the dashboard (src/analytics); twin of ../sqlite/analytics.ts (same rows, same order). */
import {
  ANALYTICS_TYPES_SQL, FACT_COLS, toFact, toSurveyFact, toWorkerEvent,
  type AnalyticsRange, type InteractionFact, type SurveyFact, type WorkerEventFact, type WorkerEventType,
} from '../analytics.js';
import type { PgDb } from './db.js';

const MIN = Number.MIN_SAFE_INTEGER;
const MAX = Number.MAX_SAFE_INTEGER;
const bounds = (r: AnalyticsRange): [number, number] => [r.sinceMs ?? MIN, r.untilMs ?? MAX];

export async function analyticsInteractions(db: PgDb, connectorId: string, range: AnalyticsRange): Promise<InteractionFact[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${FACT_COLS} FROM interactions WHERE connector_id = $1 AND created_ms >= $2 AND created_ms < $3 ORDER BY created_ms, task_sid COLLATE "C"`,
    [connectorId, ...bounds(range)]);
  return rows.map((r) => toFact(r));
}

const SURVEY_COLS = `s.survey_task_sid, s.linked_task_sid, s.score, s.scale, s.completed_ms, ${FACT_COLS.split(', ').map((c) => `i.${c} AS i_${c}`).join(', ')}`;

export async function analyticsSurveys(db: PgDb, connectorId: string, range: AnalyticsRange): Promise<SurveyFact[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${SURVEY_COLS} FROM surveys s LEFT JOIN interactions i ON i.connector_id = s.connector_id AND i.task_sid = s.linked_task_sid
        WHERE s.connector_id = $1 AND s.completed_ms >= $2 AND s.completed_ms < $3
      UNION
      SELECT ${SURVEY_COLS} FROM interactions i JOIN surveys s ON s.connector_id = i.connector_id AND s.linked_task_sid = i.task_sid
        WHERE i.connector_id = $1 AND i.created_ms >= $2 AND i.created_ms < $3
      ORDER BY 5, 1`,
    [connectorId, ...bounds(range)]);
  return rows.map(toSurveyFact).sort((a, b) => a.completedMs - b.completedMs || (a.surveyTaskSid < b.surveyTaskSid ? -1 : a.surveyTaskSid > b.surveyTaskSid ? 1 : 0));
}

export async function workerEvents(db: PgDb, connectorId: string, opts: { types: readonly WorkerEventType[]; untilMs?: number }): Promise<WorkerEventFact[]> {
  if (!opts.types.length) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT key, type, occurred_ms, worker_sid,
        coalesce(data->>'worker_name', data->>'friendly_name', data->>'WorkerName') AS worker_name,
        coalesce(data->>'worker_activity_name', data->>'activity_name', data->>'WorkerActivityName') AS activity
      FROM raw_events WHERE connector_id = $1 AND type IN ${ANALYTICS_TYPES_SQL} AND type = ANY($2::text[])
        AND occurred_ms < $3
      ORDER BY occurred_ms, key COLLATE "C"`,
    [connectorId, [...opts.types], opts.untilMs ?? MAX]);
  return rows.filter((r) => r.worker_sid != null).map(toWorkerEvent);
}

export async function tasksWithoutRecords(db: PgDb, connectorId: string, range: AnalyticsRange): Promise<string[]> {
  const rows = await db.query<{ sid: string }>(
    `SELECT DISTINCT r.task_sid AS sid FROM raw_events r
      WHERE r.connector_id = $1 AND r.type IN ${ANALYTICS_TYPES_SQL} AND r.type = 'task.created' AND r.occurred_ms >= $2 AND r.occurred_ms < $3
        AND r.task_sid IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.connector_id = r.connector_id AND i.task_sid = r.task_sid)
        AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.connector_id = r.connector_id AND s.survey_task_sid = r.task_sid)`,
    [connectorId, ...bounds(range)]);
  return rows.map((r) => r.sid).sort();
}

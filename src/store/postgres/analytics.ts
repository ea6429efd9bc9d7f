/** Grouped range reads for reports and the dashboard (src/analytics); twin of ../sqlite/analytics.ts (same rows). */
import {
  ANALYTICS_TYPES_SQL, CUSTOMER_ABANDONED_SQL, DEFAULT_CSAT_SCALE, TIMED_OUT_SQL, MAX_MS, MIN_MS, activityFromRows, toAgentGroup, toCsatGroup, toQueueGroup, toReservationGroup,
  type ActivityGroup, type AgentGroup, type AnalyticsQuery, type CsatGroup, type QueueGroup, type ReservationGroup,
} from '../analytics.js';
import type { PgDb } from './db.js';

type Row = Record<string, unknown>;

/** $1 connector, $2 since, $3 until, $4 queue SIDs (or null). */
const params = (connectorId: string, q: AnalyticsQuery): unknown[] => [connectorId, q.sinceMs ?? MIN_MS, q.untilMs ?? MAX_MS, q.queueSids ?? null];

const QUEUE_FILTER = 'AND ($4::text[] IS NULL OR i.queue_sid = ANY($4::text[]))';
/** Completed surveys per linked interaction; scores on the query's CSAT scale (parameter `$n`; surveys of another scale in proportion). */
const linkedCsat = ($n: string) => `LEFT JOIN (SELECT linked_task_sid, count(*) AS n, sum(score * ${$n}::float8 / scale) AS total FROM surveys
  WHERE connector_id = $1 AND linked_task_sid IS NOT NULL AND scale > 0 GROUP BY linked_task_sid) c ON c.linked_task_sid = i.task_sid`;
const HANDLED = "i.outcome = 'completed' AND i.answered_ms IS NOT NULL AND i.ended_ms IS NOT NULL";
const RANGE = 'i.connector_id = $1 AND i.created_ms >= $2::bigint AND i.created_ms < $3::bigint';

export async function queueGroups(db: PgDb, connectorId: string, q: AnalyticsQuery & { by: 'day' | 'hour' }): Promise<QueueGroup[]> {
  const rows = await db.query<Row>(
    `SELECT i.queue_sid, max(i.queue_name) AS queue_name, i.channel, (i.created_ms / $5::bigint) * $5::bigint AS period_ms,
        count(*) AS entered, count(i.answered_ms) AS answered,
        count(*) FILTER (WHERE ${CUSTOMER_ABANDONED_SQL}) AS abandoned, count(*) FILTER (WHERE ${TIMED_OUT_SQL}) AS timed_out,
        string_agg((i.answered_ms - i.created_ms)::text, ',') AS waits,
        count(*) FILTER (WHERE ${HANDLED}) AS handled, sum(i.ended_ms - i.answered_ms) FILTER (WHERE ${HANDLED}) AS handle_sum,
        string_agg(DISTINCT i.worker_sid, ',') FILTER (WHERE ${HANDLED}) AS workers,
        sum(c.n) AS csat_count, sum(c.total) AS csat_sum
      FROM interactions i ${linkedCsat('$6')}
      WHERE ${RANGE} ${QUEUE_FILTER}
      GROUP BY i.queue_sid, i.channel, 4`,
    [...params(connectorId, q), q.by === 'hour' ? 3_600_000 : 86_400_000, q.csatScale ?? DEFAULT_CSAT_SCALE]);
  return rows.map(toQueueGroup);
}

export async function agentGroups(db: PgDb, connectorId: string, q: AnalyticsQuery): Promise<AgentGroup[]> {
  const rows = await db.query<Row>(
    `SELECT i.worker_sid, max(i.worker_name) AS worker_name, (i.created_ms / 86400000) * 86400000 AS day_ms,
        string_agg((i.ended_ms - i.answered_ms)::text, ',') AS handles, sum(i.ended_ms - i.wrapup_ms) AS wrapup_sum, count(i.wrapup_ms) AS wrapup_count,
        sum(c.n) AS csat_count, sum(c.total) AS csat_sum
      FROM interactions i ${linkedCsat('$5')}
      WHERE ${RANGE} AND ${HANDLED} AND i.worker_sid IS NOT NULL ${QUEUE_FILTER}
      GROUP BY i.worker_sid, 3`,
    [...params(connectorId, q), q.csatScale ?? DEFAULT_CSAT_SCALE]);
  return rows.map(toAgentGroup);
}

/** Activity updates in (worker, time) order from `worker_activity` (kept by triggers), aggregated by `activityFromRows`. */
export async function activityGroups(db: PgDb, connectorId: string, q: { sinceMs?: number; endMs: number }): Promise<ActivityGroup[]> {
  const rows = await db.query<{ worker_sid: string; occurred_ms: number; activity: string | null }>(
    'SELECT worker_sid, occurred_ms, activity FROM worker_activity WHERE connector_id = $1 AND occurred_ms < $2::bigint ORDER BY worker_sid, occurred_ms, key COLLATE "C"',
    [connectorId, q.endMs]);
  const names = await db.query<{ worker_sid: string; name: string | null }>('SELECT worker_sid, max(worker_name) AS name FROM worker_activity WHERE connector_id = $1 GROUP BY worker_sid', [connectorId]);
  return activityFromRows(rows.map((r) => [r.worker_sid, r.occurred_ms, r.activity]), q.sinceMs ?? MIN_MS, q.endMs,
    new Map(names.filter((n) => n.name !== null).map((n) => [n.worker_sid, n.name as string])));
}

export async function reservationGroups(db: PgDb, connectorId: string, q: { sinceMs?: number; endMs: number; queueSids?: string[] }): Promise<ReservationGroup[]> {
  const rows = await db.query<Row>(
    `SELECT r.worker_sid, (r.occurred_ms / 86400000) * 86400000 AS day_ms, r.type, count(*) AS n FROM raw_events r
      WHERE r.connector_id = $1 AND r.type IN ${ANALYTICS_TYPES_SQL} AND r.type IN ('reservation.canceled', 'reservation.timeout', 'reservation.rejected')
        AND r.occurred_ms >= $2::bigint AND r.occurred_ms < $3::bigint
        AND ($4::text[] IS NULL OR EXISTS (SELECT 1 FROM interactions i WHERE i.connector_id = r.connector_id AND i.task_sid = r.task_sid ${QUEUE_FILTER}))
      GROUP BY r.worker_sid, 2, r.type`,
    [connectorId, q.sinceMs ?? MIN_MS, q.endMs, q.queueSids ?? null]);
  return rows.filter((r) => r.worker_sid != null).map(toReservationGroup);
}

export async function csatGroups(db: PgDb, connectorId: string, q: AnalyticsQuery & { lateMs: number }): Promise<CsatGroup[]> {
  const rows = await db.query<Row>(
    `SELECT (s.completed_ms / 86400000) * 86400000 AS day_ms, s.score, s.scale, i.channel, i.queue_sid,
        CASE WHEN i.ended_ms IS NOT NULL AND s.completed_ms - i.ended_ms > $5::bigint THEN 1 ELSE 0 END AS late, count(*) AS n
      FROM surveys s LEFT JOIN interactions i ON i.connector_id = s.connector_id AND i.task_sid = s.linked_task_sid
      WHERE s.connector_id = $1 AND s.completed_ms >= $2::bigint AND s.completed_ms < $3::bigint ${QUEUE_FILTER}
      GROUP BY 1, 2, 3, 4, 5, 6`,
    [...params(connectorId, q), q.lateMs]);
  return rows.map(toCsatGroup);
}

export async function analyticsQueues(db: PgDb, connectorId: string): Promise<Array<{ queueSid: string; queueName: string | null }>> {
  const rows = await db.query<Row>('SELECT queue_sid, max(queue_name) AS queue_name FROM interactions WHERE connector_id = $1 AND queue_sid IS NOT NULL GROUP BY queue_sid', [connectorId]);
  return rows.map((r) => ({ queueSid: String(r.queue_sid), queueName: r.queue_name == null ? null : String(r.queue_name) }));
}

export async function tasksWithoutRecords(db: PgDb, connectorId: string, q: { sinceMs?: number; untilMs?: number }): Promise<string[]> {
  const rows = await db.query<{ sid: string }>(
    `SELECT DISTINCT r.task_sid AS sid FROM raw_events r
      WHERE r.connector_id = $1 AND r.type IN ${ANALYTICS_TYPES_SQL} AND r.type = 'task.created' AND r.occurred_ms >= $2::bigint AND r.occurred_ms < $3::bigint
        AND r.task_sid IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.connector_id = r.connector_id AND i.task_sid = r.task_sid)
        AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.connector_id = r.connector_id AND s.survey_task_sid = r.task_sid)`,
    [connectorId, q.sinceMs ?? MIN_MS, q.untilMs ?? MAX_MS]);
  return rows.map((r) => r.sid).sort();
}

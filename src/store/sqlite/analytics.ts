/** Grouped range reads for reports and the dashboard (src/analytics); twin of ../postgres/analytics.ts (same rows). */
import {
  ANALYTICS_TYPES_SQL, CUSTOMER_ABANDONED_SQL, DEFAULT_CSAT_SCALE, TIMED_OUT_SQL, MAX_MS, MIN_MS, activityFromRows, toAgentGroup, toCsatGroup, toQueueGroup, toReservationGroup,
  type ActivityGroup, type AgentGroup, type AnalyticsQuery, type CsatGroup, type QueueGroup, type ReservationGroup,
} from '../analytics.js';
import type { SqliteDb } from './db.js';

type Row = Record<string, unknown>;

/** Times are bound as BigInt: better-sqlite3 binds JS numbers as REAL, and REAL arithmetic would not truncate to days. */
const ms = (v: number): bigint => BigInt(Math.trunc(v));

const params = (connectorId: string, q: AnalyticsQuery) => ({
  c: connectorId,
  since: ms(q.sinceMs ?? MIN_MS),
  until: ms(q.untilMs ?? MAX_MS),
  queues: q.queueSids ? JSON.stringify(q.queueSids) : null,
});

const withCsatScale = (connectorId: string, q: AnalyticsQuery) => ({ ...params(connectorId, q), csatScale: q.csatScale ?? DEFAULT_CSAT_SCALE });

const QUEUE_FILTER = 'AND (@queues IS NULL OR i.queue_sid IN (SELECT value FROM json_each(@queues)))';
/** Completed surveys per linked interaction; scores on the query's CSAT scale (surveys of another scale in proportion). */
const LINKED_CSAT = `LEFT JOIN (SELECT linked_task_sid, count(*) AS n, sum(score * @csatScale / scale) AS total FROM surveys
  WHERE connector_id = @c AND linked_task_sid IS NOT NULL AND scale > 0 GROUP BY linked_task_sid) c ON c.linked_task_sid = i.task_sid`;
const HANDLED = "i.outcome = 'completed' AND i.answered_ms IS NOT NULL AND i.ended_ms IS NOT NULL";

export function queueGroups(db: SqliteDb, connectorId: string, q: AnalyticsQuery & { by: 'day' | 'hour' }): QueueGroup[] {
  const unit = q.by === 'hour' ? '3600000' : '86400000';
  const rows = db.read(() =>
    db.stmt(`SELECT i.queue_sid, max(i.queue_name) AS queue_name, i.channel, (i.created_ms / ${unit}) * ${unit} AS period_ms,
        count(*) AS entered, count(i.answered_ms) AS answered,
        sum(${CUSTOMER_ABANDONED_SQL}) AS abandoned, sum(${TIMED_OUT_SQL}) AS timed_out,
        group_concat(i.answered_ms - i.created_ms) AS waits,
        sum(${HANDLED}) AS handled, sum(CASE WHEN ${HANDLED} THEN i.ended_ms - i.answered_ms END) AS handle_sum,
        group_concat(DISTINCT CASE WHEN ${HANDLED} THEN i.worker_sid END) AS workers,
        sum(c.n) AS csat_count, sum(c.total) AS csat_sum
      FROM interactions i ${LINKED_CSAT}
      WHERE i.connector_id = @c AND i.created_ms >= @since AND i.created_ms < @until ${QUEUE_FILTER}
      GROUP BY i.queue_sid, i.channel, period_ms`).all(withCsatScale(connectorId, q)));
  return (rows as Row[]).map(toQueueGroup);
}

export function agentGroups(db: SqliteDb, connectorId: string, q: AnalyticsQuery): AgentGroup[] {
  const rows = db.read(() =>
    db.stmt(`SELECT i.worker_sid, max(i.worker_name) AS worker_name, (i.created_ms / 86400000) * 86400000 AS day_ms,
        group_concat(i.ended_ms - i.answered_ms) AS handles, sum(i.ended_ms - i.wrapup_ms) AS wrapup_sum, count(i.wrapup_ms) AS wrapup_count,
        sum(c.n) AS csat_count, sum(c.total) AS csat_sum
      FROM interactions i ${LINKED_CSAT}
      WHERE i.connector_id = @c AND i.created_ms >= @since AND i.created_ms < @until AND ${HANDLED} AND i.worker_sid IS NOT NULL ${QUEUE_FILTER}
      GROUP BY i.worker_sid, day_ms`).all(withCsatScale(connectorId, q)));
  return (rows as Row[]).map(toAgentGroup);
}

/** Activity updates in (worker, time) order from `worker_activity` (kept by triggers), aggregated by `activityFromRows`. */
export function activityGroups(db: SqliteDb, connectorId: string, q: { sinceMs?: number; endMs: number }): ActivityGroup[] {
  return db.read(() => {
    const rows = db.stmt('SELECT worker_sid, occurred_ms, activity FROM worker_activity WHERE connector_id = ? AND occurred_ms < ? ORDER BY worker_sid, occurred_ms, key')
      .raw(true).all(connectorId, ms(q.endMs)) as unknown[][];
    const names = db.stmt('SELECT worker_sid, max(worker_name) AS name FROM worker_activity WHERE connector_id = ? GROUP BY worker_sid').all(connectorId) as { worker_sid: string; name: string | null }[];
    return activityFromRows(rows, q.sinceMs ?? MIN_MS, q.endMs, new Map(names.filter((n) => n.name !== null).map((n) => [n.worker_sid, n.name as string])));
  });
}

export function reservationGroups(db: SqliteDb, connectorId: string, q: { sinceMs?: number; endMs: number; queueSids?: string[] }): ReservationGroup[] {
  const rows = db.read(() =>
    db.stmt(`SELECT r.worker_sid, (r.occurred_ms / 86400000) * 86400000 AS day_ms, r.type, count(*) AS n FROM raw_events r INDEXED BY raw_events_analytics
      WHERE r.connector_id = @c AND r.type IN ${ANALYTICS_TYPES_SQL} AND r.type IN ('reservation.canceled', 'reservation.timeout', 'reservation.rejected')
        AND r.occurred_ms >= @since AND r.occurred_ms < @end
        AND (@queues IS NULL OR EXISTS (SELECT 1 FROM interactions i WHERE i.connector_id = r.connector_id AND i.task_sid = r.task_sid ${QUEUE_FILTER}))
      GROUP BY r.worker_sid, day_ms, r.type`).all({ c: connectorId, since: ms(q.sinceMs ?? MIN_MS), end: ms(q.endMs), queues: q.queueSids ? JSON.stringify(q.queueSids) : null }));
  return (rows as Row[]).filter((r) => r.worker_sid != null).map(toReservationGroup);
}

export function csatGroups(db: SqliteDb, connectorId: string, q: AnalyticsQuery & { lateMs: number }): CsatGroup[] {
  const rows = db.read(() =>
    db.stmt(`SELECT (s.completed_ms / 86400000) * 86400000 AS day_ms, s.score, s.scale, i.channel, i.queue_sid,
        CASE WHEN i.ended_ms IS NOT NULL AND s.completed_ms - i.ended_ms > @late THEN 1 ELSE 0 END AS late, count(*) AS n
      FROM surveys s LEFT JOIN interactions i ON i.connector_id = s.connector_id AND i.task_sid = s.linked_task_sid
      WHERE s.connector_id = @c AND s.completed_ms >= @since AND s.completed_ms < @until ${QUEUE_FILTER}
      GROUP BY 1, 2, 3, 4, 5, 6`).all({ ...params(connectorId, q), late: ms(q.lateMs) }));
  return (rows as Row[]).map(toCsatGroup);
}

export function analyticsQueues(db: SqliteDb, connectorId: string): Array<{ queueSid: string; queueName: string | null }> {
  const rows = db.read(() =>
    db.stmt('SELECT queue_sid, max(queue_name) AS queue_name FROM interactions WHERE connector_id = ? AND queue_sid IS NOT NULL GROUP BY queue_sid').all(connectorId));
  return (rows as Row[]).map((r) => ({ queueSid: String(r.queue_sid), queueName: r.queue_name == null ? null : String(r.queue_name) }));
}

export function tasksWithoutRecords(db: SqliteDb, connectorId: string, q: { sinceMs?: number; untilMs?: number }): string[] {
  const rows = db.read(() =>
    db.stmt(`SELECT DISTINCT r.task_sid AS sid FROM raw_events r
      WHERE r.connector_id = @c AND r.type IN ${ANALYTICS_TYPES_SQL} AND r.type = 'task.created' AND r.occurred_ms >= @since AND r.occurred_ms < @until
        AND r.task_sid IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.connector_id = r.connector_id AND i.task_sid = r.task_sid)
        AND NOT EXISTS (SELECT 1 FROM surveys s WHERE s.connector_id = r.connector_id AND s.survey_task_sid = r.task_sid)
      ORDER BY 1`).all({ c: connectorId, since: ms(q.sinceMs ?? MIN_MS), until: ms(q.untilMs ?? MAX_MS) }));
  return (rows as { sid: string }[]).map((r) => r.sid);
}

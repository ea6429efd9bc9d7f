import type { Database } from 'better-sqlite3';
import { isoSeconds } from '../../common/clock.js';
import { compileExpression } from './expression.js';
import { taskStatusExpr, taskVisible } from './sql.js';

/** Statistics computed from the world tables (events for cumulative figures, tasks/workers for real time). */
export interface StatsScope {
  db: Database;
  window: [number, number];
  /** Task channel unique name, or null for all. */
  channel: string | null;
}

export interface Durations { avg: number; min: number; max: number; total: number }

const RES_TYPES = ['created', 'accepted', 'rejected', 'timeout', 'canceled', 'rescinded'] as const;

function durations(values: number[]): Durations {
  if (values.length === 0) return { avg: 0, min: 0, max: 0, total: 0 };
  const s = values.map((v) => Math.max(0, Math.round(v / 1000)));
  const total = s.reduce((a, b) => a + b, 0);
  return { avg: Math.round(total / s.length), min: Math.min(...s), max: Math.max(...s), total };
}

function channelCond(scope: StatsScope, params: unknown[]): string {
  if (!scope.channel) return '1';
  params.push(scope.channel);
  return 'e.task_channel = ?';
}

/** reservations_created/accepted/rejected/timed_out/canceled/rescinded over events matching `cond`. */
export function reservationCounts(scope: StatsScope, cond: string, condParams: unknown[]): Record<string, number> {
  const p: unknown[] = [scope.window[0], scope.window[1], ...condParams];
  const ch = channelCond(scope, p);
  const rows = scope.db
    .prepare(`SELECT e.event_type AS t, COUNT(*) AS n FROM events e WHERE e.event_date_ms BETWEEN ? AND ? AND ${cond} AND ${ch}
      AND e.event_type LIKE 'reservation.%' GROUP BY e.event_type`)
    .all(...p) as { t: string; n: number }[];
  const by = new Map(rows.map((r) => [r.t, r.n]));
  const out: Record<string, number> = {};
  for (const t of RES_TYPES) out[`reservations_${t === 'timeout' ? 'timed_out' : t}`] = by.get(`reservation.${t}`) ?? 0;
  return out;
}

/** Per activity: time spent (s) in it, from `worker.activity.update` events (the previous activity's duration). */
export function activityDurations(scope: StatsScope, cond: string, condParams: unknown[]): Record<string, unknown>[] {
  const rows = scope.db
    .prepare(`SELECT json_extract(e.event_data, '$.worker_previous_activity_sid') AS sid,
        COALESCE(CAST(json_extract(e.event_data, '$.worker_time_in_previous_activity_ms') AS INTEGER),
                 CAST(json_extract(e.event_data, '$.worker_time_in_previous_activity') AS INTEGER) * 1000) AS ms
      FROM events e WHERE e.event_date_ms BETWEEN ? AND ? AND e.event_type = 'worker.activity.update' AND json_valid(e.event_data) AND ${cond}`)
    .all(scope.window[0], scope.window[1], ...condParams) as { sid: string | null; ms: number | null }[];
  const acts = scope.db.prepare('SELECT sid, friendly_name FROM activities ORDER BY date_created_ms, sid').all() as { sid: string; friendly_name: string }[];
  return acts.map((a) => ({
    sid: a.sid,
    friendly_name: a.friendly_name,
    ...durations(rows.filter((r) => r.sid === a.sid && r.ms !== null).map((r) => r.ms ?? 0)),
  }));
}

export function workerCumulative(scope: StatsScope, workerSid: string | null): Record<string, unknown> {
  const cond = workerSid ? 'e.worker_sid = ?' : '1';
  const p = workerSid ? [workerSid] : [];
  return {
    ...reservationCounts(scope, cond, p),
    activity_durations: activityDurations(scope, cond, p),
    start_time: isoSeconds(scope.window[0]),
    end_time: isoSeconds(scope.window[1]),
  };
}

/** TaskQueue cumulative statistics (`…/TaskQueues/{WQ}/CumulativeStatistics`). */
export function queueCumulative(scope: StatsScope, queueSid: string, splitBy: number[] | null): Record<string, unknown> {
  const p: unknown[] = [scope.window[0], scope.window[1], queueSid];
  const ch = channelCond(scope, p);
  const base = `FROM events e WHERE e.event_date_ms BETWEEN ? AND ? AND e.task_queue_sid = ? AND ${ch}`;
  const counts = scope.db
    .prepare(`SELECT SUM(e.event_type = 'task-queue.entered') AS entered, SUM(e.event_type = 'task.created') AS created,
        SUM(e.event_type = 'task.canceled') AS canceled, SUM(e.event_type = 'task.completed') AS completed,
        SUM(e.event_type IN ('task.deleted', 'task.system-deleted')) AS deleted, SUM(e.event_type = 'task-queue.moved') AS moved ${base}`)
    .get(...p) as Record<string, number | null>;
  const waits = (type: string, from: string): { ms: number }[] =>
    scope.db
      .prepare(`SELECT e.event_date_ms - ${from} AS ms FROM events e JOIN tasks t ON t.sid = e.task_sid
        WHERE e.event_date_ms BETWEEN ? AND ? AND e.task_queue_sid = ? AND ${ch} AND e.event_type = '${type}'`)
      .all(...p) as { ms: number }[];
  const accepted = waits('reservation.accepted', 't.date_created_ms').map((r) => r.ms);
  const acceptedInQueue = waits('reservation.accepted', 'COALESCE(t.task_queue_entered_ms, t.date_created_ms)').map((r) => r.ms);
  const canceled = waits('task.canceled', 't.date_created_ms').map((r) => r.ms);
  const untilAccepted = durations(accepted);
  let split: Record<string, unknown> | null = null;
  if (splitBy && splitBy.length) {
    split = {};
    for (const s of splitBy) {
      split[String(s)] = {
        above: { tasks_canceled: canceled.filter((m) => m > s * 1000).length, reservations_accepted: accepted.filter((m) => m > s * 1000).length },
        below: { tasks_canceled: canceled.filter((m) => m <= s * 1000).length, reservations_accepted: accepted.filter((m) => m <= s * 1000).length },
      };
    }
  }
  return {
    avg_task_acceptance_time: untilAccepted.avg,
    start_time: isoSeconds(scope.window[0]),
    end_time: isoSeconds(scope.window[1]),
    ...reservationCounts(scope, 'e.task_queue_sid = ?', [queueSid]),
    split_by_wait_time: split,
    wait_duration_until_accepted: untilAccepted,
    wait_duration_until_canceled: durations(canceled),
    wait_duration_in_queue_until_accepted: durations(acceptedInQueue),
    tasks_canceled: counts.canceled ?? 0,
    tasks_completed: counts.completed ?? 0,
    tasks_deleted: counts.deleted ?? 0,
    tasks_entered: (counts.entered ?? 0) > 0 ? (counts.entered ?? 0) : (counts.created ?? 0),
    tasks_moved: counts.moved ?? 0,
  };
}

/** Workers a queue targets (its target_workers expression; unsupported expressions → every worker). */
function eligibleWorkers(db: Database, targetWorkers: string | null): { activity_sid: string }[] {
  let where = '1';
  let params: unknown[] = [];
  if (targetWorkers !== null) {
    try {
      const c = compileExpression(targetWorkers || '1==1', 'wk.attributes');
      where = c.sql;
      params = c.params;
    } catch {
      // unsupported expression: all workers
    }
  }
  return db.prepare(`SELECT wk.activity_sid FROM workers wk WHERE ${where}`).all(...params) as { activity_sid: string }[];
}

export function activityStatistics(db: Database, targetWorkers: string | null): { stats: Record<string, unknown>[]; total: number; available: number } {
  const workers = eligibleWorkers(db, targetWorkers);
  const acts = db.prepare('SELECT sid, friendly_name, available FROM activities ORDER BY date_created_ms, sid').all() as {
    sid: string;
    friendly_name: string;
    available: number;
  }[];
  const count = (sid: string): number => workers.filter((w) => w.activity_sid === sid).length;
  return {
    stats: acts.map((a) => ({ sid: a.sid, friendly_name: a.friendly_name, workers: count(a.sid) })),
    total: workers.length,
    available: acts.filter((a) => a.available === 1).reduce((n, a) => n + count(a.sid), 0),
  };
}

/** TaskQueue real-time statistics, as of now. */
export function queueRealtime(db: Database, queueSid: string, nowMs: number, retentionMs: number, channel: string | null): Record<string, unknown> {
  const queue = db.prepare('SELECT target_workers FROM task_queues WHERE sid = ?').get(queueSid) as { target_workers: string } | undefined;
  const p: unknown[] = [queueSid];
  if (channel) p.push(channel);
  const tasks = db
    .prepare(`SELECT * FROM (SELECT t.sid, t.priority, t.date_created_ms AS created, COALESCE(t.task_queue_entered_ms, t.date_created_ms) AS entered,
        ${taskStatusExpr(nowMs)} AS st FROM tasks t WHERE t.task_queue_sid = ? ${channel ? 'AND t.task_channel_unique_name = ?' : ''}
        AND ${taskVisible(nowMs, retentionMs)} AND (t.ended_ms IS NULL OR t.ended_ms > ${Math.floor(nowMs)}))
      WHERE st IN ('pending', 'reserved', 'assigned', 'wrapping')`)
    .all(...p) as { sid: string; priority: number; created: number; entered: number; st: string }[];
  const byStatus: Record<string, number> = { pending: 0, reserved: 0, assigned: 0, wrapping: 0 };
  const byPriority: Record<string, number> = {};
  for (const t of tasks) {
    byStatus[t.st] = (byStatus[t.st] ?? 0) + 1;
    byPriority[String(t.priority)] = (byPriority[String(t.priority)] ?? 0) + 1;
  }
  const waiting = tasks.filter((t) => t.st === 'pending' || t.st === 'reserved');
  const oldest = waiting.reduce<(typeof waiting)[number] | undefined>((a, t) => (!a || t.created < a.created ? t : a), undefined);
  const oldestInQueue = waiting.reduce<(typeof waiting)[number] | undefined>((a, t) => (!a || t.entered < a.entered ? t : a), undefined);
  const acts = activityStatistics(db, queue?.target_workers ?? null);
  return {
    activity_statistics: acts.stats,
    longest_task_waiting_age: oldest ? Math.floor((nowMs - oldest.created) / 1000) : 0,
    longest_task_waiting_sid: oldest?.sid ?? null,
    longest_relative_task_age_in_queue: oldestInQueue ? Math.floor((nowMs - oldestInQueue.entered) / 1000) : 0,
    longest_relative_task_sid_in_queue: oldestInQueue?.sid ?? null,
    tasks_by_priority: byPriority,
    tasks_by_status: byStatus,
    total_available_workers: acts.available,
    total_eligible_workers: acts.total,
    total_tasks: tasks.length,
  };
}

/**
 * Grouped reads for reports and the dashboard (src/analytics). The database groups and sums over an indexed time range
 * (migration 0002_analytics: covering index of interactions, partial index of the raw events analytics reads, the
 * `worker_activity` table kept by triggers as activity events are stored), so only
 * compact rows reach JavaScript; durations whose percentiles are reported come back as lists (exact nearest-rank).
 */
import type { Channel } from '../config/defaults.js';
import { timeoutReasonSql } from './cancelReason.js';

export interface AnalyticsQuery {
  /** Inclusive (ms); absent = unbounded. */
  sinceMs?: number;
  /** Exclusive (ms); absent = unbounded. */
  untilMs?: number;
  /** Only interactions whose final queue is one of these. */
  queueSids?: string[];
  /** The scale CSAT sums are on: each score counts as score × csatScale / its survey's scale (default 5). */
  csatScale?: number;
}

/** Interactions of one (final queue, channel, period of created_at). */
export interface QueueGroup {
  queueSid: string | null;
  queueName: string | null;
  channel: Channel | null;
  /** Start of the UTC day or hour (ms). */
  periodMs: number;
  entered: number;
  answered: number;
  /** Outcome `abandoned` whose cancel reason is not a timeout: the customer left (store/cancelReason.ts). */
  abandoned: number;
  /** Outcome `abandoned` that TaskRouter canceled because it timed out (TTL exceeded, workflow timeout, no worker accepted it). */
  timedOut: number;
  /** answered_at − created_at of the answered ones (ms, unordered). */
  waitsMs: number[];
  /** Completed and answered: handle time = ended_at − answered_at. */
  handled: number;
  handleSumMs: number;
  /** Final agents of the handled ones. */
  handledWorkers: string[];
  /** Completed surveys linked to these interactions. */
  csatCount: number;
  csatSum: number;
}

/** Completed interactions of one (final agent, UTC day of created_at). */
export interface AgentGroup {
  workerSid: string;
  workerName: string | null;
  dayMs: number;
  /** ended_at − answered_at (ms, unordered). */
  handleMs: number[];
  wrapupSumMs: number;
  wrapupCount: number;
  csatCount: number;
  csatSum: number;
}

/** Time (ms) one worker spent in one activity (by name) within one UTC day, from `worker.activity.update` events. */
export interface ActivityGroup {
  workerSid: string;
  workerName: string | null;
  dayMs: number;
  activity: string | null;
  ms: number;
}

export type ReservationOutcome = 'reservation.canceled' | 'reservation.timeout' | 'reservation.rejected';

export interface ReservationGroup {
  workerSid: string;
  dayMs: number;
  type: ReservationOutcome;
  count: number;
}

/** Completed surveys of one (UTC day of completion, score, linked channel/queue, late or not). */
export interface CsatGroup {
  dayMs: number;
  score: number;
  scale: number;
  channel: Channel | null;
  queueSid: string | null;
  late: boolean;
  count: number;
}

export interface AnalyticsReads {
  /** Queues per day (`by: day`) or hour. */
  queueGroups(connectorId: string, q: AnalyticsQuery & { by: 'day' | 'hour' }): Promise<QueueGroup[]>;
  /** Handled tasks per agent and day of created_at. */
  agentGroups(connectorId: string, q: AnalyticsQuery): Promise<AgentGroup[]>;
  /**
   * Activity time per worker, day and activity name between `sinceMs` and `endMs`: each update starts a segment
   * that lasts until the worker's next update (or `endMs`); time before a worker's first update is not counted.
   */
  activityGroups(connectorId: string, q: { sinceMs?: number; endMs: number }): Promise<ActivityGroup[]>;
  /** Reservation outcomes per worker and day of the event, in [sinceMs, endMs). */
  /** With `queueSids`: only reservations of tasks whose final queue is one of them (as the other sections filter). */
  reservationGroups(connectorId: string, q: { sinceMs?: number; endMs: number; queueSids?: string[] }): Promise<ReservationGroup[]>;
  /** Surveys completed in the range; `late` = completed more than `lateMs` after the linked interaction ended. */
  csatGroups(connectorId: string, q: AnalyticsQuery & { lateMs: number }): Promise<CsatGroup[]>;
  /** The queues interactions were in (for `--queue NAME`), with their latest known names. */
  analyticsQueues(connectorId: string): Promise<Array<{ queueSid: string; queueName: string | null }>>;
  /**
   * Tasks with a `task.created` event in the range that have neither an interaction nor a survey row: pending or
   * canceled surveys ("absent"), open tasks not derived yet, dead letters. The caller classifies them from their raw events.
   */
  tasksWithoutRecords(connectorId: string, q: { sinceMs?: number; untilMs?: number }): Promise<string[]>;
}

/** The CSAT scale of sums when a query names none (the default survey scale). */
export const DEFAULT_CSAT_SCALE = 5;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** Bounds for SQL when a side of the range is open. */
export const MIN_MS = -8_640_000_000_000_000;
export const MAX_MS = 8_640_000_000_000_000;

/** The SQL IN list of migration 0002's partial index, repeated verbatim by the queries that use it. */
export const ANALYTICS_TYPES_SQL = "('reservation.canceled', 'reservation.timeout', 'reservation.rejected', 'task.created')";

/** Abandoned interactions the customer left / that timed out (the one rule of store/cancelReason.ts), for both dialects. */
export const CUSTOMER_ABANDONED_SQL = `i.outcome = 'abandoned' AND NOT ${timeoutReasonSql('i.cancel_reason')}`;
export const TIMED_OUT_SQL = `i.outcome = 'abandoned' AND ${timeoutReasonSql('i.cancel_reason')}`;

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v == null ? null : String(v));
const int = (v: unknown): number => (v == null ? 0 : Number(v));
/** `group_concat` / `string_agg` of integers → numbers. */
export const msList = (v: unknown): number[] => (v == null || v === '' ? [] : String(v).split(',').map(Number));

export const toQueueGroup = (r: Row): QueueGroup => ({
  queueSid: str(r.queue_sid), queueName: str(r.queue_name), channel: str(r.channel) as Channel | null, periodMs: int(r.period_ms),
  entered: int(r.entered), answered: int(r.answered), abandoned: int(r.abandoned), timedOut: int(r.timed_out), waitsMs: msList(r.waits),
  handled: int(r.handled), handleSumMs: int(r.handle_sum), handledWorkers: r.workers == null || r.workers === '' ? [] : String(r.workers).split(','),
  csatCount: int(r.csat_count), csatSum: int(r.csat_sum),
});

export const toAgentGroup = (r: Row): AgentGroup => ({
  workerSid: String(r.worker_sid), workerName: str(r.worker_name), dayMs: int(r.day_ms), handleMs: msList(r.handles),
  wrapupSumMs: int(r.wrapup_sum), wrapupCount: int(r.wrapup_count), csatCount: int(r.csat_count), csatSum: int(r.csat_sum),
});

export const toReservationGroup = (r: Row): ReservationGroup => ({
  workerSid: String(r.worker_sid), dayMs: int(r.day_ms), type: String(r.type) as ReservationOutcome, count: int(r.n),
});

export const toCsatGroup = (r: Row): CsatGroup => ({
  dayMs: int(r.day_ms), score: Number(r.score), scale: Number(r.scale), channel: str(r.channel) as Channel | null,
  queueSid: str(r.queue_sid), late: Number(r.late) === 1 || r.late === true, count: int(r.n),
});

/**
 * Activity time per (worker, UTC day, activity) from `worker_activity` rows ordered by (worker, time, key): each update
 * lasts until the same worker's next update, or `endMs` for the last one; segments are clipped to [sinceMs, endMs) and
 * split at UTC midnights. (Aggregated here rather than in SQL: a grouped SQL pipeline over every update costs more.)
 */
export function activityFromRows(rows: ReadonlyArray<readonly unknown[]>, sinceMs: number, endMs: number, names: ReadonlyMap<string, string>): ActivityGroup[] {
  const out = new Map<string, ActivityGroup>();
  const add = (workerSid: string, activity: string | null, from: number, to: number) => {
    for (let t = Math.max(from, sinceMs); t < to; ) {
      const dayMs = Math.floor(t / DAY_MS) * DAY_MS;
      const end = Math.min(dayMs + DAY_MS, to);
      const key = `${workerSid}|${dayMs}|${activity ?? ''}`;
      let g = out.get(key);
      if (!g) out.set(key, (g = { workerSid, workerName: names.get(workerSid) ?? null, dayMs, activity, ms: 0 }));
      g.ms += end - t;
      t = end;
    }
  };
  for (let i = 0; i < rows.length; i++) {
    const [sid, at, activity] = rows[i] as [string, number, string | null];
    const next = rows[i + 1] as [string, number] | undefined;
    add(sid, activity, Number(at), Math.min(next && next[0] === sid ? Number(next[1]) : endMs, endMs));
  }
  return [...out.values()];
}

/**
 * The report (`tajo report --json`, the dashboard API). Field names are snake_case like the generator's ground truth
 * (`GroundTruth.metrics`), whose fields every row here carries with the same meaning; extra fields are derived from them.
 * Seconds have 1 decimal; percentages have 1 decimal (12.5 = 12.5 %); null = no data for the ratio or statistic.
 */
import type { Channel } from '../config/defaults.js';

export type Granularity = 'day' | 'hour';
export type Section = 'summary' | 'timeline' | 'queues' | 'agents' | 'channels' | 'csat';
export const SECTIONS: readonly Section[] = ['summary', 'timeline', 'queues', 'agents', 'channels', 'csat'];

export interface ReportOptions {
  /** Interactions created at or after (ms); absent = everything stored. */
  sinceMs?: number;
  /** Interactions created before (ms); absent = now. Activity time is counted up to min(until, now). */
  untilMs?: number;
  /** The clock (ms). */
  nowMs: number;
  /** Queue SID or name (case-insensitive). */
  queue?: string;
  /** Rows per day (default) or per hour. */
  by?: Granularity;
  serviceLevelSeconds: number;
  lowScoreThreshold: number;
  /** Phone region for classifying survey tasks that have no record (absent surveys). */
  defaultPhoneRegion?: string;
  /** Sections to compute (default all). */
  sections?: readonly Section[];
}

/** How a set of interactions was served; every breakdown (queue, channel, period, summary) carries these. */
export interface ServiceCounts {
  answered: number;
  /** Canceled while queued because the customer left (hung up, left the chat): any cancel reason but a timeout. */
  abandoned: number;
  /** Canceled while queued because TaskRouter timed the task out (TTL exceeded, workflow timeout, no worker accepted it): not in abandon_rate. */
  timed_out: number;
  /** abandoned / entered (customer abandonments only). */
  abandon_rate: number | null;
  answered_within_sl: number;
  /** answered_within_sl / answered. */
  service_level: number | null;
}

/** Queue activity of one (queue, period, channel); truth fields: queue_sid … answered_within_sl. */
export interface QueueRow extends ServiceCounts {
  queue_sid: string;
  queue_name: string;
  day: string;
  /** Hourly rows only. */
  hour?: string;
  channel: Channel;
  entered: number;
  wait_p50: number | null;
  wait_p90: number | null;
  wait_max: number | null;
  wait_avg: number | null;
}

/** One queue over the whole range, all channels, with its day-by-day series (sparklines). */
export interface QueueTotal extends Omit<QueueRow, 'day' | 'hour' | 'channel'> {
  by_channel: Partial<Record<Channel, number>>;
  daily: Array<{ day: string; entered: number; abandoned: number; timed_out: number; service_level: number | null; wait_p50: number | null }>;
}

/** One agent on one UTC day; truth fields: worker_sid … avg_csat. */
export interface AgentRow {
  worker_sid: string;
  worker_name: string;
  day: string;
  tasks_handled: number;
  avg_handle: number | null;
  p90_handle: number | null;
  avg_wrapup: number | null;
  time_available: number;
  time_busy: number;
  time_break: number;
  time_offline: number;
  avg_csat: number | null;
  csat_count: number;
  /** busy / (available + busy). */
  occupancy: number | null;
  /** Reservations canceled while ringing at this agent (the customer hung up). */
  ringing_abandoned: number;
  /** Reservations that timed out (not answered). */
  missed: number;
  rejected: number;
}

export type AgentTotal = Omit<AgentRow, 'day'> & { days: number };

export interface ChannelRow extends ServiceCounts {
  channel: Channel;
  entered: number;
  /** entered / all interactions. */
  share: number | null;
  wait_avg: number | null;
  wait_p50: number | null;
  avg_handle: number | null;
  csat_count: number;
  csat_avg: number | null;
}

export interface CsatReport {
  /** Completed surveys (by completion time in the range). */
  count: number;
  /** What avg, distribution and trend are out of: the surveys' scale (the largest when they differ, others in proportion). */
  scale: number;
  avg: number | null;
  /** Count per score ("1".."5" always present on a 5-point scale; a survey of another scale at its proportional score). */
  distribution: Record<string, number>;
  low_score: number;
  low_score_threshold: number;
  /** Completed more than an hour after the linked interaction ended (after it was synced). */
  late: number;
  /** Survey tasks created in the range that were canceled or never completed. */
  absent: number;
  /** count / (count + absent). */
  response_rate: number | null;
  trend: Array<{ day: string; count: number; avg: number | null; low_score: number }>;
}

/** One period (day or hour) over all queues in the filter. */
export interface TimelineRow extends ServiceCounts {
  period: string;
  entered: number;
  wait_p50: number | null;
  wait_p90: number | null;
}

export interface WaitBucket {
  /** Lower bound in seconds (inclusive). */
  from: number;
  /** Upper bound in seconds (exclusive); null = open-ended. */
  to: number | null;
  count: number;
}

export interface Summary extends ServiceCounts {
  interactions: number;
  wait_avg: number | null;
  wait_p50: number | null;
  wait_p90: number | null;
  wait_max: number | null;
  tasks_handled: number;
  avg_handle: number | null;
  csat_count: number;
  csat_avg: number | null;
  agents: number;
  queues: number;
}

export interface Report {
  generated_at: string;
  range: { since: string | null; until: string | null };
  filters: { queue: string | null };
  by: Granularity;
  service_level_seconds: number;
  summary?: Summary;
  timeline?: TimelineRow[];
  wait_histogram?: WaitBucket[];
  queues?: QueueRow[];
  queue_totals?: QueueTotal[];
  agents?: AgentRow[];
  agent_totals?: AgentTotal[];
  /** Interactions per channel (truth `metrics.channels`). */
  channels?: Record<Channel, number>;
  channel_rows?: ChannelRow[];
  csat?: CsatReport;
}

/** `GET /api/dashboard/health` (src/analytics/health.ts). */
export interface StreamHealth {
  stream: string;
  partition: string;
  /** The cursor, shortened for display. */
  cursor: string;
  /** The time the stream has synced up to (ms), when its cursor says. */
  position_ms: number | null;
  lag_seconds: number | null;
  updated_at: string;
}

export interface BudgetSample {
  at: string;
  /** Per budget: requests acquired since the previous sample, per second. */
  rates: Record<string, number>;
  /** Per budget: share of its documented rate in use (0..100). */
  use_pct: Record<string, number>;
}

export interface SyncHealth {
  generated_at: string;
  connector: { id: string; installed: boolean; status: string | null; status_reason: string | null; last_sync_at: string | null; last_error: { code: string; message: string; at: string } | null };
  streams: StreamHealth[];
  outbox: { pending: number; inflight: number; delivered: number; dead: number; oldest_pending_age_seconds: number | null; by_kind: Record<string, number> };
  dead_letters: { open: number; by_reason: Record<string, number>; recent: Array<{ id: number; source: string; reason: string; record_key: string; error: string | null; created_at: string }> };
  budgets: { current: Array<{ name: string; rate_per_second: number; used: number; throttled: number; pauses: number; paused: boolean }>; history: BudgetSample[] };
  /** The connector's last sync error, and the latest error per dead-letter reason with the number open. */
  last_errors: Array<{ at: string; source: string; code: string; message: string; count: number }>;
}

/**
 * Lean rows the analytics (`tajo report`, the dashboard) read from the store: derived columns only, no attributes or
 * payloads, selected by time range through indexes (migration 0002_analytics).
 */
import type { Channel } from '../config/defaults.js';
import type { Outcome } from './types.js';

/** `sinceMs` inclusive, `untilMs` exclusive; either may be absent (unbounded). */
export interface AnalyticsRange {
  sinceMs?: number;
  untilMs?: number;
}

/** An interaction as the metrics see it (selected by `created_ms`; rows without `created_ms` are not reported). */
export interface InteractionFact {
  taskSid: string;
  channel: Channel | null;
  queueSid: string | null;
  queueName: string | null;
  workerSid: string | null;
  workerName: string | null;
  createdMs: number;
  answeredMs: number | null;
  wrapupMs: number | null;
  endedMs: number | null;
  outcome: Outcome;
}

/** A completed survey with the interaction it is linked to (null when that interaction is unknown). */
export interface SurveyFact {
  surveyTaskSid: string;
  linkedTaskSid: string | null;
  score: number;
  scale: number;
  completedMs: number;
  linked: InteractionFact | null;
}

/** TaskRouter event types `workerEvents` can select (the partial index of migration 0002 covers exactly these). */
export const WORKER_EVENT_TYPES = ['worker.activity.update', 'reservation.canceled', 'reservation.timeout', 'reservation.rejected', 'tajo.worker.snapshot'] as const;
export type WorkerEventType = (typeof WORKER_EVENT_TYPES)[number];

/** A worker event: activity change (`activity` = the new activity's name), reservation outcome, or worker snapshot. */
export interface WorkerEventFact {
  key: string;
  type: WorkerEventType;
  occurredMs: number;
  workerSid: string;
  workerName: string | null;
  activity: string | null;
}

/** The SQL IN list of migration 0002's partial index, repeated verbatim by the queries that use it. */
export const ANALYTICS_TYPES_SQL =
  "('worker.activity.update', 'reservation.canceled', 'reservation.timeout', 'reservation.rejected', 'tajo.worker.snapshot', 'task.created')";

/** The store methods analytics uses (part of `Store`). */
export interface AnalyticsReads {
  /** Interactions with `created_ms` in the range, oldest first. */
  analyticsInteractions(connectorId: string, range: AnalyticsRange): Promise<InteractionFact[]>;
  /** Surveys completed in the range, plus surveys linked to interactions created in the range. */
  analyticsSurveys(connectorId: string, range: AnalyticsRange): Promise<SurveyFact[]>;
  /** Worker events of these types before `untilMs`, in (occurredMs, key) order. */
  workerEvents(connectorId: string, opts: { types: readonly WorkerEventType[]; untilMs?: number }): Promise<WorkerEventFact[]>;
  /**
   * Tasks with a `task.created` event in the range that have neither an interaction nor a survey row: pending or
   * canceled surveys ("absent"), open tasks not derived yet, dead letters. The caller classifies them from their raw events.
   */
  tasksWithoutRecords(connectorId: string, range: AnalyticsRange): Promise<string[]>;
}

/** Column mappers shared by both backends. */
type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v == null ? null : String(v));
const num = (v: unknown): number | null => (v == null ? null : Number(v));

/** Interaction columns of a fact, in this order. */
export const FACT_COLS = 'task_sid, channel, queue_sid, queue_name, worker_sid, worker_name, created_ms, answered_ms, wrapup_ms, ended_ms, outcome';

/** A fact from columns named as FACT_COLS, optionally prefixed (`i_task_sid`…). */
export function toFact(r: Row, p = ''): InteractionFact {
  return {
    taskSid: String(r[`${p}task_sid`]),
    channel: str(r[`${p}channel`]) as Channel | null,
    queueSid: str(r[`${p}queue_sid`]),
    queueName: str(r[`${p}queue_name`]),
    workerSid: str(r[`${p}worker_sid`]),
    workerName: str(r[`${p}worker_name`]),
    createdMs: Number(r[`${p}created_ms`]),
    answeredMs: num(r[`${p}answered_ms`]),
    wrapupMs: num(r[`${p}wrapup_ms`]),
    endedMs: num(r[`${p}ended_ms`]),
    outcome: String(r[`${p}outcome`]) as Outcome,
  };
}

export function toSurveyFact(r: Row): SurveyFact {
  return {
    surveyTaskSid: String(r.survey_task_sid),
    linkedTaskSid: str(r.linked_task_sid),
    score: Number(r.score),
    scale: Number(r.scale),
    completedMs: Number(r.completed_ms),
    linked: r.i_task_sid == null || r.i_created_ms == null ? null : toFact(r, 'i_'),
  };
}

export function toWorkerEvent(r: Row): WorkerEventFact {
  return {
    key: String(r.key),
    type: String(r.type) as WorkerEventType,
    occurredMs: Number(r.occurred_ms),
    workerSid: String(r.worker_sid),
    workerName: str(r.worker_name),
    activity: str(r.activity),
  };
}


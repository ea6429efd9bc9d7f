import type { RawEvent } from '../../store/types.js';
import { contentHash } from './hash.js';

/**
 * The fields of a TaskRouter event the derivation reads. `RawEvent.data` holds the Events API `event_data`
 * object (snake_case, as Event Streams' `payload` also is); PascalCase EventCallbackUrl parameters are accepted too.
 */
export interface TaskEventFields {
  type: string;
  occurredMs: number;
  key: string;
  taskSid?: string;
  /** JSON string (or object) as sent; undefined when the event carried none (lists, redaction). */
  taskAttributes?: unknown;
  taskChannelUniqueName?: string;
  taskQueueSid?: string;
  taskQueueName?: string;
  workerSid?: string;
  workerName?: string;
  reservationSid?: string;
  /** A task.canceled event's reason (`task_canceled_reason`, else the generic `reason`), as sent. */
  canceledReason?: string;
}

/** Synthetic raw-event types the connector adds next to TaskRouter's own events. */
export const TASK_FETCHED = 'tajo.task.fetched';
export const CONVERSATION_SNAPSHOT = 'tajo.conversation.snapshot';

function pick(data: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = data[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

export function readTaskEvent(ev: RawEvent): TaskEventFields {
  const data = ev.data !== null && typeof ev.data === 'object' ? (ev.data as Record<string, unknown>) : {};
  const attrs = data.task_attributes ?? data.TaskAttributes;
  const out: TaskEventFields = { type: ev.type, occurredMs: ev.occurredMs, key: ev.key };
  const taskSid = ev.taskSid ?? pick(data, 'task_sid', 'TaskSid');
  if (taskSid !== undefined) out.taskSid = taskSid;
  if (attrs !== undefined && attrs !== null && attrs !== '') out.taskAttributes = attrs;
  const set = (k: Exclude<keyof TaskEventFields, 'type' | 'occurredMs' | 'key' | 'taskAttributes' | 'taskSid'>, ...names: string[]) => {
    const v = pick(data, ...names);
    if (v !== undefined) out[k] = v;
  };
  set('taskChannelUniqueName', 'task_channel_unique_name', 'TaskChannelUniqueName');
  set('taskQueueSid', 'task_queue_sid', 'TaskQueueSid');
  set('taskQueueName', 'task_queue_name', 'TaskQueueName');
  set('workerSid', 'worker_sid', 'WorkerSid');
  set('workerName', 'worker_name', 'WorkerName');
  set('reservationSid', 'reservation_sid', 'ReservationSid');
  if (ev.type === 'task.canceled') set('canceledReason', 'task_canceled_reason', 'TaskCanceledReason', 'reason', 'Reason');
  return out;
}

/** Order-independence: every derivation sorts its input by (occurredMs, key) first. */
export function sortEvents<T extends { occurredMs: number; key: string }>(events: readonly T[]): T[] {
  return [...events].sort((a, b) => a.occurredMs - b.occurredMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** An Events API item (`GET /Workspaces/{WS}/Events`), only the fields used. */
export interface TaskRouterEventItem {
  sid: string;
  event_type: string;
  event_date?: string | null | undefined;
  event_date_ms?: number | string | null | undefined;
  resource_type?: string | null | undefined;
  resource_sid?: string | null | undefined;
  event_data?: Record<string, unknown> | null | undefined;
}

export function eventTimeMs(ev: Pick<TaskRouterEventItem, 'event_date' | 'event_date_ms'>): number {
  if (ev.event_date_ms !== undefined && ev.event_date_ms !== null && ev.event_date_ms !== '') {
    const n = Number(ev.event_date_ms);
    if (Number.isFinite(n)) return n;
  }
  return ev.event_date ? Date.parse(ev.event_date) : NaN;
}

/** Raw event keyed by the EV sid, so the same event from polling and from a webhook dedupes. */
export function rawEventFromTaskRouter(ev: TaskRouterEventItem, via: RawEvent['via'] = 'poll'): RawEvent {
  const data: Record<string, unknown> = { ...(ev.event_data ?? {}) };
  if (ev.resource_type) data.resource_type ??= ev.resource_type;
  if (ev.resource_sid) data.resource_sid ??= ev.resource_sid;
  const taskSid =
    (typeof data.task_sid === 'string' && data.task_sid) ||
    (ev.resource_type === 'task' && ev.resource_sid ? ev.resource_sid : undefined) ||
    (ev.resource_sid?.startsWith('WT') ? ev.resource_sid : undefined);
  const workerSid = typeof data.worker_sid === 'string' && data.worker_sid ? data.worker_sid : undefined;
  const raw: RawEvent = { key: ev.sid, type: ev.event_type, occurredMs: eventTimeMs(ev), via, data };
  if (taskSid) raw.taskSid = taskSid;
  if (workerSid) raw.workerSid = workerSid;
  return raw;
}

/** A Task fetched by sid (only when no event carried its attributes). Keyed by content, so re-fetching dedupes. */
export interface FetchedTask {
  sid: string;
  attributes?: string | null | undefined;
  task_channel_unique_name?: string | null | undefined;
  task_queue_sid?: string | null | undefined;
  task_queue_friendly_name?: string | null | undefined;
  assignment_status?: string | null | undefined;
  date_updated?: string | null | undefined;
  date_created?: string | null | undefined;
}

export function rawEventFromFetchedTask(task: FetchedTask, fallbackMs: number): RawEvent {
  const data: Record<string, unknown> = {
    task_sid: task.sid,
    task_attributes: task.attributes ?? null,
    task_channel_unique_name: task.task_channel_unique_name ?? null,
    task_assignment_status: task.assignment_status ?? null,
  };
  const updated = task.date_updated ? Date.parse(task.date_updated) : NaN;
  const occurredMs = Number.isFinite(updated) ? updated : fallbackMs;
  return { key: `task:${task.sid}:${contentHash(data).slice(0, 16)}`, type: TASK_FETCHED, occurredMs, taskSid: task.sid, via: 'poll', data };
}

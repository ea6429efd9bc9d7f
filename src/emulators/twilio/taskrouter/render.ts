import { isoSeconds } from '../../common/clock.js';
import type { Env } from '../env.js';

/** Rows as selected by the TaskRouter queries (world tables plus joined names). */
export interface TaskRow {
  sid: string;
  attributes: string;
  assignment_status: string;
  eff_status: string;
  eff_updated_ms: number;
  task_channel_unique_name: string;
  task_queue_sid: string;
  workflow_sid: string;
  priority: number;
  reason: string | null;
  timeout: number;
  date_created_ms: number;
  date_updated_ms: number;
  task_queue_entered_ms: number | null;
  ended_ms: number | null;
  q_name: string | null;
  wf_name: string | null;
  tc_sid: string | null;
  [k: string]: unknown;
}

export interface WorkerRow {
  sid: string;
  friendly_name: string;
  attributes: string;
  activity_sid: string;
  activity_name: string | null;
  available: number | null;
  date_created_ms: number;
  date_updated_ms: number;
  date_status_changed_ms: number;
  [k: string]: unknown;
}

export interface QueueRow { sid: string; friendly_name: string; target_workers: string; task_order: string; date_created_ms: number; [k: string]: unknown }
export interface ActivityRow { sid: string; friendly_name: string; available: number; date_created_ms: number; [k: string]: unknown }
export interface WorkflowRow { sid: string; friendly_name: string; date_created_ms: number; [k: string]: unknown }
export interface ChannelRow { sid: string; unique_name: string; friendly_name: string; date_created_ms: number; [k: string]: unknown }
export interface ReservationRow {
  sid: string;
  task_sid: string;
  worker_sid: string;
  reservation_status: string;
  eff_status: string;
  date_created_ms: number;
  date_updated_ms: number;
  worker_name: string | null;
  [k: string]: unknown;
}
export interface EventRow {
  seq: number;
  sid: string;
  event_type: string;
  event_date_ms: number;
  resource_type: string;
  resource_sid: string;
  actor_type: string;
  actor_sid: string;
  description: string;
  task_sid: string | null;
  reservation_sid: string | null;
  worker_sid: string | null;
  task_queue_sid: string | null;
  workflow_sid: string | null;
  task_channel: string | null;
  event_data: string;
  [k: string]: unknown;
}

/** Task attributes in events older than 43,200 minutes are redacted (spec text on `Minutes`/`StartDate`). */
export const REDACT_AFTER_MS = 43_200 * 60_000;
export const REDACTED_ATTRIBUTES = '{}';

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : isoSeconds(ms));

export function wsUrl(base: string, env: Env): string {
  return `${base}/v1/Workspaces/${env.info.workspaceSid}`;
}

export function renderTask(r: TaskRow, base: string, env: Env, full: boolean): Record<string, unknown> {
  const ws = wsUrl(base, env);
  const ended = r.eff_status === 'completed' || r.eff_status === 'canceled';
  return {
    account_sid: env.info.accountSid,
    age: Math.max(0, Math.floor((env.clock.nowMs() - r.date_created_ms) / 1000)),
    assignment_status: r.eff_status,
    // Spec: "only displayed in FETCH action that returns a single resource. Otherwise, it will be null." (docs/twilio.md §0.2)
    attributes: full ? r.attributes : null,
    addons: '{}',
    date_created: iso(r.date_created_ms),
    date_updated: iso(r.eff_updated_ms),
    task_queue_entered_date: iso(r.task_queue_entered_ms ?? r.date_created_ms),
    priority: r.priority,
    reason: ended ? r.reason : null,
    sid: r.sid,
    task_queue_sid: r.task_queue_sid,
    task_queue_friendly_name: r.q_name,
    task_channel_sid: r.tc_sid,
    task_channel_unique_name: r.task_channel_unique_name,
    timeout: r.timeout,
    workflow_sid: r.workflow_sid,
    workflow_friendly_name: r.wf_name,
    workspace_sid: env.info.workspaceSid,
    url: `${ws}/Tasks/${r.sid}`,
    links: {
      task_queue: `${ws}/TaskQueues/${r.task_queue_sid}`,
      workflow: `${ws}/Workflows/${r.workflow_sid}`,
      workspace: ws,
      reservations: `${ws}/Tasks/${r.sid}/Reservations`,
    },
    virtual_start_time: iso(r.date_created_ms),
    ignore_capacity: false,
    routing_target: null,
  };
}

export function renderWorker(r: WorkerRow, base: string, env: Env, full: boolean): Record<string, unknown> {
  const ws = wsUrl(base, env);
  const url = `${ws}/Workers/${r.sid}`;
  return {
    account_sid: env.info.accountSid,
    activity_name: r.activity_name,
    activity_sid: r.activity_sid,
    // Same list/fetch rule as tasks (spec text on `taskrouter.v1.workspace.worker.attributes`).
    attributes: full ? r.attributes : null,
    available: r.available === null ? null : r.available === 1,
    date_created: iso(r.date_created_ms),
    date_status_changed: iso(r.date_status_changed_ms),
    date_updated: iso(r.date_updated_ms),
    friendly_name: r.friendly_name,
    sid: r.sid,
    workspace_sid: env.info.workspaceSid,
    url,
    links: {
      channels: `${url}/Channels`,
      reservations: `${url}/Reservations`,
      statistics: `${url}/Statistics`,
      worker_statistics: `${url}/Statistics`,
      worker_channels: `${url}/Channels`,
      activity: `${ws}/Activities/${r.activity_sid}`,
      workspace: ws,
    },
  };
}

export function renderQueue(r: QueueRow, base: string, env: Env): Record<string, unknown> {
  const ws = wsUrl(base, env);
  const url = `${ws}/TaskQueues/${r.sid}`;
  return {
    account_sid: env.info.accountSid,
    assignment_activity_sid: null,
    assignment_activity_name: null,
    date_created: iso(r.date_created_ms),
    date_updated: iso(r.date_created_ms),
    friendly_name: r.friendly_name,
    max_reserved_workers: 1,
    reservation_activity_sid: null,
    reservation_activity_name: null,
    sid: r.sid,
    target_workers: r.target_workers,
    task_order: r.task_order,
    url,
    workspace_sid: env.info.workspaceSid,
    links: {
      statistics: `${url}/Statistics`,
      real_time_statistics: `${url}/RealTimeStatistics`,
      cumulative_statistics: `${url}/CumulativeStatistics`,
      list_statistics: `${ws}/TaskQueues/Statistics`,
      workspace: ws,
    },
  };
}

export function renderActivity(r: ActivityRow, base: string, env: Env): Record<string, unknown> {
  const ws = wsUrl(base, env);
  return {
    account_sid: env.info.accountSid,
    available: r.available === 1,
    date_created: iso(r.date_created_ms),
    date_updated: iso(r.date_created_ms),
    friendly_name: r.friendly_name,
    sid: r.sid,
    workspace_sid: env.info.workspaceSid,
    url: `${ws}/Activities/${r.sid}`,
    links: { workspace: ws },
  };
}

export function renderWorkflow(r: WorkflowRow, base: string, env: Env, defaultQueue: string | null): Record<string, unknown> {
  const ws = wsUrl(base, env);
  const url = `${ws}/Workflows/${r.sid}`;
  const configuration = { task_routing: { filters: [], default_filter: defaultQueue ? { queue: defaultQueue } : {} } };
  return {
    account_sid: env.info.accountSid,
    assignment_callback_url: null,
    configuration: JSON.stringify(configuration),
    date_created: iso(r.date_created_ms),
    date_updated: iso(r.date_created_ms),
    document_content_type: 'application/json',
    fallback_assignment_callback_url: null,
    friendly_name: r.friendly_name,
    sid: r.sid,
    task_reservation_timeout: 120,
    workspace_sid: env.info.workspaceSid,
    url,
    links: {
      statistics: `${url}/Statistics`,
      real_time_statistics: `${url}/RealTimeStatistics`,
      cumulative_statistics: `${url}/CumulativeStatistics`,
      workspace: ws,
    },
  };
}

export function renderChannel(r: ChannelRow, base: string, env: Env): Record<string, unknown> {
  const ws = wsUrl(base, env);
  return {
    account_sid: env.info.accountSid,
    date_created: iso(r.date_created_ms),
    date_updated: iso(r.date_created_ms),
    friendly_name: r.friendly_name,
    sid: r.sid,
    unique_name: r.unique_name,
    workspace_sid: env.info.workspaceSid,
    channel_optimized_routing: false,
    url: `${ws}/TaskChannels/${r.sid}`,
    links: { workspace: ws },
  };
}

export function renderReservation(r: ReservationRow, base: string, env: Env, viaWorker = false): Record<string, unknown> {
  const ws = wsUrl(base, env);
  return {
    account_sid: env.info.accountSid,
    date_created: iso(r.date_created_ms),
    date_updated: iso(Math.min(r.date_updated_ms, env.clock.nowMs())),
    reservation_status: r.eff_status,
    sid: r.sid,
    task_sid: r.task_sid,
    worker_name: r.worker_name,
    worker_sid: r.worker_sid,
    workspace_sid: env.info.workspaceSid,
    url: viaWorker ? `${ws}/Workers/${r.worker_sid}/Reservations/${r.sid}` : `${ws}/Tasks/${r.task_sid}/Reservations/${r.sid}`,
    links: { task: `${ws}/Tasks/${r.task_sid}`, worker: `${ws}/Workers/${r.worker_sid}`, workspace: ws },
  };
}

const RESOURCE_PATH: Record<string, string> = {
  task: 'Tasks',
  worker: 'Workers',
  workflow: 'Workflows',
  task_queue: 'TaskQueues',
  taskqueue: 'TaskQueues',
  activity: 'Activities',
  task_channel: 'TaskChannels',
};

function resourceUrl(ws: string, type: string, sid: string, taskSid: string | null): string | null {
  if (type === 'account') return null;
  if (type === 'workspace') return ws;
  if (type === 'reservation') return taskSid ? `${ws}/Tasks/${taskSid}/Reservations/${sid}` : `${ws}/Reservations/${sid}`;
  return `${ws}/${RESOURCE_PATH[type] ?? type}/${sid}`;
}

/** The event's `event_data` object, with task attributes redacted when the event is older than 43,200 minutes. */
export function eventData(r: EventRow, nowMs: number): Record<string, unknown> {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(r.event_data) as Record<string, unknown>;
  } catch {
    data = {};
  }
  if (nowMs - r.event_date_ms > REDACT_AFTER_MS && 'task_attributes' in data) data.task_attributes = REDACTED_ATTRIBUTES;
  return data;
}

export function renderEvent(r: EventRow, base: string, env: Env): Record<string, unknown> {
  const ws = wsUrl(base, env);
  return {
    account_sid: env.info.accountSid,
    actor_sid: r.actor_sid,
    actor_type: r.actor_type,
    actor_url: resourceUrl(ws, r.actor_type, r.actor_sid, r.task_sid),
    description: r.description,
    event_data: eventData(r, env.clock.nowMs()),
    event_date: iso(r.event_date_ms),
    event_date_ms: r.event_date_ms,
    event_type: r.event_type,
    resource_sid: r.resource_sid,
    resource_type: r.resource_type,
    resource_url: resourceUrl(ws, r.resource_type, r.resource_sid, r.task_sid),
    sid: r.sid,
    source: 'twilio',
    source_ip_address: null,
    url: `${ws}/Events/${r.sid}`,
    workspace_sid: env.info.workspaceSid,
  };
}

import { createHash } from 'node:crypto';
import type { RawEvent } from '../../store/types.js';
import { parseAttributes } from '../derive/attributes.js';
import { instantMs } from '../../core/instant.js';

/**
 * Flex UI plugin completions, SDK `handleEvent` calls and survey posts. A plugin call is a *signal*: server-side
 * TaskRouter events stay the source of truth (twilio.md §9), so the processor fetches the task's events when it
 * can and only falls back to the synthetic events below when TaskRouter cannot be asked.
 */
export interface PluginCompletion {
  /** Inbox key (stable per call: the synthetic events derive their keys from it). */
  key: string;
  taskSid?: string;
  /** `payload.task.sid` of the Flex UI is the reservation (`WR…`): resolved to the task through TaskRouter. */
  reservationSid?: string;
  completedMs: number;
  ageSeconds?: number;
  attributes?: unknown;
  channelName?: string;
  queueName?: string;
  queueSid?: string;
  workerSid?: string;
  workerName?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/**
 * The largest task age (seconds) a completion may carry: TaskRouter keeps a task up to 2 weeks before it is assigned
 * (its TTL, twilio_taskrouter_v1.json), so a year is beyond any real task. A larger one (a buggy caller, an SDK
 * `duration` in ms) would date the task's creation centuries back, or past what a Date holds, which no derivation
 * can write: the route refuses it, and a stored one is treated as no age.
 */
export const MAX_TASK_AGE_SECONDS = 366 * 86_400;

/** An age in seconds the fallback events can use (0 … MAX_TASK_AGE_SECONDS), else undefined. */
function ageOf(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && n >= 0 && n <= MAX_TASK_AGE_SECONDS ? n : undefined;
}

/**
 * A completion time the caller sent (an agent's browser clock, an SDK caller's), or `receivedMs` without one. Never
 * later than `receivedMs`: nothing completes after it was reported, and a clock running ahead would date the Brevo
 * event in the future, which no later sync corrects (an event once sent is not sent again).
 */
function timeMs(v: unknown, receivedMs: number): number {
  let t = receivedMs;
  // a time before 1970 is no completion time (and a huge negative one is no Date at all): the receipt time stands
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) t = v;
  else if (typeof v === 'string' && v !== '') {
    // ISO (UTC when it has no zone, as every date a user gives: core/instant.ts) or epoch ms; Date.parse would read a
    // zone-less date-time in this server's zone
    const n = instantMs(v);
    if (n !== undefined && n >= 0) t = n;
  }
  return receivedMs > 0 ? Math.min(t, receivedMs) : t;
}

function withOptional(c: PluginCompletion, fields: Record<string, string | number | unknown>): PluginCompletion {
  const out: Record<string, unknown> = { ...c };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out as unknown as PluginCompletion;
}

/** The `/webhooks/flex/task-complete` payload (validated by the server). */
export function normalizeFlexPlugin(p: Record<string, unknown>, receivedMs: number): PluginCompletion | undefined {
  const sid = str(p.TaskSid);
  if (!sid) return undefined;
  const isReservation = sid.startsWith('WR');
  const received = num(p.ReceivedMs) ?? receivedMs;
  const base: PluginCompletion = { key: `flex:task-complete:${sid}`, completedMs: timeMs(p.CompletedAt, received) };
  return withOptional(base, {
    taskSid: isReservation ? undefined : sid,
    reservationSid: isReservation ? sid : str(p.ReservationSid),
    ageSeconds: ageOf(p.Age),
    attributes: p.TaskAttributes,
    channelName: str(p.TaskChannelUniqueName),
    queueName: str(p.TaskQueueFriendlyName),
    queueSid: str(p.TaskQueueSid),
    workerSid: str(p.WorkerSid),
    workerName: str(p.WorkerName),
  });
}

/**
 * An SDK `handleEvent('twilio-flex', {type: 'task.completed', payload: {taskSid, customerEmail, channel, duration, queueName}})`
 * stored in the inbox (source `sdk`): the same completion signal as the plugin's.
 */
export function normalizeSdkEvent(p: Record<string, unknown>, receivedMs: number): PluginCompletion | undefined {
  if (str(p.type) !== 'task.completed' || !isObj(p.payload)) return undefined;
  const q = p.payload;
  const taskSid = str(q.taskSid) ?? str(q.TaskSid);
  if (!taskSid) return undefined;
  const attrs: Record<string, unknown> = isObj(q.attributes) ? { ...q.attributes } : {};
  if (str(q.customerEmail)) attrs.email ??= q.customerEmail;
  if (str(q.customerPhone)) attrs.phone ??= q.customerPhone;
  if (str(q.channel) && str(q.channel) !== 'voice') attrs.channelType ??= q.channel;
  const isReservation = taskSid.startsWith('WR');
  const base: PluginCompletion = { key: `sdk:task.completed:${taskSid}`, completedMs: timeMs(q.completedAt, receivedMs) };
  return withOptional(base, {
    taskSid: isReservation ? undefined : taskSid,
    reservationSid: isReservation ? taskSid : undefined,
    ageSeconds: ageOf(q.duration),
    attributes: Object.keys(attrs).length ? attrs : undefined,
    channelName: str(q.channel) === 'voice' ? 'voice' : undefined,
    queueName: str(q.queueName),
  });
}

const attributesString = (a: unknown): string | undefined => (typeof a === 'string' ? a : isObj(a) ? JSON.stringify(a) : undefined);

/**
 * Synthetic TaskRouter-shaped events for a completion when TaskRouter cannot be asked (no client, task gone):
 * `task.created` (completion − Age) and `task.completed`, keyed from the call so a retry dedupes.
 */
export function fallbackCompletionEvents(c: PluginCompletion & { taskSid: string }): RawEvent[] {
  const data: Record<string, unknown> = { task_sid: c.taskSid, source: 'flex-plugin' };
  const attrs = attributesString(c.attributes);
  if (attrs !== undefined) data.task_attributes = attrs;
  if (c.channelName) data.task_channel_unique_name = c.channelName;
  if (c.queueSid) data.task_queue_sid = c.queueSid;
  if (c.queueName) data.task_queue_name = c.queueName;
  const out: RawEvent[] = [];
  if (c.ageSeconds !== undefined) {
    out.push({ key: `${c.key}:created`, type: 'task.created', occurredMs: Math.round(c.completedMs - c.ageSeconds * 1000), taskSid: c.taskSid, via: 'webhook', data });
  }
  const done: Record<string, unknown> = { ...data };
  if (c.workerSid) done.worker_sid = c.workerSid;
  if (c.workerName) done.worker_name = c.workerName;
  out.push({ key: `${c.key}:completed`, type: 'task.completed', occurredMs: c.completedMs, taskSid: c.taskSid, via: 'webhook', data: done });
  return out;
}

/** A stable stand-in task SID for a survey posted without its own task (`WT` + 32 hex of its link). */
export function syntheticSurveySid(linkedTaskSid: string): string {
  return `WT${createHash('sha256').update(`survey:${linkedTaskSid}`).digest('hex').slice(0, 32)}`;
}

/**
 * Survey attributes in the Flex Insights shape (docs/SEMANTICS.md §5): the given `TaskAttributes`, with the flat fields
 * (`Score`, `Questions`, `Scale`, `LinkedTaskSid`, identity) written over them. A survey post is a survey whatever its
 * attributes say: `conversations.kind` is always `Survey`, so a post can never be derived as a support interaction.
 */
export function surveyAttributes(p: Record<string, unknown>): Record<string, unknown> {
  const given = parseAttributes(p.TaskAttributes);
  const attrs: Record<string, unknown> = given.ok ? { ...given.value } : {};
  const conversations: Record<string, unknown> = { ...(isObj(attrs.conversations) ? attrs.conversations : {}), kind: 'Survey' };
  if (str(p.LinkedTaskSid)) conversations.conversation_id = p.LinkedTaskSid;
  const score = num(p.Score);
  if (score !== undefined) {
    conversations.conversation_measure_1 = score;
    conversations.conversation_label_1 ??= 'score';
  }
  const questions = Array.isArray(p.Questions) ? p.Questions.filter(isObj) : [];
  questions.forEach((q, i) => {
    conversations[`conversation_measure_${i + 2}`] = num(q.score);
    conversations[`conversation_label_${i + 2}`] = str(q.label) ?? `question_${i + 2}`;
  });
  attrs.conversations = conversations;
  if (num(p.Scale) !== undefined) attrs.survey_scale = num(p.Scale);
  if (str(p.From)) attrs.from = p.From;
  if (str(p.Email)) attrs.email = p.Email;
  if (str(p.Phone)) attrs.phone = p.Phone;
  if (str(p.Name)) attrs.name = p.Name;
  return attrs;
}

/** A survey post → the survey task's `task.completed` (survey tasks are recognised by their attributes). */
export function normalizeSurvey(p: Record<string, unknown>, receivedMs: number): RawEvent[] {
  const linked = str(p.LinkedTaskSid);
  const taskSid = str(p.TaskSid) ?? (linked ? syntheticSurveySid(linked) : undefined);
  if (!taskSid) return [];
  const attributes = surveyAttributes(p);
  const completedMs = timeMs(p.CompletedAt, num(p.ReceivedMs) ?? receivedMs);
  const data = { task_sid: taskSid, task_attributes: JSON.stringify(attributes), source: 'survey' };
  return [{ key: `survey:${taskSid}:completed`, type: 'task.completed', occurredMs: completedMs, taskSid, via: 'webhook', data }];
}

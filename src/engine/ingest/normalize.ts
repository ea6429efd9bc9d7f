import type { InboxItem, RawEvent } from '../../store/types.js';
import { rawEventFromTaskRouter, type TaskRouterEventItem } from '../derive/taskEvents.js';
import { conversationFromCloudEvent, conversationFromWebhook, type ConversationObservation } from './conversationEvents.js';
import { normalizeFlexPlugin, normalizeSdkEvent, normalizeSurvey, type PluginCompletion } from './pluginEvents.js';

/**
 * Webhook deliveries (inbox items) → what the inbox processor acts on. Pure: no I/O, no clock.
 * TaskRouter events become `RawEvent`s in exactly the shape the polling path stores (the Events API item,
 * keyed by its EV sid), so an event seen by both paths dedupes and derives identically.
 */
export interface Normalized {
  rawEvents: RawEvent[];
  /** Conversation facts to attach to the interactions of that conversation. */
  conversations: ConversationObservation[];
  /** Flex plugin completions: a task (or reservation) to look up in TaskRouter. */
  completions: PluginCompletion[];
  /** Why nothing came out (test event, unsupported type): for logs and metrics. */
  ignored?: string;
}

const EMPTY = (ignored?: string): Normalized => ({ rawEvents: [], conversations: [], completions: [], ...(ignored ? { ignored } : {}) });

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `TaskQueueSid` → `task_queue_sid` (EventCallbackUrl params are the Events API `event_data` keys in PascalCase). */
export function snakeCase(pascal: string): string {
  return pascal
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** The largest epoch ms a Date holds (ECMA-262 time values: ±8.64e15). */
const MAX_DATE_MS = 8.64e15;

/**
 * Epoch seconds or ms (number or numeric string), or an ISO date → ms; NaN when unusable, and so for a time no Date
 * holds (a 16-digit Timestamp, microseconds): an event dated there would make every derivation of its batch throw.
 */
export function toEpochMs(v: unknown): number {
  if (typeof v === 'number') {
    const ms = Number.isFinite(v) ? (v < 1e11 ? v * 1000 : v) : NaN;
    return Math.abs(ms) <= MAX_DATE_MS ? ms : NaN;
  }
  if (typeof v !== 'string' || v === '') return NaN;
  if (/^\d+(\.\d+)?$/.test(v)) return toEpochMs(Number(v));
  return Date.parse(v);
}

/** Callback params that describe the delivery, not `event_data`. */
const CALLBACK_ENVELOPE = new Set(['EventType', 'Sid', 'AccountSid', 'EventDescription', 'ResourceType', 'ResourceSid', 'Timestamp', 'TimestampMs']);

/** A TaskRouter EventCallbackUrl delivery (form params, already validated) → the Events API item. */
export function taskRouterItemFromCallback(p: Record<string, unknown>, fallbackKey: string): TaskRouterEventItem {
  const eventData: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!CALLBACK_ENVELOPE.has(k)) eventData[snakeCase(k)] = v;
  const ms = Number.isFinite(toEpochMs(p.TimestampMs)) ? toEpochMs(p.TimestampMs) : toEpochMs(p.Timestamp);
  return {
    sid: str(p.Sid) ?? fallbackKey,
    event_type: str(p.EventType) ?? 'unknown',
    event_date_ms: Number.isFinite(ms) ? ms : null,
    resource_type: str(p.ResourceType) ?? null,
    resource_sid: str(p.ResourceSid) ?? null,
    event_data: eventData,
  };
}

/** WDS payload keys that describe the event, not `event_data` (docs twilio.md §5). */
const WDS_ENVELOPE = new Set(['sid', 'eventtype', 'account_sid', 'timestamp', 'resource_type', 'resource_sid', 'event_description']);
export const TASKROUTER_TYPE_PREFIX = 'com.twilio.taskrouter.';

/**
 * An Event Streams TaskRouter CloudEvent → the Events API item. The raw event key is the WDS payload `sid`
 * (EV…), not the CloudEvent `id`, so polling and Event Streams share keys.
 */
export function taskRouterItemFromCloudEvent(ce: Record<string, unknown>): TaskRouterEventItem | undefined {
  const data = isObj(ce.data) ? ce.data : {};
  const payload = isObj(data.payload) ? data.payload : undefined;
  if (!payload) return undefined;
  const type = str(ce.type) ?? '';
  const eventType = str(payload.eventtype) ?? str(data.name) ?? type.slice(TASKROUTER_TYPE_PREFIX.length);
  const sid = str(payload.sid) ?? str(data.sid) ?? str(ce.id);
  if (!sid || !eventType) return undefined;
  const eventData: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) if (!WDS_ENVELOPE.has(k)) eventData[k] = v;
  const candidates = [payload.timestamp_ms, payload.timestamp, data.timestamp, ce.time].map(toEpochMs);
  const ms = candidates.find((n) => Number.isFinite(n));
  return {
    sid,
    event_type: eventType,
    event_date_ms: ms ?? null,
    resource_type: str(payload.resource_type) ?? null,
    resource_sid: str(payload.resource_sid) ?? null,
    event_data: eventData,
  };
}

function taskRouterRaw(item: TaskRouterEventItem): RawEvent | undefined {
  const raw = rawEventFromTaskRouter(item, 'webhook');
  return Number.isFinite(raw.occurredMs) ? raw : undefined;
}

export function normalizeInboxItem(item: InboxItem): Normalized {
  const p = item.payload;
  if (!isObj(p)) return EMPTY('payload is not an object');
  const receivedMs = Date.parse(item.receivedAt);
  switch (item.source) {
    case 'taskrouter': {
      const raw = taskRouterRaw(taskRouterItemFromCallback(p, item.key));
      return raw ? { ...EMPTY(), rawEvents: [raw] } : EMPTY('taskrouter callback without a usable Timestamp');
    }
    case 'event-streams': {
      const type = str(p.type) ?? '';
      if (type.startsWith(TASKROUTER_TYPE_PREFIX)) {
        const ti = taskRouterItemFromCloudEvent(p);
        const raw = ti ? taskRouterRaw(ti) : undefined;
        return raw ? { ...EMPTY(), rawEvents: [raw] } : EMPTY(`unusable ${type}`);
      }
      if (type.startsWith('com.twilio.conversations.')) {
        const obs = conversationFromCloudEvent(p, receivedMs);
        return obs ? { ...EMPTY(), conversations: [obs] } : EMPTY(`nothing to use in ${type}`);
      }
      return EMPTY(`unsupported event type ${type || '(none)'}`);
    }
    case 'conversations': {
      const obs = conversationFromWebhook(p, receivedMs);
      return obs ? { ...EMPTY(), conversations: [obs] } : EMPTY(`nothing to use in ${str(p.EventType) ?? 'conversations webhook'}`);
    }
    case 'flex-plugin': {
      const c = normalizeFlexPlugin(p, Number.isFinite(receivedMs) ? receivedMs : 0);
      return c ? { ...EMPTY(), completions: [c] } : EMPTY('flex plugin call without a task');
    }
    case 'survey': {
      const evs = normalizeSurvey(p, Number.isFinite(receivedMs) ? receivedMs : 0);
      return evs.length ? { ...EMPTY(), rawEvents: evs } : EMPTY('survey without a survey task');
    }
    case 'sdk': {
      const c = normalizeSdkEvent(p, Number.isFinite(receivedMs) ? receivedMs : 0);
      return c ? { ...EMPTY(), completions: [c] } : EMPTY('sdk event is not a task completion');
    }
  }
}

import type { Channel } from '../../config/defaults.js';
import { isTimeoutReason } from '../../store/cancelReason.js';
import type { DeadLetterInput, InteractionFacts, Outcome, RawEvent } from '../../store/types.js';
import { parseAttributes, readPath, type Attributes } from './attributes.js';
import { resolveChannel } from './channel.js';
import { latestSnapshot, type ConversationSnapshot, type CustomerBodies } from './conversation.js';
import { identityFromAttributes, type CustomerIdentity } from './identity.js';
import { readTaskEvent, sortEvents, type TaskEventFields } from './taskEvents.js';

/** One non-survey TaskRouter task (docs/SEMANTICS.md §1). Times are TaskRouter event times (ms). */
export interface Interaction extends InteractionFacts {
  channel: Channel;
  customer: CustomerIdentity;
  /** The queue at task.created (SUPPORT_REQUESTED reports it). */
  createdQueueSid: string | null;
  createdQueueName: string | null;
  wrapupSeconds: number | null;
  attributes: Attributes;
  /** A STOP keyword from the customer in the interaction's Conversation (sms/whatsapp only). */
  optOut: boolean;
  /** The customer's first/last message bodies of the closed Conversation, when read (`message_bodies` not `off`). */
  customerBodies?: CustomerBodies | null;
  /** The cancel reason as TaskRouter sent it (canceled tasks only); `timedOut` tells what it means. */
  cancelReason: string | null;
}

/**
 * An abandoned interaction that TaskRouter canceled because it timed out (TTL exceeded, workflow timeout, no worker accepted it) rather than
 * because the customer left: docs/SEMANTICS.md §1, the rule in store/cancelReason.ts.
 */
export function timedOut(i: Pick<InteractionFacts, 'outcome' | 'cancelReason'>): boolean {
  return i.outcome === 'abandoned' && isTimeoutReason(i.cancelReason);
}

/**
 * A row derived from part of a finished task's history: completed, but without the `reservation.accepted` that put an
 * agent on it. TaskRouter completes a task only from `assigned` / `wrapping`, that is after a reservation was accepted,
 * and that event alone sets `answeredMs` (the first accepted) and `workerSid` / `workerName` (the last one): a completed
 * row without `answeredMs` was derived before its accepted event was stored (webhooks arrive in any order; a sync stores
 * a window newest first, a page at a time) and lacks its agent and wait, which deriving it again from its full history
 * gives it. Not half-derived: an abandoned or timed-out task (canceled before any agent accepted it: it has no agent), a
 * canceled one (canceled after an accept: it has its agent), an open one (nothing in it says it was handled), a
 * completed one whose accepted event named no worker (`answeredMs` set: that event is stored, there is nothing to wait
 * for), and a completed one whose completion named its agent (the plugin's completion for a task TaskRouter has no
 * history of: the agent is there, and no accepted event will ever come).
 */
export function halfDerived(i: Pick<InteractionFacts, 'outcome' | 'answeredMs' | 'workerSid' | 'workerName'>): boolean {
  return i.outcome === 'completed' && i.answeredMs === null && i.workerSid === null && i.workerName === null;
}

/** The facts folded out of a task's events, before the task is classified. */
export interface TaskFacts {
  taskSid: string;
  rawAttributes: unknown;
  channelName: string | undefined;
  createdMs: number | null;
  answeredMs: number | null;
  wrapupMs: number | null;
  endedMs: number | null;
  terminal: 'completed' | 'canceled' | null;
  createdQueueSid: string | null;
  createdQueueName: string | null;
  queueSid: string | null;
  queueName: string | null;
  workerSid: string | null;
  workerName: string | null;
  /** The reason of the task.canceled that ended the task (null unless `terminal` is canceled, or none was sent). */
  cancelReason: string | null;
}

/**
 * Folds a task's events in (occurredMs, key) order, so any permutation of the same set gives the same facts.
 * Queue: task.created's, then the last one seen on a later event (a transfer moves it). Worker: the last accepted
 * reservation (rejected / timed-out reservations never count). Attributes: the latest event that carried them.
 */
export function foldTaskEvents(taskSid: string, events: readonly RawEvent[]): TaskFacts {
  const facts: TaskFacts = {
    taskSid, rawAttributes: undefined, channelName: undefined, createdMs: null, answeredMs: null, wrapupMs: null,
    endedMs: null, terminal: null, createdQueueSid: null, createdQueueName: null, queueSid: null, queueName: null, workerSid: null, workerName: null,
    cancelReason: null,
  };
  const fields: TaskEventFields[] = sortEvents(events).map(readTaskEvent);
  for (const f of fields) {
    if (f.taskAttributes !== undefined) facts.rawAttributes = f.taskAttributes;
    if (f.taskChannelUniqueName !== undefined) facts.channelName = f.taskChannelUniqueName;
    if (f.taskQueueSid !== undefined && f.type !== 'tajo.task.fetched') {
      facts.queueName = f.taskQueueName ?? (f.taskQueueSid === facts.queueSid ? facts.queueName : null);
      facts.queueSid = f.taskQueueSid;
    }
    switch (f.type) {
      case 'task.created':
        if (facts.createdMs === null) {
          facts.createdMs = f.occurredMs;
          facts.createdQueueSid = f.taskQueueSid ?? null;
          facts.createdQueueName = f.taskQueueName ?? null;
        }
        break;
      case 'reservation.accepted':
        facts.answeredMs ??= f.occurredMs;
        facts.workerSid = f.workerSid ?? null;
        facts.workerName = f.workerName ?? null;
        break;
      case 'task.wrapup':
        facts.wrapupMs = f.occurredMs;
        break;
      case 'task.completed':
        facts.endedMs = f.occurredMs;
        facts.terminal = 'completed';
        facts.cancelReason = null;
        // A completion that names its agent (the Flex plugin's WorkerSid / WorkerName, the SDK's workerName: the
        // completion Tajo builds when TaskRouter has no history of the task) gives the agent no accepted event gave.
        if (facts.workerSid === null && facts.workerName === null && (f.workerSid !== undefined || f.workerName !== undefined)) {
          facts.workerSid = f.workerSid ?? null;
          facts.workerName = f.workerName ?? null;
        }
        break;
      case 'task.canceled':
        facts.endedMs = f.occurredMs;
        facts.terminal = 'canceled';
        facts.cancelReason = f.canceledReason ?? null;
        break;
    }
  }
  return facts;
}

export type TaskDerivation =
  | { kind: 'interaction'; interaction: Interaction }
  | { kind: 'survey'; facts: TaskFacts; attributes: Attributes }
  | { kind: 'deadLetter'; deadLetter: DeadLetterInput }
  /** Messaging task whose channel needs its Conversation, which is not known yet. */
  | { kind: 'needsConversation'; conversationSid: string }
  /** No event carried the task's attributes yet (partial history): wait for more events, never a dead letter. */
  | { kind: 'incomplete' };

export function isSurveyAttributes(attributes: Attributes): boolean {
  const kind = readPath(attributes, 'conversations.kind');
  return typeof kind === 'string' && kind.toLowerCase() === 'survey';
}

/** Exact seconds (ms / 1000); reports round them from ms with `secs1`. */
const secs = (a: number | null, b: number | null): number | null => (a !== null && b !== null ? (b - a) / 1000 : null);

export interface DeriveOptions {
  defaultPhoneRegion?: string;
  /** Set when the caller could not get the Conversation (disabled or 404): unresolved channel → dead letter. */
  conversationUnavailable?: boolean;
}

/**
 * Derives one task from all its stored events (and its Conversation snapshot, passed or found among the events).
 * Same event set → same result, whatever the order.
 */
export function deriveTask(taskSid: string, events: readonly RawEvent[], conversation?: ConversationSnapshot, opts: DeriveOptions = {}): TaskDerivation {
  const facts = foldTaskEvents(taskSid, events);
  if (facts.rawAttributes === undefined) return { kind: 'incomplete' };
  const parsed = parseAttributes(facts.rawAttributes);
  if (!parsed.ok) {
    return { kind: 'deadLetter', deadLetter: { source: 'twilio', reason: 'malformed_attributes', recordKey: taskSid, payload: { taskSid, attributes: facts.rawAttributes }, error: 'task attributes are not a JSON object' } };
  }
  const attributes = parsed.value;
  if (isSurveyAttributes(attributes)) return { kind: 'survey', facts, attributes };

  const conversationSid = typeof attributes.conversationSid === 'string' && attributes.conversationSid !== '' ? attributes.conversationSid : null;
  const snap = conversation ?? latestSnapshot(events);
  const channel = resolveChannel(facts.channelName, attributes, snap?.bindingType ?? undefined);
  if (channel === undefined) {
    if (conversationSid !== null && snap === undefined && !opts.conversationUnavailable) return { kind: 'needsConversation', conversationSid };
    return { kind: 'deadLetter', deadLetter: { source: 'twilio', reason: 'unknown_channel', recordKey: taskSid, payload: { taskSid, taskChannel: facts.channelName ?? null, attributes }, error: 'channel cannot be resolved' } };
  }
  const customer = identityFromAttributes(attributes, channel, opts.defaultPhoneRegion);
  if (customer === undefined) {
    return { kind: 'deadLetter', deadLetter: { source: 'twilio', reason: 'missing_identity', recordKey: taskSid, payload: { taskSid, channel, attributes }, error: 'no phone, email or chat identity' } };
  }
  const messaging = channel !== 'voice';
  const outcome: Outcome =
    facts.terminal === 'completed' ? 'completed' : facts.terminal === 'canceled' ? (facts.answeredMs === null ? 'abandoned' : 'canceled') : 'open';
  const interaction: Interaction = {
    taskSid,
    channel,
    customer,
    createdQueueSid: facts.createdQueueSid ?? facts.queueSid,
    createdQueueName: facts.createdQueueName ?? (facts.createdQueueSid === null ? facts.queueName : null),
    queueSid: facts.queueSid,
    queueName: facts.queueName,
    workerSid: facts.workerSid,
    workerName: facts.workerName,
    createdMs: facts.createdMs,
    answeredMs: facts.answeredMs,
    wrapupMs: facts.wrapupMs,
    endedMs: facts.endedMs,
    outcome,
    conversationSid: messaging ? conversationSid : null,
    conversationClosedMs: messaging && snap && snap.sid === conversationSid ? snap.closedMs : null,
    waitSeconds: secs(facts.createdMs, facts.answeredMs),
    handleSeconds: outcome === 'completed' ? secs(facts.answeredMs, facts.endedMs) : null,
    cancelReason: facts.cancelReason,
    wrapupSeconds: secs(facts.wrapupMs, facts.endedMs),
    attributes,
    optOut: (channel === 'sms' || channel === 'whatsapp') && snap !== undefined && snap.sid === conversationSid && snap.optOut,
  };
  if (messaging && snap !== undefined && snap.sid === conversationSid && snap.bodies !== undefined) interaction.customerBodies = snap.bodies;
  return { kind: 'interaction', interaction };
}

/** The brief's name for the non-survey path: an interaction or a dead letter (surveys and pending tasks → undefined). */
export function deriveInteraction(
  taskSid: string,
  events: readonly RawEvent[],
  conversation?: ConversationSnapshot,
  opts: DeriveOptions = {},
): { interaction: Interaction } | { deadLetter: DeadLetterInput } | undefined {
  const d = deriveTask(taskSid, events, conversation, opts);
  if (d.kind === 'interaction') return { interaction: d.interaction };
  if (d.kind === 'deadLetter') return { deadLetter: d.deadLetter };
  return undefined;
}

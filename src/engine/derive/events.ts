import type { EventKey } from '../../config/defaults.js';
import type { InteractionRow, OutboxInput } from '../../store/types.js';
import type { Interaction } from './interaction.js';
import type { BodyTransform } from './messageBodies.js';
import { secs1 } from './numbers.js';
import { isLowScore, type Survey } from './survey.js';

/** One Brevo `POST /events` item (docs/SEMANTICS.md §4). */
export interface BrevoEventItem {
  event_name: string;
  event_date: string;
  identifiers: { ext_id: string; email_id?: string };
  event_properties: Record<string, unknown>;
}

export interface EventContext {
  eventMapping: Readonly<Record<EventKey, string>>;
  /** The customer's ext_id and (when known) email. */
  extId: string;
  email?: string | undefined;
  /** `message_bodies` other than `off`: what a customer body becomes in CONVERSATION_ENDED (derive/messageBodies.ts). */
  messageBody?: BodyTransform | undefined;
}

export interface PlannedEvent {
  tajoId: string;
  item: BrevoEventItem;
}

export const isoMs = (ms: number): string => new Date(ms).toISOString();

function identifiers(ctx: EventContext): BrevoEventItem['identifiers'] {
  return ctx.email ? { ext_id: ctx.extId, email_id: ctx.email } : { ext_id: ctx.extId };
}

function make(ctx: EventContext, key: EventKey, sourceSid: string, ms: number, props: Record<string, unknown>): PlannedEvent {
  const name = ctx.eventMapping[key];
  const tajoId = `${name}:${sourceSid}`;
  const event_properties: Record<string, unknown> = { tajo_id: tajoId };
  for (const [k, v] of Object.entries(props)) if (v !== undefined && v !== null) event_properties[k] = v;
  return { tajoId, item: { event_name: name, event_date: isoMs(ms), identifiers: identifiers(ctx), event_properties } };
}

/** What interaction events are built from (a derived `Interaction`; rows lack the queue at creation). */
export type InteractionEventSource = { channel: Interaction['channel'] | null } & Pick<
  Interaction,
  'taskSid' | 'createdQueueName' | 'queueName' | 'conversationSid' | 'workerName' | 'workerSid' | 'createdMs' | 'answeredMs' | 'wrapupMs' | 'endedMs' | 'outcome' | 'conversationClosedMs' | 'customerBodies'
> & { cancelReason?: string | null | undefined };

/**
 * CONVERSATION_ENDED time: completed only. Voice: task.wrapup, else completion. Messaging: the Conversation's close
 * time; none while the conversation is open (or unknown).
 */
export function conversationEndedMs(i: Pick<InteractionRow, 'outcome' | 'channel' | 'wrapupMs' | 'endedMs' | 'conversationClosedMs'>): number | null {
  if (i.outcome !== 'completed') return null;
  if (i.channel === 'voice') return i.wrapupMs ?? i.endedMs;
  return i.conversationClosedMs;
}

const dur = (from: number | null, to: number | null): number | undefined => (from !== null && to !== null ? secs1(to - from) : undefined);

/**
 * The Brevo events an interaction produces. Properties are the interaction's state as of each event's own time:
 * SUPPORT_REQUESTED has the queue at task.created and no agent; SUPPORT_RESOLVED has agent, wait and handle time;
 * CONVERSATION_ENDED (during wrap-up) has agent and wait but no handle time, and for messaging, when `message_bodies`
 * is not `off`, the customer's first and last message (transformed); SUPPORT_ABANDONED has the wait until the
 * cancel and TaskRouter's `cancel_reason` as sent (a hang-up or a timeout, store/cancelReason.ts). Optional properties
 * appear only when known.
 */
export function interactionEvents(i: InteractionEventSource, ctx: EventContext): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  const base = { task_sid: i.taskSid, channel: i.channel, conversation_sid: i.conversationSid ?? undefined };
  const final = { ...base, queue: i.queueName ?? undefined };
  const agent = { agent: i.workerName ?? undefined, agent_sid: i.workerSid ?? undefined, wait_seconds: dur(i.createdMs, i.answeredMs) };
  if (i.createdMs !== null) out.push(make(ctx, 'task.created', i.taskSid, i.createdMs, { ...base, queue: i.createdQueueName ?? undefined }));
  if (i.outcome === 'completed' && i.endedMs !== null) {
    out.push(make(ctx, 'task.completed', i.taskSid, i.endedMs, { ...final, ...agent, handle_seconds: dur(i.answeredMs, i.endedMs) }));
  }
  if (i.outcome === 'abandoned' && i.endedMs !== null) {
    out.push(make(ctx, 'task.canceled', i.taskSid, i.endedMs, { ...final, wait_seconds: dur(i.createdMs, i.endedMs), cancel_reason: i.cancelReason || undefined }));
  }
  const endedMs = conversationEndedMs(i);
  if (endedMs !== null) out.push(make(ctx, 'conversation.ended', i.taskSid, endedMs, { ...final, ...agent, ...bodyProps(i, ctx) }));
  return out;
}

/** `first_customer_message` / `last_customer_message`: messaging only, never with `message_bodies: off`. */
function bodyProps(i: InteractionEventSource, ctx: EventContext): Record<string, string> {
  const b = i.customerBodies;
  if (!ctx.messageBody || i.channel === 'voice' || !b) return {};
  return { first_customer_message: ctx.messageBody(b.first), last_customer_message: ctx.messageBody(b.last) };
}

/** CSAT_SUBMITTED; channel/agent come from the linked interaction when it is known. */
export function surveyEvent(s: Survey, linked: InteractionRow | undefined, ctx: EventContext, lowScoreThreshold: number): PlannedEvent {
  return make(ctx, 'survey.completed', s.surveyTaskSid, s.completedMs, {
    task_sid: s.surveyTaskSid,
    csat_score: s.score,
    csat_scale: s.scale,
    questions: s.questions,
    low_score: isLowScore(s.score, s.scale, lowScoreThreshold),
    linked_task_sid: s.linkedTaskSid ?? undefined,
    channel: linked?.channel ?? undefined,
    queue: linked?.queueName ?? undefined,
    agent: linked?.workerName ?? undefined,
    agent_sid: linked?.workerSid ?? undefined,
  });
}

/** Outbox priorities: 0 = live (webhooks), 1 = backfill (sync). */
export type OutboxPriority = 0 | 1;

export function eventOutbox(e: PlannedEvent, priority: OutboxPriority): OutboxInput {
  return { kind: 'event', key: e.tajoId, payload: e.item, priority };
}

import type { EventKey } from '../../config/defaults.js';
import type { InteractionRow, OutboxInput } from '../../store/types.js';
import { round1 } from './numbers.js';
import type { Survey } from './survey.js';

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

/** Properties every interaction event carries; optional ones only when known. */
function baseProps(i: InteractionRow): Record<string, unknown> {
  return {
    task_sid: i.taskSid,
    channel: i.channel,
    queue: i.queueName ?? undefined,
    conversation_sid: i.conversationSid ?? undefined,
    agent: i.workerName ?? undefined,
    agent_sid: i.workerSid ?? undefined,
    wait_seconds: i.waitSeconds !== null ? round1(i.waitSeconds) : undefined,
    handle_seconds: i.handleSeconds !== null ? round1(i.handleSeconds) : undefined,
  };
}

/**
 * CONVERSATION_ENDED time: completed only. Voice: task.wrapup, else completion. Messaging: the Conversation's close
 * time; none while the conversation is open (or unknown).
 */
export function conversationEndedMs(i: InteractionRow): number | null {
  if (i.outcome !== 'completed') return null;
  if (i.channel === 'voice') return i.wrapupMs ?? i.endedMs;
  return i.conversationClosedMs;
}

/** The Brevo events an interaction produces in its current state. */
export function interactionEvents(i: InteractionRow, ctx: EventContext): PlannedEvent[] {
  const out: PlannedEvent[] = [];
  const props = baseProps(i);
  if (i.createdMs !== null) out.push(make(ctx, 'task.created', i.taskSid, i.createdMs, props));
  if (i.outcome === 'completed' && i.endedMs !== null) out.push(make(ctx, 'task.completed', i.taskSid, i.endedMs, props));
  if (i.outcome === 'abandoned' && i.endedMs !== null) {
    const wait = i.createdMs !== null ? round1((i.endedMs - i.createdMs) / 1000) : undefined;
    out.push(make(ctx, 'task.canceled', i.taskSid, i.endedMs, { ...props, wait_seconds: wait }));
  }
  const endedMs = conversationEndedMs(i);
  if (endedMs !== null) out.push(make(ctx, 'conversation.ended', i.taskSid, endedMs, props));
  return out;
}

/** CSAT_SUBMITTED; channel/agent come from the linked interaction when it is known. */
export function surveyEvent(s: Survey, linked: InteractionRow | undefined, ctx: EventContext, lowScoreThreshold: number): PlannedEvent {
  return make(ctx, 'survey.completed', s.surveyTaskSid, s.completedMs, {
    task_sid: s.surveyTaskSid,
    csat_score: s.score,
    csat_scale: s.scale,
    questions: s.questions,
    low_score: s.score <= lowScoreThreshold,
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

import type { RawEvent } from '../../store/types.js';
import { isStopKeyword } from './consent.js';
import { contentHash } from './hash.js';
import { normalizePhone } from './identity.js';
import { CONVERSATION_SNAPSHOT, sortEvents } from './taskEvents.js';

/** Only the Conversations fields the derivation uses (docs/SEMANTICS.md §2, §4, §6). */
export interface ConversationInput {
  sid: string;
  state?: string | null | undefined;
  date_created?: string | null | undefined;
  date_updated?: string | null | undefined;
  timers?: { date_closed?: string | null | undefined; date_inactive?: string | null | undefined } | null | undefined;
}
export interface ParticipantInput {
  sid: string;
  identity?: string | null | undefined;
  messaging_binding?: { type?: string | null | undefined; address?: string | null | undefined } | null | undefined;
}
export interface MessageInput {
  sid: string;
  author?: string | null | undefined;
  body?: string | null | undefined;
  participant_sid?: string | null | undefined;
  date_created?: string | null | undefined;
}

/** What a Conversation contributes to its interaction: channel fallback, close time and consent. */
export interface ConversationSnapshot {
  sid: string;
  state: string;
  createdMs: number | null;
  updatedMs: number | null;
  /** `timers.date_closed`, else `date_updated` when `state=closed`; null while open. */
  closedMs: number | null;
  /** The customer participant's `messaging_binding.type` (`sms` | `whatsapp`), when there is one. */
  bindingType: string | null;
  /** A customer message was a STOP keyword. */
  optOut: boolean;
  /**
   * The customer's first and last message bodies (raw), null when the customer wrote none. Present only when read
   * for `message_bodies` other than `off`, and only once the Conversation is closed (when its messages are final):
   * absent, the snapshot is exactly what it is with the mode `off` (same content key).
   */
  bodies?: CustomerBodies | null;
}

export interface CustomerBodies {
  first: string;
  last: string;
}

const ms = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const n = Date.parse(iso);
  return Number.isFinite(n) ? n : null;
};

/** The customer is the participant with a messaging binding (sms/whatsapp); web chat customers have none. */
function customerParticipant(participants: readonly ParticipantInput[]): ParticipantInput | undefined {
  return participants.find((p) => p.messaging_binding?.type && p.messaging_binding.address);
}

/** Same phone (E.164 after normalising, `whatsapp:` stripped) or, for other identities, the same string. */
function sameAuthor(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  if (a === b) return true;
  const pa = normalizePhone(a);
  return pa !== undefined && pa === normalizePhone(b);
}

/**
 * The customer's messages are those of the participant with a messaging binding; when Participants were not read,
 * those whose author is the task's `from` (`customerAddress`: the phone, or `whatsapp:+…`).
 */
export function snapshotConversation(
  conversation: ConversationInput,
  participants: readonly ParticipantInput[],
  messages: readonly MessageInput[],
  opts: { customerAddress?: string | undefined; bodies?: boolean | undefined } = {},
): ConversationSnapshot {
  const state = conversation.state ?? 'active';
  const closedMs = ms(conversation.timers?.date_closed) ?? (state === 'closed' ? ms(conversation.date_updated) : null);
  const customer = customerParticipant(participants);
  const address = customer?.messaging_binding?.address ?? opts.customerAddress;
  const fromCustomer = (m: MessageInput) => (customer !== undefined && m.participant_sid === customer.sid) || (address !== undefined && sameAuthor(m.author, address));
  const optOut = messages.some((m) => fromCustomer(m) && isStopKeyword(m.body));
  const snap: ConversationSnapshot = {
    sid: conversation.sid,
    state,
    createdMs: ms(conversation.date_created),
    updatedMs: ms(conversation.date_updated),
    closedMs,
    bindingType: customer?.messaging_binding?.type ?? null,
    optOut,
  };
  if (opts.bodies && closedMs !== null) snap.bodies = customerBodies(messages.filter(fromCustomer));
  return snap;
}

/** First and last non-empty bodies, in the order read (`Order=asc`: by message index). Media-only messages have none. */
export function customerBodies(messages: readonly MessageInput[]): CustomerBodies | null {
  const texts = messages.map((m) => m.body).filter((b): b is string => typeof b === 'string' && b.trim() !== '');
  const first = texts[0];
  const last = texts[texts.length - 1];
  return first !== undefined && last !== undefined ? { first, last } : null;
}

/** Stored beside the task's TaskRouter events, keyed by content: a changed conversation adds a newer snapshot. */
export function rawEventFromSnapshot(taskSid: string, snap: ConversationSnapshot): RawEvent {
  return {
    key: `conv:${snap.sid}:${contentHash(snap).slice(0, 16)}`,
    type: CONVERSATION_SNAPSHOT,
    occurredMs: snap.closedMs ?? snap.updatedMs ?? snap.createdMs ?? 0,
    taskSid,
    conversationSid: snap.sid,
    via: 'poll',
    data: snap,
  };
}

/**
 * The most informative stored snapshot: closed beats open, then the latest. An opt-out seen in any snapshot sticks,
 * a binding type read once is kept (later reads may skip the Participants), and so are the customer bodies (read
 * only from closed Conversations, so any snapshot that has them has the final ones: the most informative wins).
 */
export function latestSnapshot(events: readonly RawEvent[]): ConversationSnapshot | undefined {
  let best: ConversationSnapshot | undefined;
  let withBodies: ConversationSnapshot | undefined;
  let optOut = false;
  let binding: string | null = null;
  const better = (s: ConversationSnapshot, than: ConversationSnapshot | undefined) =>
    !than || rank(s) > rank(than) || (rank(s) === rank(than) && (s.updatedMs ?? 0) > (than.updatedMs ?? 0));
  for (const ev of sortEvents(events)) {
    if (ev.type !== CONVERSATION_SNAPSHOT || ev.data === null || typeof ev.data !== 'object') continue;
    const s = ev.data as ConversationSnapshot;
    optOut ||= s.optOut === true;
    binding ??= s.bindingType ?? null;
    if (better(s, best)) best = s;
    if (s.bodies !== undefined && better(s, withBodies)) withBodies = s;
  }
  if (!best) return undefined;
  const out: ConversationSnapshot = { ...best, optOut: best.optOut || optOut, bindingType: best.bindingType ?? binding };
  if (withBodies?.bodies !== undefined) out.bodies = withBodies.bodies;
  return out;
}

const rank = (s: ConversationSnapshot) => (s.closedMs !== null ? 1 : 0);

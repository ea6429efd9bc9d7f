import type { RawEvent } from '../../store/types.js';
import { isStopKeyword } from '../derive/consent.js';
import { latestSnapshot, rawEventFromSnapshot, type ConversationSnapshot } from '../derive/conversation.js';

/**
 * What one Conversations webhook or Event Streams conversations event tells about a Conversation: it closed
 * (→ `conversation.ended`), the customer opted out (STOP keyword, docs/SEMANTICS.md §6), or the customer's
 * messaging binding (channel fallback). Field names: Conversations post-event webhooks
 * (https://www.twilio.com/docs/conversations/conversations-webhooks) and the Event Streams Conversations schemas
 * (https://www.twilio.com/docs/events/event-types/conversations/*), both PascalCase.
 */
export interface ConversationObservation {
  conversationSid: string;
  occurredMs: number;
  state?: string;
  closedMs?: number;
  bindingType?: 'sms' | 'whatsapp';
  optOut?: boolean;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** The first of `vs` that is a time a Date holds (ISO text, or epoch ms within ±8.64e15: beyond, derivation throws). */
const time = (...vs: unknown[]): number => {
  for (const v of vs) {
    const n = typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : NaN;
    if (Number.isFinite(n) && Math.abs(n) <= 8.64e15) return n;
  }
  return NaN;
};

/** An inbound customer message: authored by a phone / WhatsApp address, or sent over SMS / WhatsApp. */
export function isCustomerAuthor(author: string | undefined, source?: string): boolean {
  const s = (source ?? '').toUpperCase();
  if (s === 'SMS' || s === 'WHATSAPP') return true;
  if (!author) return false;
  return /^whatsapp:/i.test(author) || /^\+?\d[\d\s()-]{5,}$/.test(author);
}

function bindingOf(type: string | undefined, address: string | undefined): 'sms' | 'whatsapp' | undefined {
  const t = (type ?? '').toLowerCase();
  if (t === 'sms' || t === 'whatsapp') return t;
  if (address && /^whatsapp:/i.test(address)) return 'whatsapp';
  return undefined;
}

function obs(conversationSid: string, occurredMs: number, extra: Omit<ConversationObservation, 'conversationSid' | 'occurredMs'>): ConversationObservation | undefined {
  if (!Number.isFinite(occurredMs)) return undefined;
  return { conversationSid, occurredMs, ...extra };
}

function stateChange(sid: string, stateTo: string | undefined, at: number): ConversationObservation | undefined {
  if (!stateTo) return undefined;
  const state = stateTo.toLowerCase();
  return obs(sid, at, state === 'closed' ? { state, closedMs: at } : { state });
}

/**
 * A Conversations post-event webhook (form params, validated). A webhook without the time of what it reports (the
 * docs list `DateUpdated` / `DateCreated`, but not on every event) is dated when Tajo received it (`receivedMs`).
 */
export function conversationFromWebhook(p: Record<string, unknown>, receivedMs: number): ConversationObservation | undefined {
  const sid = str(p.ConversationSid);
  if (!sid) return undefined;
  switch (str(p.EventType)) {
    case 'onConversationStateUpdated':
      return stateChange(sid, str(p.StateTo), time(p.StateUpdated, p.DateUpdated, receivedMs));
    case 'onConversationUpdated':
      return str(p.State)?.toLowerCase() === 'closed' ? stateChange(sid, 'closed', time(p.DateUpdated, receivedMs)) : undefined;
    case 'onMessageAdded': {
      const customer = isCustomerAuthor(str(p.Author), str(p.Source));
      if (!customer || !isStopKeyword(p.Body)) return undefined;
      return obs(sid, time(p.DateCreated, receivedMs), { optOut: true });
    }
    case 'onParticipantAdded': {
      const b = bindingOf(str(p['MessagingBinding.Type']), str(p['MessagingBinding.Address']));
      return b ? obs(sid, time(p.DateCreated, receivedMs), { bindingType: b }) : undefined;
    }
    default:
      return undefined;
  }
}

/** An Event Streams `com.twilio.conversations.*` CloudEvent (dated by its data, else its `time`, else `receivedMs`). */
export function conversationFromCloudEvent(ce: Record<string, unknown>, receivedMs: number): ConversationObservation | undefined {
  const d = isObj(ce.data) ? ce.data : {};
  const sid = str(d.ConversationSid);
  if (!sid) return undefined;
  switch (str(ce.type)) {
    case 'com.twilio.conversations.conversation-state.updated':
      return stateChange(sid, str(d.StateTo), time(d.StateUpdated, ce.time, receivedMs));
    case 'com.twilio.conversations.message.added': {
      if (!isCustomerAuthor(str(d.Author)) || !isStopKeyword(d.MessageBody)) return undefined;
      return obs(sid, time(d.DateCreated, ce.time, receivedMs), { optOut: true });
    }
    case 'com.twilio.conversations.participant.added': {
      const mb = isObj(d.MessagingBinding) ? d.MessagingBinding : {};
      const b = bindingOf(str(mb.Type), str(mb.Address));
      return b ? obs(sid, time(d.DateCreated, ce.time, receivedMs), { bindingType: b }) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Folds observations into the task's stored snapshot. Closed is final (a Conversation never reopens), the
 * first known close time and binding are kept, an opt-out is never cleared: so the result does not depend on
 * the order observations arrive in.
 */
export function mergeSnapshot(conversationSid: string, taskEvents: readonly RawEvent[], observations: readonly ConversationObservation[]): ConversationSnapshot {
  const prev = latestSnapshot(taskEvents.filter((e) => e.conversationSid === undefined || e.conversationSid === conversationSid));
  const snap: ConversationSnapshot = prev && prev.sid === conversationSid
    ? { ...prev }
    : { sid: conversationSid, state: 'active', createdMs: null, updatedMs: null, closedMs: null, bindingType: null, optOut: false };
  const sorted = [...observations].sort((a, b) => a.occurredMs - b.occurredMs);
  for (const o of sorted) {
    if (o.closedMs !== undefined) snap.closedMs = snap.closedMs === null ? o.closedMs : Math.min(snap.closedMs, o.closedMs);
    if (o.state !== undefined && snap.state !== 'closed') snap.state = o.state;
    if (o.closedMs !== undefined) snap.state = 'closed';
    if (o.bindingType && !snap.bindingType) snap.bindingType = o.bindingType;
    if (o.optOut) snap.optOut = true;
    snap.updatedMs = Math.max(snap.updatedMs ?? o.occurredMs, o.occurredMs);
  }
  return snap;
}

/** The snapshot raw event for one task (content-keyed: the same facts dedupe). */
export function snapshotEvent(taskSid: string, snap: ConversationSnapshot): RawEvent {
  return { ...rawEventFromSnapshot(taskSid, snap), via: 'webhook' };
}

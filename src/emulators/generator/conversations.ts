/** Conversations (messaging interactions): participants and alternating messages, closed at wrap-up or left open. */
import type { Rng } from './ids.js';
import { TICK_MS, tick } from './ids.js';
import { AGENT_LINES, CUSTOMER_LINES, NOT_STOP_BODIES, STOP_BODIES } from './names.js';
import { COMPANY_NUMBER } from './setup.js';
import type { SimContext, SimTask } from './timeline.js';

export interface ConversationEnd {
  /** Last moment messages may be sent (wrap-up or cancel time). */
  endMs: number;
  /** Close time, or null when the conversation stays open. */
  closedMs: number | null;
}

/**
 * Writes the conversation of a messaging task. Message times lie strictly between the conversation's creation and
 * `endMs`; the customer writes first; agents write only after they joined. Returns whether an opt-out was sent.
 */
export function writeConversation(ctx: SimContext, rng: Rng, task: SimTask, end: ConversationEnd): boolean {
  const sid = task.conversationSid;
  const c = task.customer;
  if (sid === null || task.channel === null || task.channel === 'voice') return false;
  let stopped = false;
  const { writer, sids } = ctx;
  const created = task.conversationCreatedMs;
  const ch = task.channel;
  const customerAuthor = ch === 'webchat' ? (c.chatId ?? '') : ch === 'whatsapp' ? `whatsapp:${c.phone ?? ''}` : (c.phone ?? '');
  const binding = ch === 'webchat' ? null
    : JSON.stringify(ch === 'whatsapp'
      ? { type: 'whatsapp', address: customerAuthor, proxy_address: `whatsapp:${COMPANY_NUMBER}` }
      : { type: 'sms', address: customerAuthor, proxy_address: COMPANY_NUMBER });
  const customerPart = sids.next('MB');
  writer.participant(customerPart, sid, ch === 'webchat' ? customerAuthor : null, binding, created);
  const agentParts = task.agents.map((a) => {
    const p = { sid: sids.next('MB'), identity: a.identity, joinedMs: a.joinedMs };
    writer.participant(p.sid, sid, a.identity, null, a.joinedMs);
    return p;
  });

  const msgs: Array<{ author: string; part: string; body: string; ms: number; customer: boolean }> = [];
  msgs.push({ author: customerAuthor, part: customerPart, body: rng.pick(CUSTOMER_LINES), ms: created, customer: true });
  const first = agentParts[0];
  if (first === undefined) {
    if (end.endMs - created > 4 * TICK_MS && rng.chance(0.5)) {
      msgs.push({ author: customerAuthor, part: customerPart, body: 'Hello? Is anyone there?', ms: tick((created + end.endMs) / 2), customer: true });
    }
  } else {
    const [lo, hi] = ctx.opts.messagesPerConversation;
    const more = Math.max(1, rng.int(lo, hi) - 1);
    const from = first.joinedMs + TICK_MS;
    const span = Math.max(0, end.endMs - 2 * TICK_MS - from);
    const times: number[] = [];
    for (let i = 0; i < more; i++) times.push(tick(from + (span * (i + rng.float() * 0.8)) / more));
    times.sort((x, y) => x - y);
    let last = created;
    for (let i = 0; i < times.length; i++) {
      const ms = Math.max(times[i] as number, last + TICK_MS);
      if (ms >= end.endMs) break;
      last = ms;
      const agentTurn = i % 2 === 0;
      if (agentTurn) {
        let agent = first;
        for (const p of agentParts) if (p.joinedMs <= ms) agent = p;
        msgs.push({ author: agent.identity, part: agent.sid, body: rng.pick(AGENT_LINES), ms, customer: false });
      } else {
        msgs.push({ author: customerAuthor, part: customerPart, body: rng.pick(CUSTOMER_LINES), ms, customer: true });
      }
    }
    if (task.consent === 'stop') {
      const ms = last + TICK_MS;
      if (ms < end.endMs) {
        msgs.push({ author: customerAuthor, part: customerPart, body: rng.pick(STOP_BODIES), ms, customer: true });
        stopped = true;
      }
    } else if (task.consent === 'decoy') {
      const target = msgs.filter((m) => m.customer).pop();
      if (target !== undefined) target.body = ch === 'webchat' ? 'STOP' : rng.pick(NOT_STOP_BODIES);
    }
  }
  msgs.forEach((m, i) => writer.message(sids.next('IM'), sid, i, m.author, m.body, m.part, m.ms));
  const lastMs = msgs[msgs.length - 1]?.ms ?? created;
  const label = ch === 'webchat' ? 'Web chat' : ch === 'whatsapp' ? 'WhatsApp' : 'SMS';
  writer.conversation(sid, ch !== 'webchat', `${label} with ${c.name}`, end.closedMs === null ? 'active' : 'closed', created,
    end.closedMs ?? lastMs, end.closedMs);
  return stopped;
}

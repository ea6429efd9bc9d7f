import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/store.js';
import type { DeadLetterInput, InboxItem, RawEvent } from '../../store/types.js';
import type { ConversationSnapshot } from '../derive/conversation.js';
import type { ConversationIndex } from './conversationIndex.js';
import { mergeSnapshot, snapshotEvent, type ConversationObservation } from './conversationEvents.js';

/** Reads full Conversation snapshots (the sync engine's ConversationSource fits). */
export interface ConversationReader {
  getMany(sids: Iterable<string>): Promise<Map<string, ConversationSnapshot | null>>;
}

export interface AttachInput {
  store: Store;
  connectorId: string;
  index: ConversationIndex;
  pending: readonly { item: InboxItem; obs: ConversationObservation }[];
  /** Raw events of the current batch (tasks not stored yet). */
  batchEvents: readonly RawEvent[];
  /** When given, the Conversation is read in full (binding, state, messages) and the webhook facts laid over it. */
  reader?: ConversationReader | undefined;
  expired(item: InboxItem): boolean;
  logger: Logger;
}

/**
 * A webhook tells one fact about a Conversation; the derivation needs its snapshot (binding type for the channel,
 * close time, opt-out). With a reader the Conversation is read in full and the webhook's facts laid over it (its
 * close time has milliseconds, the REST API only seconds); without one the facts are merged into the stored snapshot.
 * Facts of a Conversation whose task is not known yet are deferred (retried after the claim lease).
 */
export async function attachConversations(input: AttachInput): Promise<{ events: RawEvent[]; deferred: Set<number>; deadLetters: DeadLetterInput[] }> {
  const events: RawEvent[] = [];
  const deferred = new Set<number>();
  const deadLetters: DeadLetterInput[] = [];
  input.index.learn(input.batchEvents);
  const byConversation = new Map<string, { items: InboxItem[]; obs: ConversationObservation[] }>();
  for (const { item, obs } of input.pending) {
    const g = byConversation.get(obs.conversationSid) ?? { items: [], obs: [] };
    g.items.push(item);
    g.obs.push(obs);
    byConversation.set(obs.conversationSid, g);
  }
  try {
    const taskSidsByConv = await input.index.tasksFor([...byConversation.keys()]);
    const linked = [...byConversation.keys()].filter((c) => (taskSidsByConv.get(c) ?? []).length > 0);
    const full = input.reader && linked.length > 0 ? await input.reader.getMany(linked) : new Map<string, ConversationSnapshot | null>();
    const allTasks = linked.flatMap((c) => taskSidsByConv.get(c) ?? []);
    const stored = allTasks.length > 0 ? await input.store.rawEventsForTasks(input.connectorId, allTasks) : [];
    for (const [conversationSid, g] of byConversation) {
      const taskSids = taskSidsByConv.get(conversationSid) ?? [];
      if (taskSids.length === 0) {
        // the task is not known yet (its events come later, or only through sync): wait, then let sync fill it
        for (const item of g.items) if (!input.expired(item)) deferred.add(item.id);
        // ...but a sync reads only the Conversations tasks name: a STOP no task names is never lost silently
        g.items.forEach((item, i) => {
          if (deferred.has(item.id) || !g.obs[i]?.optOut) return;
          input.logger.warn({ conversationSid, inboxKey: item.key }, 'opt-out in a conversation no task names; kept as a dead letter');
          deadLetters.push({
            source: 'webhook', reason: 'optout_unlinked', recordKey: item.key,
            payload: { source: item.source, webhook: item.payload, conversationSid },
            error: 'a STOP keyword in a Conversation that no task named within maxDeferMs; replay it once the task is known, or apply the opt-out in Brevo',
          });
        });
        continue;
      }
      const read = full.get(conversationSid) ?? undefined;
      // A webhook saw the close but the read does not yet (Twilio's REST reads can lag the webhooks): read it again
      // later, so the ended conversation is derived from a read that has it closed (its final messages, its bodies).
      if (read && read.closedMs === null && g.obs.some((o) => o.closedMs !== undefined) && g.items.some((i) => !input.expired(i))) {
        for (const item of g.items) deferred.add(item.id);
        continue;
      }
      for (const taskSid of taskSids) {
        const taskEvents = [...stored, ...input.batchEvents].filter((e) => e.taskSid === taskSid);
        const snap = read ? overlay(read, g.obs) : mergeSnapshot(conversationSid, taskEvents, g.obs);
        events.push(snapshotEvent(taskSid, snap));
      }
    }
  } catch (err) {
    input.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'conversation lookup failed; retrying later');
    for (const { item } of input.pending) deferred.add(item.id);
  }
  return { events, deferred, deadLetters };
}

/**
 * The read snapshot with the webhook facts on top: the exact close time (same second), an opt-out, a binding; and a
 * close the read does not show yet (closed is final: a Conversation never reopens).
 */
export function overlay(read: ConversationSnapshot, observations: readonly ConversationObservation[]): ConversationSnapshot {
  const snap = { ...read };
  for (const o of observations) {
    if (o.closedMs !== undefined && snap.closedMs === null) {
      snap.state = 'closed';
      snap.closedMs = o.closedMs;
    }
    if (o.closedMs !== undefined && snap.closedMs !== null && Math.floor(o.closedMs / 1000) === Math.floor(snap.closedMs / 1000)) snap.closedMs = o.closedMs;
    if (o.optOut) snap.optOut = true;
    if (o.bindingType && !snap.bindingType) snap.bindingType = o.bindingType;
  }
  return snap;
}

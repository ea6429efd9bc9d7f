import type { Store } from '../../store/store.js';
import type { InteractionRow, RawEvent } from '../../store/types.js';

/** How far back a conversation's interaction is looked for (a Conversation closes within days of its task). */
export const CONVERSATION_LOOKBACK_MS = 30 * 86_400_000;

/**
 * conversationSid → task SIDs, for attaching Conversations webhooks to interactions. Learned from the task
 * attributes that pass through (`attributes.conversationSid`) and from derived rows; on a miss, recent
 * interactions are scanned once per batch. Bounded in memory (oldest entries dropped).
 */
export class ConversationIndex {
  private readonly map = new Map<string, Set<string>>();

  constructor(
    private readonly store: Store,
    private readonly connectorId: string,
    private readonly now: () => number,
    private readonly maxEntries = 100_000,
  ) {}

  private put(conversationSid: string, taskSid: string): void {
    let set = this.map.get(conversationSid);
    if (!set) {
      if (this.map.size >= this.maxEntries) {
        const oldest = this.map.keys().next();
        if (!oldest.done) this.map.delete(oldest.value);
      }
      set = new Set();
      this.map.set(conversationSid, set);
    }
    set.add(taskSid);
  }

  learn(events: readonly RawEvent[]): void {
    for (const e of events) {
      if (!e.taskSid || e.data === null || typeof e.data !== 'object') continue;
      const conv = conversationSidOf((e.data as Record<string, unknown>).task_attributes ?? (e.data as Record<string, unknown>).TaskAttributes);
      if (conv) this.put(conv, e.taskSid);
    }
  }

  learnRows(rows: readonly InteractionRow[]): void {
    for (const r of rows) if (r.conversationSid) this.put(r.conversationSid, r.taskSid);
  }

  async tasksFor(conversationSids: readonly string[]): Promise<Map<string, string[]>> {
    const missing = conversationSids.filter((c) => !this.map.has(c));
    if (missing.length > 0) await this.scan(new Set(missing));
    const out = new Map<string, string[]>();
    for (const c of conversationSids) out.set(c, [...(this.map.get(c) ?? [])].sort());
    return out;
  }

  /** Pages through recent interactions (by task SID) looking for the wanted conversations. */
  private async scan(wanted: Set<string>): Promise<void> {
    let after: string | undefined;
    const sinceMs = this.now() - CONVERSATION_LOOKBACK_MS;
    for (;;) {
      const page = await this.store.listInteractions(this.connectorId, { sinceMs, limit: 1000, ...(after ? { afterTaskSid: after } : {}) });
      for (const r of page) {
        if (r.conversationSid) this.put(r.conversationSid, r.taskSid);
        const conv = conversationSidOf(r.attributes);
        if (conv && wanted.has(conv)) this.put(conv, r.taskSid);
      }
      if (page.length < 1000) return;
      after = page[page.length - 1]?.taskSid;
      if (!after) return;
    }
  }
}

/** `attributes.conversationSid` of a task (attributes as a JSON string or an object). */
export function conversationSidOf(attributes: unknown): string | undefined {
  let a = attributes;
  if (typeof a === 'string') {
    if (!a.includes('conversationSid')) return undefined;
    try {
      a = JSON.parse(a) as unknown;
    } catch {
      return undefined;
    }
  }
  if (a === null || typeof a !== 'object') return undefined;
  const v = (a as Record<string, unknown>).conversationSid;
  return typeof v === 'string' && v.startsWith('CH') ? v : undefined;
}

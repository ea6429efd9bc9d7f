import type { InteractionRow } from '../../../store/types.js';
import { rawEventFromSnapshot } from '../../derive/conversation.js';
import { listConversations } from '../../../sources/twilio/readers.js';
import { ConversationSource, type ConversationNeed } from '../conversationSource.js';
import { Checkpointer, meterInto, planBatch, progress, throwIfAborted, type SyncContext } from '../context.js';
import type { StreamReport } from '../types.js';
import { DAY_MS, RETENTION_MS } from '../windows.js';

/** Cursor of `conversations` (partition = the Conversations service, or `default`). */
export interface ConversationsCursor {
  /** Conversations still open at the last run (sid → its task) — the ones re-read next time. */
  openCount: number;
  /** Twilio time of the last refresh. */
  refreshedThroughMs: number;
}

/** Above this many open conversations, listing by creation date is cheaper than one GET each. */
const LIST_THRESHOLD = 20;
const MESSAGING = new Set(['sms', 'whatsapp', 'webchat']);

/**
 * Change detection: the Conversations list filters only on the CREATION date (StartDate/EndDate, whole days, newest
 * first when filtered), so it cannot say which conversations changed. What matters for Brevo changes only while a
 * conversation is open: its close time (CONVERSATION_ENDED) and STOP messages (consent). New conversations are read by
 * `taskrouter_events` together with their task. This stream therefore re-reads the conversations that were still open,
 * found from the stored interactions (messaging, with a conversation, not closed), so the work list survives a crash.
 * With many open conversations it lists their creation days (100 per page) instead of one GET each; the rest are
 * fetched by sid. A changed conversation adds a snapshot to its task's events and the task is re-derived.
 */
export async function runConversations(ctx: SyncContext, report: StreamReport): Promise<void> {
  const partition = ctx.conversationServiceSid ?? 'default';
  const cp = await Checkpointer.load(ctx, 'conversations', partition);
  const client = ctx.client.withMeter(meterInto(report));
  const source = ctx.conversations ?? new ConversationSource(client, ctx.conversationServiceSid, { messageBodies: ctx.deps.config.message_bodies !== 'off' });

  // Open conversations of stored interactions within the task retention (older tasks can no longer change).
  const open = new Map<string, InteractionRow>();
  for (let after: string | undefined; ; ) {
    const rows = await ctx.access.listInteractions(ctx.connectorId, { sinceMs: ctx.runNowMs - RETENTION_MS - DAY_MS, limit: 1000, ...(after ? { afterTaskSid: after } : {}) });
    for (const r of rows) {
      if (r.conversationSid && r.channel && MESSAGING.has(r.channel) && r.conversationClosedMs === null && ctx.channels.has(r.channel) && !source.has(r.conversationSid)) open.set(r.conversationSid, r);
    }
    if (rows.length < 1000) break;
    after = rows[rows.length - 1]?.taskSid;
  }

  if (open.size > LIST_THRESHOLD) {
    const from = Math.min(...[...open.values()].map((r) => r.createdMs ?? ctx.runNowMs)) - DAY_MS;
    for await (const page of listConversations(client, ctx.conversationServiceSid, from, ctx.runNowMs)) {
      throwIfAborted(ctx.opts.signal);
      report.pages++;
      report.records += page.items.length;
      for (const c of page.items) if (open.has(c.sid)) source.prime(c);
    }
  }
  // Only what can change matters: Messages (STOP) for sms/whatsapp; the close time comes with the Conversation.
  const needs = new Map([...open].map(([sid, r]): [string, ConversationNeed] => {
    const from = (r.attributes as Record<string, unknown> | null)?.from;
    return [sid, { participants: false, messages: r.channel === 'sms' || r.channel === 'whatsapp', customerAddress: typeof from === 'string' ? from : undefined }];
  }));
  const snaps = await source.snapshots(needs);
  if (open.size <= LIST_THRESHOLD) report.records += open.size;

  const raw = [];
  const tasks: string[] = [];
  for (const [sid, row] of open) {
    const snap = snaps.get(sid);
    if (!snap) continue;
    raw.push(rawEventFromSnapshot(row.taskSid, snap));
    tasks.push(row.taskSid);
  }
  let stillOpen = 0;
  for (const s of snaps.values()) if (s && s.closedMs === null) stillOpen++;
  const cursor: ConversationsCursor = { openCount: stillOpen, refreshedThroughMs: ctx.runNowMs };
  for (let i = 0; i < tasks.length || i === 0; i += 400) {
    throwIfAborted(ctx.opts.signal);
    const chunkTasks = new Set(tasks.slice(i, i + 400));
    const planned = await planBatch(ctx, raw.filter((e) => e.taskSid !== undefined && chunkTasks.has(e.taskSid)), [...chunkTasks], client);
    const last = i + 400 >= tasks.length;
    await cp.commit(planned.batch, last ? cursor : undefined);
    if (last) break;
  }
  report.cursor = cursor;
  progress(ctx, { stream: 'conversations', partition, pages: report.pages, records: report.records, cursor, fraction: 1, done: true });
}

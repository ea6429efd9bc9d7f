/** Dead letters: list, show, replay (back into the outbox, or derived again), discard. */
import { TajoError } from '../../core/errors.js';
import { commitDerived } from '../../engine/sync/customerCommit.js';
import { deadLetterTaskSids, forgottenReplayError } from '../../store/forgotten.js';
import type { Store } from '../../store/store.js';
import type { DeadLetter, DeadLetterInput, InboxInput } from '../../store/types.js';
import type { SdkContext } from '../context.js';
import type { DeadLetterDetail, DeadLetterSummary, DlqActionResult, DlqListParams } from '../types.js';
import { loadConnection } from './connection.js';
import { createLivePlanner, inboxProcessorFor } from './worker.js';

export function summarize(d: DeadLetter): DeadLetterSummary {
  return {
    id: d.id,
    source: d.source,
    reason: d.reason,
    recordKey: d.recordKey,
    status: d.status,
    ...(d.error ? { error: d.error } : {}),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export async function list(ctx: SdkContext, p: DlqListParams): Promise<DeadLetterSummary[]> {
  const store = await ctx.store();
  const rows = await store.listDeadLetters({ status: p.status ?? 'open', limit: p.limit ?? 100, ...(p.afterId !== undefined ? { afterId: p.afterId } : {}) });
  return rows.map(summarize);
}

async function get(ctx: SdkContext, id: number): Promise<DeadLetter> {
  if (!Number.isInteger(id) || id <= 0) throw new TajoError('TAJO_USAGE', `Dead letter id must be a positive integer, got ${String(id)}`);
  const d = await (await ctx.store()).getDeadLetter(id);
  if (!d) throw new TajoError('TAJO_USAGE', `No dead letter #${id}`, { hint: 'list them with `tajo dlq list`' });
  return d;
}

export async function show(ctx: SdkContext, id: number): Promise<DeadLetterDetail> {
  const d = await get(ctx, id);
  return { ...summarize(d), payload: d.payload };
}

/**
 * Replaying puts the record through again:
 * - Brevo-side (a write Brevo refused): the store puts its outbox row back in the queue (attempts reset), unless a
 *   newer write for the same contact supersedes it;
 * - Twilio-side (a task that could not be mapped): the task is derived again from its stored events with the current
 *   config — fixed now, it yields its Brevo writes; still broken, it opens a new dead letter, and the result says so
 *   (`status: 'failed'`, `deadLetters`);
 * - a webhook kept as `optout_unlinked` (a STOP in a Conversation no task named): stored in the inbox again, same
 *   source, under a key derived from this dead letter's id (a second replay of it dedupes), and processed like a new
 *   delivery: once a sync has brought the task naming the Conversation, the opt-out reaches the customer's contact;
 *   still unnamed, it waits in the inbox up to the processor's wait and becomes a new dead letter again;
 * - a webhook kept as `processing_failed` (its processing threw a bug) or `reservation_unresolved` (a plugin call whose
 *   reservation found no task in time): stored in the inbox again the same way, and processed by the version running
 *   now (with the TaskRouter access it has now).
 * A dead letter naming a task `tajo forget` erased is refused (TAJO_DEAD_LETTER_FORGOTTEN), nothing replayed: it
 * would bring the person's data back (forget removes the dead letters about them; one created later may remain).
 */
export async function replay(ctx: SdkContext, id: number): Promise<DlqActionResult> {
  const d = await get(ctx, id);
  if (d.status !== 'open') throw new TajoError('TAJO_USAGE', `Dead letter #${id} is already ${d.status}`);
  const store = await ctx.store();
  if (d.reason === 'corrupt_inbox_row') {
    throw new TajoError('TAJO_USAGE', `Dead letter #${id} (corrupt_inbox_row) cannot be replayed: its inbox row could not be read back. Inspect it with \`tajo dlq show ${id}\`, then discard it; the sender's retries or the next sync bring its events.`);
  }
  if (d.reason === 'optout_unlinked' || d.reason === 'processing_failed' || d.reason === 'reservation_unresolved') return replayWebhook(ctx, d);
  if (d.source === 'twilio' && /^WT[0-9a-fA-F]{32}$/.test(d.recordKey)) {
    const conn = await loadConnection(ctx, 'twilio-flex');
    const { plan, rederive } = await createLivePlanner(ctx, conn);
    // derived before the status changes: a derivation that throws (Twilio unreachable) leaves the dead letter open
    const planned = await plan({ taskSids: [d.recordKey], rawEvents: [], priority: 0 });
    // closed first, so the store opens a new dead letter for a repeat instead of refreshing this one
    await store.setDeadLetterStatus(id, 'replayed');
    const { result: res, batch } = await commitDerived(store, conn.id, planned, rederive);
    const again = await openDeadLettersFor(store, id, batch.deadLetters ?? []);
    if (again.length) {
      ctx.logger.warn({ deadLetter: id, now: again.map((x) => x.id) }, 'dead letter replayed and failed again');
      return { id, status: 'failed', requeued: res.outboxInserted, deadLetters: again };
    }
    return { id, status: 'replayed', requeued: res.outboxInserted };
  }
  const before = await store.outboxStats();
  await store.setDeadLetterStatus(id, 'replayed');
  const after = await store.outboxStats();
  return { id, status: 'replayed', requeued: Math.max(0, after.pending - before.pending) };
}

/** The inbox key a replayed webhook is stored under: derived from the dead letter's id, so replaying it twice dedupes. */
export function replayInboxKey(deadLetterId: number): string {
  return `dlq-replay:${deadLetterId}`;
}

const INBOX_SOURCES: readonly InboxInput['source'][] = ['event-streams', 'taskrouter', 'conversations', 'flex-plugin', 'survey', 'sdk'];

async function replayWebhook(ctx: SdkContext, d: DeadLetter): Promise<DlqActionResult> {
  const p = d.payload as { source?: unknown; webhook?: unknown; conversationSid?: unknown } | null;
  const source = INBOX_SOURCES.find((s) => s === p?.source);
  if (!source || p?.webhook === null || typeof p?.webhook !== 'object') {
    throw new TajoError('TAJO_USAGE', `Dead letter #${d.id} (${d.reason}) holds no webhook to replay`, { hint: `inspect it with \`tajo dlq show ${d.id}\`, then discard it` });
  }
  const conn = await loadConnection(ctx, 'twilio-flex');
  const store = await ctx.store();
  // checked before the webhook goes back into the inbox (the store refuses the status change too, but only after it)
  const forgotten = await store.forgottenTasks(conn.id, deadLetterTaskSids(d.recordKey, JSON.stringify(p.webhook)));
  if (forgotten.length) throw forgottenReplayError(d.id, forgotten);
  const key = replayInboxKey(d.id);
  await store.ingest([{ key, source, payload: p.webhook }]);
  await store.setDeadLetterStatus(d.id, 'replayed');
  const host = ctx.hosted;
  // inside `tajo serve` its own processor takes it (a worker replica does with --role ingest); elsewhere one cycle
  // of the inbox processor runs now (claims are leased: safe beside a running server)
  if (host) host.inbox?.wake();
  else await (await inboxProcessorFor(ctx, conn)).runOnce();
  return { id: d.id, status: 'replayed', requeued: 1, inboxKey: key };
}

/** The open dead letters holding what a replay dead-lettered again (one per source, reason and record key). */
async function openDeadLettersFor(store: Store, replayedId: number, letters: DeadLetterInput[]): Promise<{ id: number; reason: string; error?: string }[]> {
  if (!letters.length) return [];
  const want = new Set(letters.map((l) => `${l.source}\u0000${l.reason}\u0000${l.recordKey}`));
  const out: { id: number; reason: string; error?: string }[] = [];
  for (let afterId = replayedId; ; ) {
    const page = await store.listDeadLetters({ status: 'open', afterId, limit: 500 });
    for (const x of page) if (want.has(`${x.source}\u0000${x.reason}\u0000${x.recordKey}`)) out.push({ id: x.id, reason: x.reason, ...(x.error ? { error: x.error } : {}) });
    if (page.length < 500) return out;
    afterId = page[page.length - 1]!.id;
  }
}

export async function discard(ctx: SdkContext, id: number): Promise<DlqActionResult> {
  const d = await get(ctx, id);
  if (d.status !== 'open') throw new TajoError('TAJO_USAGE', `Dead letter #${id} is already ${d.status}`);
  await (await ctx.store()).setDeadLetterStatus(id, 'discarded');
  return { id, status: 'discarded' };
}

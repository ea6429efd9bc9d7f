/** Dead letters: list, show, replay (back into the outbox, or derived again), discard. */
import { TajoError } from '../../core/errors.js';
import { commitDerived } from '../../engine/sync/customerCommit.js';
import type { DeadLetter } from '../../store/types.js';
import type { SdkContext } from '../context.js';
import type { DeadLetterDetail, DeadLetterSummary, DlqActionResult, DlqListParams } from '../types.js';
import { loadConnection } from './connection.js';
import { createLivePlanner } from './worker.js';

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
 *   config — fixed now, it yields its Brevo writes; still broken, it opens a new dead letter.
 */
export async function replay(ctx: SdkContext, id: number): Promise<DlqActionResult> {
  const d = await get(ctx, id);
  if (d.status !== 'open') throw new TajoError('TAJO_USAGE', `Dead letter #${id} is already ${d.status}`);
  const store = await ctx.store();
  if (d.reason === 'corrupt_inbox_row') {
    throw new TajoError('TAJO_USAGE', `Dead letter #${id} (corrupt_inbox_row) cannot be replayed: its inbox row could not be read back. Inspect it with \`tajo dlq show ${id}\`, then discard it; the sender's retries or the next sync bring its events.`);
  }
  if (d.source === 'twilio' && /^WT[0-9a-fA-F]{32}$/.test(d.recordKey)) {
    const conn = await loadConnection(ctx, 'twilio-flex');
    const { plan, rederive } = await createLivePlanner(ctx, conn);
    await store.setDeadLetterStatus(id, 'replayed');
    const batch = await plan({ taskSids: [d.recordKey], rawEvents: [], priority: 0 });
    const { result: res } = await commitDerived(store, conn.id, batch, rederive);
    return { id, status: 'replayed', requeued: res.outboxInserted };
  }
  const before = await store.outboxStats();
  await store.setDeadLetterStatus(id, 'replayed');
  const after = await store.outboxStats();
  return { id, status: 'replayed', requeued: Math.max(0, after.pending - before.pending) };
}

export async function discard(ctx: SdkContext, id: number): Promise<DlqActionResult> {
  const d = await get(ctx, id);
  if (d.status !== 'open') throw new TajoError('TAJO_USAGE', `Dead letter #${id} is already ${d.status}`);
  await (await ctx.store()).setDeadLetterStatus(id, 'discarded');
  return { id, status: 'discarded' };
}

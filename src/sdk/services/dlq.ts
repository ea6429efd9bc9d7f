/** Dead letters: list, show, replay (back into the outbox or the inbox), discard. */
import { TajoError } from '../../core/errors.js';
import type { DeadLetter, OutboxKind } from '../../store/types.js';
import type { SdkContext } from '../context.js';
import type { DeadLetterDetail, DeadLetterSummary, DlqActionResult, DlqListParams } from '../types.js';

const OUTBOX_KINDS: readonly OutboxKind[] = ['contact', 'event', 'list_add', 'list_remove'];

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

/** An outbox write that Brevo refused: the dead letter's payload is the outbox item. */
function asOutboxWrite(d: DeadLetter): { kind: OutboxKind; key: string; payload: unknown; contentHash?: string; customerKey?: string } | undefined {
  const p = d.payload as { kind?: unknown; key?: unknown; payload?: unknown; contentHash?: unknown; customerKey?: unknown } | null;
  if (!p || typeof p !== 'object' || !OUTBOX_KINDS.includes(p.kind as OutboxKind)) return undefined;
  return {
    kind: p.kind as OutboxKind,
    key: typeof p.key === 'string' ? p.key : d.recordKey,
    payload: p.payload,
    ...(typeof p.contentHash === 'string' ? { contentHash: p.contentHash } : {}),
    ...(typeof p.customerKey === 'string' ? { customerKey: p.customerKey } : {}),
  };
}

/**
 * Brevo-side dead letters go back into the outbox (live priority); Twilio/webhook-side ones are re-ingested
 * through the inbox so the engine maps them again (after a config fix, for example).
 */
export async function replay(ctx: SdkContext, id: number): Promise<DlqActionResult> {
  const d = await get(ctx, id);
  if (d.status !== 'open') throw new TajoError('TAJO_USAGE', `Dead letter #${id} is already ${d.status}`);
  const store = await ctx.store();
  const write = d.source === 'brevo' ? asOutboxWrite(d) : undefined;
  let requeued = 0;
  if (write) {
    const res = await store.commit('twilio-flex', { outbox: [{ ...write, priority: 0 }] });
    requeued = res.outboxInserted;
  } else {
    const r = await store.ingest([{ key: `replay:${d.id}:${d.recordKey}`, source: 'sdk', payload: { replayOf: d.id, source: d.source, reason: d.reason, payload: d.payload } }]);
    requeued = r.accepted;
  }
  await store.setDeadLetterStatus(id, 'replayed');
  return { id, status: 'replayed', requeued };
}

export async function discard(ctx: SdkContext, id: number): Promise<DlqActionResult> {
  const d = await get(ctx, id);
  if (d.status !== 'open') throw new TajoError('TAJO_USAGE', `Dead letter #${id} is already ${d.status}`);
  await (await ctx.store()).setDeadLetterStatus(id, 'discarded');
  return { id, status: 'discarded' };
}

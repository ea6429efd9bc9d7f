/** Event delivery: `POST /events/batch` and/or single `POST /events`, as `planEvents` decides. */
import { jsonBytes, splitEventBatches } from '../../sinks/brevo/classify.js';
import type { EventItem } from '../../sinks/brevo/types.js';
import type { OutboxItem } from '../../store/types.js';
import { VendorHttpError } from '../http.js';
import { pool, settleAll, type DeliveryContext } from './outcome.js';
import { eventsPerBatch, planBackfillEvents, planEvents } from './planner.js';

export interface EventDeliveryConfig {
  /** Parallel single `POST /events` calls (the events budget paces them). */
  concurrency: number;
  /** Catch-all tokens kept for import polling when `/events/batch` shares it (the worker: 8 while a sync runs, 2 or 0 in a drain). */
  batchReserve: number;
  minBatchSavingMs?: number;
  /**
   * Backfill rows (all priority 1): the single calls take the events they can send within this horizon (real ms) and
   * only the rest go in full batches (planBackfillEvents). Unset: planEvents for every claim.
   */
  backfillSinglesHorizonMs?: number;
}

interface Ev {
  item: OutboxItem;
  e: EventItem;
}

function parseEvent(p: unknown): EventItem | undefined {
  if (!p || typeof p !== 'object') return undefined;
  const e = p as Partial<EventItem>;
  if (typeof e.event_name !== 'string' || !e.identifiers || typeof e.identifiers !== 'object') return undefined;
  return e as EventItem;
}

/**
 * Deliver claimed `event` rows. Rows whose contact is still on its way (`held` ext_ids) go back to the queue
 * first: an event for a contact not yet in Brevo would create a bare contact. Already-delivered keys (ledger)
 * complete without a call.
 */
export async function deliverEvents(ctx: DeliveryContext, items: readonly OutboxItem[], held: ReadonlySet<string>, cfg: EventDeliveryConfig): Promise<void> {
  const ledger = items.length ? await ctx.store.delivered(items.map((i) => i.key)) : new Map<string, string | null>();
  const evs: Ev[] = [];
  for (const item of items) {
    const e = parseEvent(item.payload);
    if (!e) {
      await ctx.dead(item, 'brevo_rejected', 'event payload is not a Brevo event item');
      continue;
    }
    if (ledger.has(item.key)) {
      await ctx.complete([item]);
      continue;
    }
    if (e.identifiers.ext_id !== undefined && held.has(e.identifiers.ext_id)) {
      await ctx.release([item], 'waiting for its contact', 1_000 / ctx.opts.timeScale);
      continue;
    }
    evs.push({ item, e });
  }
  if (!evs.length || ctx.stopped) return;

  const split = splitEventBatches(evs.map((v) => v.e));
  for (const i of split.tooLarge) await ctx.dead(evs[i]!.item, 'payload_too_large', 'event exceeds 512 KB or 50 KB of event_properties');
  const sendable = evs.filter((_v, i) => !split.tooLarge.includes(i));
  if (!sendable.length) return;

  const batchBudget = ctx.brevo.eventsBatchBudget;
  const shared = batchBudget === ctx.brevo.budgets.other;
  const bc = batchBudget.capacity();
  const avg = sendable.reduce((s, v) => s + jsonBytes(v.e), 0) / sendable.length;
  const batchCapacity = { ...bc, availableNow: Math.max(0, bc.availableNow - (shared ? cfg.batchReserve + ctx.reservedPolls : 0)) };
  const single = ctx.brevo.budgets.events.capacity();
  const backfill = cfg.backfillSinglesHorizonMs !== undefined && sendable.every((v) => v.item.priority === 1);
  const plan = backfill
    ? planBackfillEvents({
        count: sendable.length,
        perBatch: eventsPerBatch(avg),
        batchTokens: batchCapacity.availableNow,
        singlesFirst: Math.floor((single.sustainedPerSecond * (cfg.backfillSinglesHorizonMs ?? 0)) / 1000),
      })
    : planEvents({
        count: sendable.length,
        single,
        batch: batchCapacity,
        perBatch: eventsPerBatch(avg),
        ...(cfg.minBatchSavingMs !== undefined ? { minSavingMs: cfg.minBatchSavingMs } : {}),
      });
  ctx.logger.debug({ events: sendable.length, plan: plan.reason }, 'event delivery plan');

  // Claim order is priority order: live events take the path that starts first; backfill singles take the oldest.
  const forBatch = backfill ? sendable.slice(plan.singleEvents) : sendable.slice(0, plan.batchEvents);
  const forSingles = backfill ? sendable.slice(0, plan.singleEvents) : sendable.slice(plan.batchEvents);
  await settleAll([sendBatches(ctx, forBatch, cfg, shared), sendSingles(ctx, forSingles, cfg.concurrency)]);
}

async function sendBatches(ctx: DeliveryContext, evs: readonly Ev[], cfg: EventDeliveryConfig, shared: boolean): Promise<void> {
  if (!evs.length) return;
  const { batches } = splitEventBatches(evs.map((v) => v.e));
  // Batches draw from one small budget: send them one after the other.
  for (const [n, idx] of batches.entries()) {
    if (ctx.stopped) return;
    // The plan was made before an import (contacts lane) reserved its polls: never take those tokens, send singles.
    if (shared && ctx.brevo.eventsBatchBudget.capacity().availableNow < 1 + cfg.batchReserve + ctx.reservedPolls) {
      await sendSingles(ctx, batches.slice(n).flatMap((b) => b.map((i) => evs[i]!)), cfg.concurrency);
      return;
    }
    const group = idx.map((i) => evs[i]!);
    const items = group.map((v) => v.item);
    const priority = Math.min(...items.map((i) => i.priority)) as 0 | 1;
    try {
      const r = await ctx.brevo.createBatchEvents(group.map((v) => v.e), { priority, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      for (const f of r.failures) await ctx.dead(group[f.index]!.item, 'brevo_rejected', f.message);
      await ctx.complete(items);
    } catch (err) {
      if (err instanceof VendorHttpError && err.code === 'TAJO_BREVO_REJECTED' && group.length > 1) {
        // A 4xx for the whole batch: isolate the bad event(s) with single calls (exact per-event errors).
        ctx.logger.warn({ size: group.length, status: err.httpStatus }, 'events batch rejected; sending its events one by one');
        await sendSingles(ctx, group, cfg.concurrency);
      } else {
        await ctx.fail(items, err);
      }
    }
  }
}

async function sendSingles(ctx: DeliveryContext, evs: readonly Ev[], concurrency: number): Promise<void> {
  await pool(evs, concurrency, () => ctx.stopped, async (v) => {
    try {
      await ctx.brevo.createEvent(v.e, { priority: v.item.priority, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      await ctx.complete([v.item]);
    } catch (err) {
      await ctx.fail([v.item], err);
    }
  });
}

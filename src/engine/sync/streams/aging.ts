import { ABANDON_WINDOW_MS } from '../../derive/customer.js';
import { planCustomers } from '../customerPlan.js';
import type { Checkpointer, SyncContext } from '../context.js';

/**
 * ABANDONS_30D depends on "now": an abandon leaves the 30-day window without any new event for its customer. Those
 * customers (abandons created in [previous run − 30 d, this run − 30 d)) are recomputed here, so their contact is
 * re-pushed when the count drops. Nothing to do on a first run (every customer was derived with this run's now).
 */
export async function refreshAgedCustomers(ctx: SyncContext, cp: Checkpointer, previousEndMs: number | undefined): Promise<void> {
  if (previousEndMs === undefined || !ctx.does.contacts) return;
  const from = previousEndMs - ABANDON_WINDOW_MS;
  const to = ctx.runNowMs - ABANDON_WINDOW_MS;
  if (to <= from) return;
  const keys = new Set<string>();
  for (let after: string | undefined; ; ) {
    const rows = await ctx.access.listInteractions(ctx.connectorId, { sinceMs: from, untilMs: to, limit: 1000, ...(after ? { afterTaskSid: after } : {}) });
    for (const r of rows) if (r.outcome === 'abandoned' && r.customerKey) keys.add(r.customerKey);
    if (rows.length < 1000) break;
    after = rows[rows.length - 1]?.taskSid;
  }
  if (keys.size === 0) return;
  const planned = await planCustomers(
    {
      connectorId: ctx.connectorId, reader: ctx.access, config: ctx.deps.config, lists: ctx.deps.listIds, nowMs: ctx.runNowMs, priority: 1,
      emit: { contacts: true, events: false, csat: false }, samples: ctx.samples, previous: ctx.previousContactConfig,
    },
    { rawEvents: [], interactions: [], surveys: [], deadLetters: [], previousKeys: [...keys], postponed: [] },
  );
  await cp.commit(planned.batch);
}

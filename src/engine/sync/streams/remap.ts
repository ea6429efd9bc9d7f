import { planCustomers } from '../customerPlan.js';
import { yieldToLoop, type Checkpointer, type ContactConfig, type SyncContext } from '../context.js';

/** Customers re-derived per commit. */
const CHUNK = 200;

function normalised(c: ContactConfig): string {
  const mapping = Object.entries(c.fieldMapping).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([mapping, c.lists.support_contacts ?? null, c.lists.csat_respondents ?? null]);
}

/**
 * A change of `field_mapping` or of the lists changes the contact of every customer, not only of those a run reads
 * again (an incremental run reads minutes; a full one 30 days, while customers are kept for all time). When the
 * cursor's `contactConfig` (what the stored `pushedHash`es were built with) differs from this run's, every stored
 * customer is derived again and its contact enqueued where it changed. The new config is recorded with the last
 * chunk, so a crash before it re-derives again on the next run (contacts already re-pushed compare equal and are
 * skipped). A narrowed run (`partial`) moves no cursor and leaves this to the next full run of the config.
 */
export async function repushOnContactConfigChange(ctx: SyncContext, cp: Checkpointer, current: ContactConfig): Promise<void> {
  const prev = cp.value as { contactConfig?: ContactConfig } | undefined;
  if (!prev?.contactConfig || !ctx.does.contacts || ctx.partial) return;
  if (normalised(prev.contactConfig) === normalised(current)) return;
  const keys = new Set<string>();
  for (let after: string | undefined; ; ) {
    const rows = await ctx.access.listInteractions(ctx.connectorId, { limit: 1000, ...(after ? { afterTaskSid: after } : {}) });
    for (const r of rows) if (r.customerKey) keys.add(r.customerKey);
    if (rows.length < 1000) break;
    after = rows[rows.length - 1]?.taskSid;
  }
  const all = [...keys].sort();
  ctx.log.info({ customers: all.length }, 'field_mapping or lists changed: re-deriving every customer');
  for (let i = 0; i < all.length || i === 0; i += CHUNK) {
    const planned = await planCustomers(
      {
        connectorId: ctx.connectorId, reader: ctx.access, config: ctx.deps.config, lists: ctx.deps.listIds, nowMs: ctx.runNowMs, priority: 1,
        emit: { contacts: true, events: false, csat: false }, samples: ctx.samples, previous: ctx.previousContactConfig,
      },
      { rawEvents: [], interactions: [], surveys: [], deadLetters: [], previousKeys: all.slice(i, i + CHUNK), postponed: [] },
    );
    const last = i + CHUNK >= all.length;
    await cp.commit(planned.batch, last ? { ...(cp.value as object), contactConfig: current } : undefined);
    await yieldToLoop();
    if (last) break;
  }
}

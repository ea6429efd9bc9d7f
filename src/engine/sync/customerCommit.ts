/**
 * Commits of derived customers under optimistic concurrency. `tajo serve` (inbox processor) and `tajo connectors sync`
 * on one store may derive the same customer at once, each from a read that misses the other's new interaction; the
 * store refuses the later commit (customer row versions, store/customerVersion.ts) and the committer re-derives those
 * customers from the store as it is now, so the contact payload that ends up in the outbox counts every interaction.
 */
import { CustomerConflictError } from '../../store/customerVersion.js';
import { taskSidsOf, withoutForgotten } from '../../store/forgotten.js';
import type { CommitBatch, CommitResult, OutboxInput } from '../../store/types.js';
import { deriveCustomers, type CustomerPlanDeps } from './customerPlan.js';
import type { StoreAccess } from './storeAccess.js';

/** Re-derives the customers `keys` of a refused batch from the store (with the batch's own rows laid over it). */
export type CustomerRederive = (batch: CommitBatch, keys: readonly string[]) => Promise<CommitBatch>;

/** Conflicts in a row are rare (each retry reads what the other process committed); past this many, the caller retries. */
const MAX_ATTEMPTS = 8;

/**
 * The batch with the customers `keys` derived again: their rows (with the versions read now) and contact writes are
 * replaced; everything else — raw events, interactions, surveys, events, the checkpoint, processed inbox ids — stays.
 * The batch's customer rows carry the opt-outs it saw (sticky flags), so they are kept.
 */
export function customerRederiver(deps: () => CustomerPlanDeps): CustomerRederive {
  return async (refused, keys) => {
    // refused for a person `tajo forget` erased meanwhile: their tasks' rows go, and they are derived without them
    const d = deps();
    const { batch } = withoutForgotten(refused, new Set(await d.reader.forgottenTasks(d.connectorId, taskSidsOf(refused))));
    const redo = new Set(keys);
    const optOut = new Map((batch.customers ?? []).filter((c) => redo.has(c.key)).map((c) => [c.key, { sms: c.smsBlacklisted, whatsapp: c.whatsappBlacklisted }]));
    const fresh = await deriveCustomers({ ...d, samples: undefined }, keys, { interactions: batch.interactions ?? [], surveys: batch.surveys ?? [], optOut });
    const freshContact = new Map(fresh.contacts.map((c) => [c.key, c]));
    const redone = (o: OutboxInput) => o.kind === 'contact' && o.customerKey !== undefined && redo.has(o.customerKey);
    const had = new Set((batch.outbox ?? []).filter(redone).map((o) => o.key));
    const outbox: OutboxInput[] = fresh.contacts.filter((c) => !had.has(c.key));
    for (const o of batch.outbox ?? []) {
      const replacement = redone(o) ? freshContact.get(o.key) : o;
      if (replacement) outbox.push(replacement);
    }
    return { ...batch, customers: [...(batch.customers ?? []).filter((c) => !redo.has(c.key)), ...fresh.customers], outbox };
  };
}

/**
 * `commit` of a batch with derived customers: when the store refuses it because some of them were re-derived by
 * another process since they were read (nothing was written), they are derived again and the whole batch is committed
 * again. Returns the batch that was committed. Without `rederive`, or after MAX_ATTEMPTS, the conflict is thrown (a
 * retryable TajoError): the caller retries its batch as a whole (the inbox processor after the claim lease).
 */
export async function commitDerived(
  store: Pick<StoreAccess, 'commit'>,
  connectorId: string,
  batch: CommitBatch,
  rederive: CustomerRederive | undefined,
): Promise<{ result: CommitResult; batch: CommitBatch }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: await store.commit(connectorId, batch), batch };
    } catch (err) {
      if (!(err instanceof CustomerConflictError) || !rederive || attempt >= MAX_ATTEMPTS) throw err;
      // a hot customer under several writers: let the others' commits through before reading again
      if (attempt > 2) await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      batch = await rederive(batch, err.keys);
    }
  }
}

import type { GroundTruth } from '../../../emulators/index.js';
import type { Store } from '../../../store/store.js';
import type { BrevoEventItem } from '../../derive/events.js';
import { sortKeys } from './compare.js';

/**
 * The store, recording the first payload each event outbox key was enqueued with. An event once enqueued is never
 * re-sent (the outbox and the ledger drop its key), so that first version is the one Brevo gets.
 */
export function recordFirstEnqueued(store: Store): { store: Store; first: Map<string, BrevoEventItem> } {
  const first = new Map<string, BrevoEventItem>();
  const proxy: Store = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'commit') {
        return async (connectorId: string, batch: Parameters<Store['commit']>[1]) => {
          for (const o of batch.outbox ?? []) if (o.kind === 'event' && !first.has(o.key)) first.set(o.key, o.payload as BrevoEventItem);
          return target.commit(connectorId, batch);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: proxy, first };
}

/** The truth events whose first enqueued version is missing or has other properties. */
export function wrongFirstVersions(truth: GroundTruth['events'], first: ReadonlyMap<string, BrevoEventItem>): { tajoId: string; want: unknown; firstEnqueued: unknown }[] {
  const byTajo = new Map([...first.values()].map((e) => [String(e.event_properties.tajo_id), e]));
  return truth
    .map((t) => ({ tajoId: `${t.name}:${t.source_sid}`, want: t.properties, firstEnqueued: byTajo.get(`${t.name}:${t.source_sid}`)?.event_properties }))
    .filter((w) => JSON.stringify(sortKeys(w.firstEnqueued)) !== JSON.stringify(sortKeys(w.want)));
}

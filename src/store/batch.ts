/** Backend-neutral normalisation of a commit's outbox items, so every store counts and coalesces alike. */
import type { OutboxInput } from './types.js';

/**
 * Within one batch: an event key counts once (the first wins, as the outbox would keep it); contact/list writes
 * with the same key collapse to the last payload, at the most urgent priority of the group. Order of first
 * appearance is kept.
 */
export function normaliseOutbox(items: readonly OutboxInput[]): OutboxInput[] {
  const byKey = new Map<string, OutboxInput>();
  for (const item of items) {
    const prev = byKey.get(item.key);
    if (!prev) byKey.set(item.key, item);
    else if (item.kind !== 'event' && prev.kind !== 'event') {
      byKey.set(item.key, { ...item, priority: Math.min(prev.priority, item.priority) as 0 | 1, ...(item.customerKey ?? prev.customerKey ? { customerKey: item.customerKey ?? prev.customerKey! } : {}) });
    }
  }
  return [...byKey.values()];
}

/** Last row per key (for multi-row upserts, which may touch a row only once per statement). */
export function lastByKey<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const m = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    m.delete(k);
    m.set(k, r);
  }
  return [...m.values()];
}

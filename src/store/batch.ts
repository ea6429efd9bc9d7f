/** Backend-neutral normalisation of a commit's outbox items and raw events, so every store counts and coalesces alike. */
import type { OutboxInput, RawEvent } from './types.js';

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

/**
 * Two copies of one TaskRouter event (one EV key): a TaskRouter callback's `Timestamp` has whole seconds, Event Streams
 * and the Events API milliseconds. `a` is the coarser copy of `b` when it is `b`'s time cut to the second. The stores
 * apply the same rule (RAW_EVENT_UPGRADE), so the precise copy wins whichever copy came first.
 */
export function isCoarserCopy(a: Pick<RawEvent, 'occurredMs'>, b: Pick<RawEvent, 'occurredMs'>): boolean {
  return a.occurredMs % 1000 === 0 && b.occurredMs % 1000 !== 0 && Math.floor(a.occurredMs / 1000) === Math.floor(b.occurredMs / 1000);
}

/** Of two copies of one event, the one to keep: the newer copy, unless it is the coarser one. */
export function pickCopy<T extends Pick<RawEvent, 'occurredMs'>>(current: T, next: T): T {
  return isCoarserCopy(next, current) ? current : next;
}

/** One copy per key, the one `pickCopy` keeps; order of first appearance. */
export function rawEventCopies<T extends Pick<RawEvent, 'key' | 'occurredMs'>>(events: readonly T[]): T[] {
  const m = new Map<string, T>();
  for (const e of events) {
    const prev = m.get(e.key);
    m.set(e.key, prev ? pickCopy(prev, e) : e);
  }
  return [...m.values()];
}

/**
 * `ON CONFLICT (connector_id, key)` action of a raw event insert (both dialects: integer division on integer
 * columns): the stored copy is replaced only by the same event with milliseconds where it has whole seconds
 * (isCoarserCopy); anything else already stored stays.
 */
export const RAW_EVENT_UPGRADE = `DO UPDATE SET occurred_ms = excluded.occurred_ms, via = excluded.via, data = excluded.data
  WHERE raw_events.occurred_ms % 1000 = 0 AND excluded.occurred_ms % 1000 <> 0 AND raw_events.occurred_ms / 1000 = excluded.occurred_ms / 1000`;

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

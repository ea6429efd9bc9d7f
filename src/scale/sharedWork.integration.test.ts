/**
 * Work sharing on Postgres primitives, several "replicas" (each its own store and pool) on one database:
 * webhook ingest deduped across replicas by the inbox's unique key, and outbox rows claimed in batches by any
 * replica (SKIP LOCKED) while claim renewals run — overlapping writes in different orders never surface as errors
 * (deadlocks are retried by the store).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../store/postgres/postgresStore.js';
import { createTestDatabase, postgresAvailable, truncateAll } from '../store/postgres/test-helpers/testDatabase.js';
import type { InboxInput, OutboxInput } from '../store/types.js';

const available = await postgresAvailable();

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe.runIf(available)('work sharing between replicas on Postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let stores: PostgresStore[];
  beforeAll(async () => {
    db = await createTestDatabase();
    stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(db.url, { max: 4 })));
  });
  afterAll(async () => {
    await Promise.all((stores ?? []).map((s) => s.close()));
    await db?.drop();
  });

  it('webhook ingest on every replica: the same deliveries in different orders are stored once, without errors', async () => {
    await truncateAll(db.url);
    const items: InboxInput[] = Array.from({ length: 400 }, (_, i) => ({ key: `EV${String(i).padStart(32, '0')}`, source: 'taskrouter', payload: { i } }));
    // Each replica receives every item (retries, duplicated deliveries), in its own order, in batches of 25.
    const results = await Promise.all(stores.flatMap((s, r) => {
      const mine = shuffled(items, r + 1);
      return Array.from({ length: mine.length / 25 }, (_, b) => s.ingest(mine.slice(b * 25, b * 25 + 25)));
    }));
    expect(results.reduce((a, x) => a + x.accepted, 0)).toBe(items.length);
    expect(results.reduce((a, x) => a + x.duplicates, 0)).toBe(items.length * 2);
    const claimed = await stores[0]!.claimInbox({ workerId: 'probe', limit: 10_000, leaseMs: 60_000, nowMs: Date.now() });
    expect(new Set(claimed.map((c) => c.key)).size).toBe(items.length);
    expect(claimed).toHaveLength(items.length);
  });

  it('outbox batches claimed by any replica while claims are renewed: each row delivered once', async () => {
    await truncateAll(db.url);
    const rows: OutboxInput[] = Array.from({ length: 900 }, (_, i) => ({ kind: 'event', key: `E${i}`, payload: { i }, priority: 1 }));
    await stores[0]!.commit('c', { outbox: rows });
    const delivered: number[] = [];
    await Promise.all(stores.map(async (s, w) => {
      for (;;) {
        const batch = await s.claimOutbox({ workerId: `w${w}`, limit: 40, leaseMs: 60_000, nowMs: Date.now() });
        if (!batch.length) return;
        const ids = batch.map((b) => b.id);
        // Renewal (reverse order) racing the group commit of the same rows.
        await Promise.all([s.renewOutboxClaims(`w${w}`, [...ids].reverse(), Date.now() + 60_000), s.completeOutbox(ids, Date.now())]);
        delivered.push(...ids);
      }
    }));
    expect(delivered).toHaveLength(rows.length);
    expect(new Set(delivered).size).toBe(rows.length);
    expect(await stores[1]!.outboxStats()).toMatchObject({ pending: 0, inflight: 0, delivered: rows.length });
  });
});

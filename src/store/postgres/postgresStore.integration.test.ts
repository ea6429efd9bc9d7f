import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTajoError } from '../../core/errors.js';
import { runStoreContract } from '../contract.js';
import type { OutboxInput } from '../types.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { PostgresStore } from './postgresStore.js';
import { createEmptyDatabase, createTestDatabase, postgresAvailable, TEST_DATABASE_URL, truncateAll } from './test-helpers/testDatabase.js';

const available = await postgresAvailable();
if (!available) console.warn(`Postgres store tests skipped: no server at ${new URL(TEST_DATABASE_URL).host} (set TAJO_TEST_DATABASE_URL)`);

describe.runIf(available)('postgres store', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  runStoreContract('postgres', async () => {
    await truncateAll(db.url);
    return PostgresStore.open(db.url, { max: 4 });
  });

  it('several stores migrating one empty database at once all succeed; migrations run once', async () => {
    const empty = await createEmptyDatabase();
    try {
      const stores = await Promise.all([1, 2, 3, 4].map(() => PostgresStore.open(empty.url, { max: 2 })));
      for (const s of stores) expect(await s.migrations()).toEqual({ applied: POSTGRES_MIGRATIONS.map((m) => m.id), pending: [] });
      await Promise.all(stores.map((s) => s.close()));
      const c = new pg.Client({ connectionString: empty.url });
      await c.connect();
      expect((await c.query('SELECT count(*)::int AS n FROM schema_migrations')).rows).toEqual([{ n: POSTGRES_MIGRATIONS.length }]);
      await c.end();
    } finally {
      await empty.drop();
    }
  });

  it('stores strings jsonb cannot hold (NUL, lone surrogates) with U+FFFD in their place, in the inbox and in commits', async () => {
    await truncateAll(db.url);
    const store = await PostgresStore.open(db.url, { max: 2 });
    try {
      const odd = 'a\u0000b\ud800c\udc00😀';
      const kept = 'a\ufffdb\ufffdc\ufffd😀';
      expect(await store.ingest([{ key: 'k1', source: 'taskrouter', payload: { note: odd } }])).toMatchObject({ accepted: 1 });
      expect(await store.ingest([{ key: 'k2', source: 'event-streams', payload: null, payloadJson: '[{"note":"x\\u0000\\uD800"}]' }])).toMatchObject({ accepted: 1 });
      const items = await store.claimInbox({ workerId: 'w', limit: 10, leaseMs: 60_000, nowMs: Date.now() });
      expect(items.map((i) => i.payload)).toEqual([{ note: kept }, [{ note: 'x\ufffd\ufffd' }]]);
      await store.commit('c', { rawEvents: [{ key: 'EV1', type: 'task.created', occurredMs: 1, taskSid: 'WT1', via: 'webhook', data: { task_attributes: odd } }] });
      expect((await store.rawEventsForTasks('c', ['WT1'])).map((e) => e.data)).toEqual([{ task_attributes: kept }]);
    } finally {
      await store.close();
    }
  });

  it('concurrent drainers never claim the same row (SKIP LOCKED)', async () => {
    await truncateAll(db.url);
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(db.url, { max: 2 })));
    const items: OutboxInput[] = Array.from({ length: 600 }, (_, i) => ({ kind: 'event', key: `E${i}`, payload: { i }, priority: 1 }));
    expect((await stores[0]!.commit('c', { outbox: items })).outboxInserted).toBe(600);
    const seen: number[] = [];
    await Promise.all(stores.map(async (s, w) => {
      for (;;) {
        const got = await s.claimOutbox({ workerId: `w${w}`, limit: 25, leaseMs: 60_000, nowMs: Date.now() });
        if (!got.length) return;
        seen.push(...got.map((r) => r.id));
        await s.completeOutbox(got.map((r) => r.id), Date.now());
      }
    }));
    expect(seen).toHaveLength(600);
    expect(new Set(seen).size).toBe(600);
    expect((await stores[0]!.outboxStats()).delivered).toBe(600);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('reads batch rows (migration 0005) as SQLite writes them: a claim expands them by whole rows, a single item dedupes against their keys, pruning frees them', async () => {
    await truncateAll(db.url);
    const store = await PostgresStore.open(db.url, { max: 2 });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const at = new Date().toISOString();
      // this dialect writes no batch rows itself (no ingestJsonBatch): one as SQLite holds it once claimed (keys registered)
      const { rows: [inserted] } = await c.query(`INSERT INTO inbox (key, source, payload, status, received_at, item_keys)
        VALUES ('a', 'event-streams', '[{"id":"a"},{"id":"b"},{"id":"c"}]', 'pending', $1, '["a","b","c"]') RETURNING id`, [at]);
      const row = { id: Number(inserted.id) }; // bigint: text in node-postgres
      await c.query(`INSERT INTO inbox_keys (key, inbox_id) VALUES ('a', $1), ('b', $1), ('c', $1)`, [row.id]);
      expect(await store.ingest([{ key: 'b', source: 'event-streams', payload: { id: 'b' } }, { key: 'd', source: 'event-streams', payload: { id: 'd' } }]))
        .toEqual({ accepted: 1, duplicates: 1, acceptedKeys: ['d'] });
      const now = Date.now();
      const claim = (limit: number) => store.claimInbox({ workerId: 'w', limit, leaseMs: 60_000, nowMs: now });
      const first = await claim(2); // one row of 3 items over a limit of 2: at least one whole row
      expect(first.map((i) => [i.id, i.key, i.payload])).toEqual([[row.id, 'a', { id: 'a' }], [row.id, 'b', { id: 'b' }], [row.id, 'c', { id: 'c' }]]);
      expect((await claim(2)).map((i) => i.key)).toEqual(['d']);
      await store.commit('twilio-flex', { processedInboxIds: [row.id] });
      expect(await store.pruneDelivered(Date.now() + 1000)).toMatchObject({ inbox: 1 });
      expect((await c.query('SELECT count(*)::int AS n FROM inbox_keys')).rows).toEqual([{ n: 0 }]);
    } finally {
      await c.end();
      await store.close();
    }
  });

  it('concurrent commits with the same expected version: exactly one wins', async () => {
    await truncateAll(db.url);
    const [a, b] = await Promise.all([PostgresStore.open(db.url), PostgresStore.open(db.url)]);
    const results = await Promise.allSettled([a!, b!].map((s, i) =>
      s.commit('c', { checkpoint: { stream: 's', partition: '', value: i, expectedVersion: 0 }, outbox: [{ kind: 'event', key: `E${i}`, payload: {}, priority: 1 }] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isTajoError(lost.reason, 'TAJO_CHECKPOINT_CONFLICT')).toBe(true);
    expect((await a!.outboxStats()).pending).toBe(1);
    await Promise.all([a!.close(), b!.close()]);
  });

  it('bulk outbox insert rate (logged)', async () => {
    await truncateAll(db.url);
    const s = await PostgresStore.open(db.url);
    const N = 20_000;
    const items: OutboxInput[] = Array.from({ length: N }, (_, i) => ({ kind: 'event', key: `SUPPORT_REQUESTED:WT${i}`, payload: { identifiers: { ext_id: `+1415555${i}` } }, priority: 1 }));
    const t0 = performance.now();
    expect((await s.commit('c', { outbox: items })).outboxInserted).toBe(N);
    console.log(`postgres outbox rows/s: ${Math.round(N / ((performance.now() - t0) / 1000))}`);
    await s.close();
  });
});

it('an unreachable server is TAJO_STORE_UNAVAILABLE', async () => {
  await expect(PostgresStore.open('postgres://nobody@127.0.0.1:1/none', { connectionTimeoutMs: 1000 })).rejects.toSatisfy((e) => isTajoError(e, 'TAJO_STORE_UNAVAILABLE'));
});

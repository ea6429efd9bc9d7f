/**
 * A Postgres restart or a network drop while a replica runs: the statements in flight fail with the coded
 * TAJO_STORE_UNAVAILABLE (the loops retry), the process survives, and the store serves again once the database is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from './postgresStore.js';
import { tcpProxy, type TcpProxy } from './test-helpers/tcpProxy.js';
import { createTestDatabase, postgresAvailable } from './test-helpers/testDatabase.js';

const available = await postgresAvailable();

describe.runIf(available)('postgres store: connections lost mid-run', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let store: PostgresStore;
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await tcpProxy(db.url);
    store = await PostgresStore.open(proxy.url, { max: 4 });
    process.on('uncaughtException', onCrash);
  });
  afterAll(async () => {
    process.off('uncaughtException', onCrash);
    await store?.close().catch(() => undefined);
    await proxy?.close();
    await db?.drop();
  });

  it('a transaction whose connection drops between statements fails coded, without an uncaught error', async () => {
    const commit = store.commit('twilio-flex', { outbox: [{ kind: 'event', key: 'E:1', payload: {}, priority: 1 }] });
    await store.spendBudget({ name: 'warm', ratePerSecond: 10, burst: 10, want: 1 });
    await commit;
    // a lease renewal, a claim and a budget spend in flight while every connection is cut
    const inFlight = [
      store.acquireLease('sync:a', 'r1', 30_000, Date.now()),
      store.claimOutbox({ workerId: 'w', limit: 10, leaseMs: 60_000, nowMs: Date.now() }),
      store.spendBudget({ name: 'warm', ratePerSecond: 10, burst: 10, want: 1 }),
    ].map((p) => p.then(() => undefined, (e: unknown) => e));
    await new Promise((r) => setImmediate(r));
    proxy.cut();
    for (const err of await Promise.all(inFlight)) if (err !== undefined) expect(err).toMatchObject({ code: 'TAJO_STORE_UNAVAILABLE' });
    await new Promise((r) => setTimeout(r, 100));
    expect(crashes).toEqual([]);
    // the database is back (the proxy accepts new connections): the store serves again
    expect(await store.acquireLease('sync:a', 'r1', 30_000, Date.now())).toBe(true);
  });
});

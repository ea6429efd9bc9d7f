/**
 * Replicas on hosts whose clocks disagree share one timeline: the database server's. Each store measures its host's
 * offset from the database clock at open, so a sync lease, an outbox or inbox claim and a heartbeat written by one
 * replica mean the same instant to every other one (a replica whose clock runs ahead does not take work another
 * replica still holds, and does not send it to Brevo a second time).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresStore } from './postgresStore.js';
import { createTestDatabase, postgresAvailable, truncateAll } from './test-helpers/testDatabase.js';

const available = await postgresAvailable();
const SKEW = 5 * 60_000;

describe.runIf(available)('postgres store: leases and claims on the database clock', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let right: PostgresStore;
  let ahead: PostgresStore;
  let behind: PostgresStore;
  const rightNow = () => Date.now();
  const aheadNow = () => Date.now() + SKEW;
  const behindNow = () => Date.now() - SKEW;
  beforeAll(async () => {
    db = await createTestDatabase();
    right = await PostgresStore.open(db.url, { max: 2 });
    ahead = await PostgresStore.open(db.url, { max: 2, now: aheadNow });
    behind = await PostgresStore.open(db.url, { max: 2, now: behindNow });
  });
  afterAll(async () => {
    await Promise.all([right, ahead, behind].map((s) => s?.close()));
    await db?.drop();
  });
  beforeEach(async () => {
    await truncateAll(db.url);
  });

  it('a sync lease held by one replica is not taken by a replica whose clock runs ahead, nor lost by one whose clock runs behind', async () => {
    expect(await right.acquireLease('sync:a', 'R', 30_000, rightNow())).toBe(true);
    expect(await ahead.acquireLease('sync:a', 'A', 30_000, aheadNow())).toBe(false);
    expect(await behind.acquireLease('sync:b', 'B', 30_000, behindNow())).toBe(true);
    expect(await right.acquireLease('sync:b', 'R', 30_000, rightNow())).toBe(false);
    // each replica reads the expiry in its own clock
    const lease = (await ahead.listLeases()).find((l) => l.name === 'sync:a')!;
    expect(Math.abs(lease.expiresMs - (aheadNow() + 30_000))).toBeLessThan(5_000);
  });

  it('outbox rows claimed by one replica are not claimed again by a replica whose clock runs ahead', async () => {
    await right.commit('twilio-flex', { outbox: [1, 2, 3].map((i) => ({ kind: 'event' as const, key: `E:${i}`, payload: { i }, priority: 1 as const })) });
    expect(await right.claimOutbox({ workerId: 'R', limit: 10, leaseMs: 60_000, nowMs: rightNow() })).toHaveLength(3);
    expect(await ahead.claimOutbox({ workerId: 'A', limit: 10, leaseMs: 60_000, nowMs: aheadNow() })).toEqual([]);
    // ...and a replica behind does not lose its claims to the others
    await right.commit('twilio-flex', { outbox: [{ kind: 'event', key: 'E:4', payload: {}, priority: 1 }] });
    expect(await behind.claimOutbox({ workerId: 'B', limit: 10, leaseMs: 60_000, nowMs: behindNow() })).toHaveLength(1);
    expect(await right.claimOutbox({ workerId: 'R2', limit: 10, leaseMs: 60_000, nowMs: rightNow() })).toEqual([]);
  });

  it('inbox items claimed by one replica are not claimed again by a replica whose clock runs ahead', async () => {
    await right.ingest([{ key: 'EV1', source: 'taskrouter', payload: { a: 1 } }]);
    expect(await right.claimInbox({ workerId: 'R', limit: 10, leaseMs: 60_000, nowMs: rightNow() })).toHaveLength(1);
    expect(await ahead.claimInbox({ workerId: 'A', limit: 10, leaseMs: 60_000, nowMs: aheadNow() })).toEqual([]);
  });

  it("forgetting a person whose write another replica has in flight gives the claim's end on the forgetting host's clock", async () => {
    const key = '+14155550100';
    await right.commit('twilio-flex', { outbox: [{ kind: 'contact', key: `contact:${key}`, payload: { ext_id: key }, priority: 1, customerKey: key }] });
    expect(await right.claimOutbox({ workerId: 'R', limit: 10, leaseMs: 60_000, nowMs: rightNow() })).toHaveLength(1);
    const r = await ahead.forgetCustomer('twilio-flex', key);
    expect(r.outbox).toBe(1);
    expect(Math.abs((r.inflightUntilMs ?? 0) - (aheadNow() + 60_000))).toBeLessThan(5_000);
  });

  it('a heartbeat reads as recent to every replica', async () => {
    await behind.heartbeatReplica({ id: 'b', host: 'h', pid: 1, role: 'worker', startedAt: new Date().toISOString(), heartbeatMs: behindNow(), info: {} });
    const [seen] = await right.listReplicas();
    expect(Math.abs(seen!.heartbeatMs - rightNow())).toBeLessThan(5_000);
    expect(await ahead.pruneReplicas(aheadNow() - 60_000)).toBe(0);
  });
});

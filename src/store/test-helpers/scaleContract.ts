/**
 * The scale-out part of the Store contract (shared budgets, replica registry, lease listing), run by
 * `runStoreContract` on every backend. Budget spends use the backend's clock, so tests pick rates slow enough
 * (1 token per 1000 s) that the refill between two statements cannot change the outcome.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MakeStore } from '../contract.js';
import type { ReplicaRecord } from '../scale.js';
import type { Store } from '../store.js';

const SLOW = { ratePerSecond: 0.001, burst: 5 };

export function runScaleContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract (scale-out): ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('a budget starts full, grants what it has and says how long to wait for more', async () => {
      expect(await store.spendBudget({ name: 'b', ...SLOW, want: 3 })).toMatchObject({ granted: 3, waitMs: 0 });
      const second = await store.spendBudget({ name: 'b', ...SLOW, want: 5 });
      expect(second.granted).toBe(2);
      expect(second.waitMs).toBeGreaterThan(900_000);
      expect((await store.spendBudget({ name: 'b', ...SLOW, want: 1 })).granted).toBe(0);
      // other budgets are independent
      expect((await store.spendBudget({ name: 'other', ...SLOW, want: 5 })).granted).toBe(5);
    });

    it('concurrent spenders never get more than the bucket holds', async () => {
      const grants = await Promise.all(Array.from({ length: 12 }, () => store.spendBudget({ name: 'race', ratePerSecond: 0.001, burst: 7, want: 2 })));
      expect(grants.reduce((a, g) => a + g.granted, 0)).toBe(7);
    });

    it('a fixed window caps calls until it rolls over', async () => {
      const req = { name: 'hourly', ratePerSecond: 1000, burst: 10, perWindow: 4, windowMs: 3_600_000 };
      expect((await store.spendBudget({ ...req, want: 3 })).granted).toBe(3);
      const g = await store.spendBudget({ ...req, want: 3 });
      expect(g).toMatchObject({ granted: 1, windowUsed: 4 });
      expect(g.waitMs).toBeGreaterThan(3_500_000);
      // the vendor reports a new window with 1 call counted: 3 are left
      const obs = await store.spendBudget({ ...req, want: 5, observed: { windowUsed: 1, windowEndsInMs: 7_200_000 } });
      expect(obs).toMatchObject({ granted: 3, windowUsed: 4 });
    });

    it('a pause stops every spender until it ends and is never shortened', async () => {
      const p = await store.spendBudget({ name: 'p', ratePerSecond: 1000, burst: 10, want: 0, pauseMs: 60_000 });
      expect(p.pausedUntilMs - p.nowMs).toBe(60_000);
      const g = await store.spendBudget({ name: 'p', ratePerSecond: 1000, burst: 10, want: 1, pauseMs: 10 });
      expect(g.granted).toBe(0);
      expect(g.pausedUntilMs).toBe(p.pausedUntilMs);
      expect(g.waitMs).toBeGreaterThan(55_000);
    });

    it('a worker extends the claims it still holds, and only those', async () => {
      await store.commit('c', { outbox: ['A', 'B', 'C'].map((k) => ({ kind: 'event' as const, key: k, payload: {}, priority: 1 as const })) });
      const mine = await store.claimOutbox({ workerId: 'w1', limit: 2, leaseMs: 1000, nowMs: 10_000 });
      const theirs = await store.claimOutbox({ workerId: 'w2', limit: 1, leaseMs: 1000, nowMs: 10_000 });
      await store.completeOutbox([mine[0]!.id], 10_100);
      expect(await store.renewOutboxClaims('w1', [...mine, ...theirs].map((r) => r.id), 60_000)).toBe(1);
      // at 30 s: w2's claim expired and is reclaimed, w1's renewed claim is not
      const again = await store.claimOutbox({ workerId: 'w3', limit: 10, leaseMs: 1000, nowMs: 30_000 });
      expect(again.map((r) => r.key)).toEqual([theirs[0]!.key]);
    });

    it('replicas heartbeat, list, prune and leave; leases are listed with their holders', async () => {
      const r = (id: string, heartbeatMs: number): ReplicaRecord => ({
        id, host: 'h1', pid: 42, role: 'all', startedAt: '2026-01-15T12:00:00.000Z', heartbeatMs, info: { url: 'http://127.0.0.1:1' },
      });
      await store.heartbeatReplica(r('a', 1000));
      await store.heartbeatReplica(r('b', 1000));
      await store.heartbeatReplica({ ...r('a', 5000), role: 'worker', info: { loops: 3 } });
      expect(await store.listReplicas()).toEqual([{ ...r('a', 5000), role: 'worker', info: { loops: 3 } }, r('b', 1000)]);
      expect(await store.pruneReplicas(2000)).toBe(1);
      await store.removeReplica('a');
      expect(await store.listReplicas()).toEqual([]);

      expect(await store.acquireLease('sync:x', 'a', 1000, 10_000)).toBe(true);
      expect(await store.listLeases()).toEqual([{ name: 'sync:x', holder: 'a', expiresMs: 11_000, acquiredAt: new Date(10_000).toISOString() }]);
    });
  });
}

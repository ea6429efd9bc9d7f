/**
 * Shared rate budgets on a real Postgres: three "replicas" (each its own store and pool) calling one vendor that
 * enforces a token bucket never get a 429 from their own overshoot, and a pause taken by one holds the others.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateBudget } from '../engine/budget.js';
import { openStore } from '../store/openStore.js';
import { PostgresStore } from '../store/postgres/postgresStore.js';
import { createTestDatabase, postgresAvailable, TEST_DATABASE_URL, truncateAll } from '../store/postgres/test-helpers/testDatabase.js';
import { brevoBudgetsFor, shareBudget, twilioBudgetsFor } from './budgets.js';
import { SharedRateBudget } from './sharedBudget.js';

const available = await postgresAvailable();
if (!available) console.warn(`shared budget tests skipped: no Postgres at ${new URL(TEST_DATABASE_URL).host}`);

/** A vendor with one token bucket (capacity = one second of rate), answering 429 when empty. */
function vendor(ratePerSecond: number): Promise<{ url: string; ok: () => number; limited: () => number; close: () => Promise<void> }> {
  let tokens = ratePerSecond;
  let last = performance.now();
  let ok = 0;
  let limited = 0;
  const server: Server = createServer((_req, res) => {
    const now = performance.now();
    tokens = Math.min(ratePerSecond, tokens + ((now - last) / 1000) * ratePerSecond);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      ok++;
      res.writeHead(200).end('{}');
    } else {
      limited++;
      res.writeHead(429).end('{}');
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
        ok: () => ok,
        limited: () => limited,
        close: () => new Promise<void>((done) => server.close(() => done())),
      })));
}

describe.runIf(available)('shared rate budgets on Postgres', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('three replicas hammering one vendor bucket: no 429, and the sum stays near the vendor rate', async () => {
    await truncateAll(db.url);
    const RATE = 40;
    const v = await vendor(RATE);
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(db.url, { max: 3 })));
    const budgets = stores.map((s) => shareBudget(s, new RateBudget('vendor:test', { ratePerSecond: RATE, burst: RATE })));
    const until = performance.now() + 3_000;
    // 3 replicas × 6 concurrent callers each.
    await Promise.all(budgets.flatMap((b) => Array.from({ length: 6 }, async () => {
      while (performance.now() < until) {
        await b.acquire();
        await fetch(v.url);
      }
    })));
    const seconds = 3;
    expect(v.limited()).toBe(0);
    expect(v.ok()).toBeLessThanOrEqual(RATE + RATE * (seconds + 0.5));
    // Throughput: at least 70% of what the vendor allows (the shared burst is smaller than the vendor's).
    expect(v.ok()).toBeGreaterThan(RATE * seconds * 0.7);
    expect(budgets.reduce((a, b) => a + b.snapshot().used, 0)).toBe(v.ok());
    await Promise.all(stores.map((s) => s.close()));
    await v.close();
  });

  it('a pause taken by one replica (a 429) holds every replica until it ends', async () => {
    await truncateAll(db.url);
    const [a, b] = await Promise.all([1, 2].map(() => PostgresStore.open(db.url, { max: 2 })));
    const mk = (s: PostgresStore) => shareBudget(s, new RateBudget('vendor:pause', { ratePerSecond: 100, burst: 100 }));
    const ba = mk(a!);
    const bb = mk(b!);
    await bb.acquire(); // the bucket exists
    ba.pauseFor(800);
    await new Promise((r) => setTimeout(r, 100)); // the pause reached the store
    const t0 = performance.now();
    const waited = await bb.acquire();
    expect(performance.now() - t0).toBeGreaterThan(550);
    expect(waited).toBeGreaterThan(550);
    expect(ba.snapshot().pauses).toBe(1);
    await Promise.all([a!.close(), b!.close()]);
  });

  it('a per-second limit above ours (a higher Brevo tier) raises the shared pace; a lower one does not lower it', async () => {
    await truncateAll(db.url);
    const s = await PostgresStore.open(db.url, { max: 2 });
    const b = brevoBudgetsFor(s, 1).contacts;
    expect(b.snapshot().ratePerSecond).toBe(10);
    b.observe({ limit: 60, remaining: 59, resetSeconds: 1 });
    expect(b.snapshot().ratePerSecond).toBe(60);
    expect(b.capacity().sustainedPerSecond).toBe(60);
    // 40 calls: at 10/s that is over 3 s; at 60/s (a bucket of 45 after the transit margin) well under one
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) await b.acquire();
    expect(performance.now() - t0).toBeLessThan(1_500);
    b.observe({ limit: 10, remaining: 9, resetSeconds: 1 });
    expect(b.snapshot().ratePerSecond).toBe(60);
    b.close();
    await s.close();
  });

  it('fails closed: with the store gone, callers wait instead of calling the vendor', async () => {
    await truncateAll(db.url);
    const s = await PostgresStore.open(db.url, { max: 1 });
    const b = shareBudget(s, new RateBudget('vendor:down', { ratePerSecond: 100, burst: 100 }));
    await b.acquire();
    await s.close();
    await expect(b.acquire({ signal: AbortSignal.timeout(700) })).rejects.toThrow();
    expect(b.snapshot().used).toBe(1);
    b.close();
  });

  it('is selected for Postgres stores; SQLite keeps the in-process budgets', async () => {
    const pgStore = await PostgresStore.open(db.url, { max: 1 });
    expect(brevoBudgetsFor(pgStore, 1).contacts).toBeInstanceOf(SharedRateBudget);
    expect(twilioBudgetsFor(pgStore, 'WS1', 1).events).toBeInstanceOf(SharedRateBudget);
    expect(brevoBudgetsFor(pgStore, 1).other.snapshot()).toMatchObject({ name: 'brevo:other', perHour: 100 });
    await pgStore.close();
    const dir = mkdtempSync(join(tmpdir(), 'tajo-budgets-'));
    const sqlite = await openStore({ dataDir: dir });
    const local = brevoBudgetsFor(sqlite, 1).contacts;
    expect(local).toBeInstanceOf(RateBudget);
    expect(local).not.toBeInstanceOf(SharedRateBudget);
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

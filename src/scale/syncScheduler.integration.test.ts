/**
 * Stream ownership on the store's leases (a real SQLite store, a test clock): one owner per partition, fair
 * shares when replicas join, takeover after the owner stops renewing, and a run aborted when its lease is lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamGate } from '../engine/sync/runSync.js';
import { openStore } from '../store/openStore.js';
import type { Store } from '../store/store.js';
import { SyncScheduler, syncUnits, type SchedulerEvent } from './syncScheduler.js';

interface Run {
  holder: string;
  owns: string[];
  signal: AbortSignal;
  finish: (status?: string) => void;
}

describe('SyncScheduler (stream ownership through leases)', () => {
  let dir: string;
  let store: Store;
  let now = 1_000_000;
  const runs: Run[] = [];
  const events: (SchedulerEvent & { holder: string })[] = [];
  const units = syncUnits('twilio-flex', 'WS1', 'IS1');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tajo-sched-'));
    store = await openStore({ dataDir: dir });
    now = 1_000_000;
    runs.length = 0;
    events.length = 0;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const scheduler = (holder: string) =>
    new SyncScheduler({
      store,
      holder,
      units,
      everyMs: 60_000,
      leaseMs: 10_000,
      heartbeatMs: 1_000,
      now: () => now,
      onEvent: (e) => events.push({ ...e, holder }),
      run: (gate: StreamGate, signal) =>
        new Promise((resolve) => {
          const owns = (['queues', 'workers', 'activities', 'taskrouter_events', 'conversations'] as const).filter((s) => gate.owns(s));
          runs.push({ holder, owns, signal, finish: (status = 'ok') => resolve({ status }) });
          signal.addEventListener('abort', () => resolve({ status: 'aborted' }));
        }),
    });
  const beat = (id: string) => store.heartbeatReplica({ id, host: 'h', pid: 1, role: 'worker', startedAt: new Date(0).toISOString(), heartbeatMs: now, info: {} });
  const settle = () => new Promise((r) => setTimeout(r, 5));

  it('a lone replica owns every partition and runs them; a joining replica gets its fair share', async () => {
    const a = scheduler('a');
    await beat('a');
    await a.tick();
    expect(a.leases).toEqual(units.map((u) => u.lease).sort());
    expect(runs).toHaveLength(1);
    expect(runs[0]!.owns).toEqual(['queues', 'workers', 'activities', 'taskrouter_events', 'conversations']);

    const b = scheduler('b');
    await beat('b');
    await b.tick(); // a still holds both: b gets nothing yet
    expect(b.leases).toEqual([]);
    runs[0]!.finish();
    await settle();
    await a.tick(); // idle with a surplus: gives one back
    expect(a.leases).toHaveLength(1);
    await b.tick();
    expect(b.leases).toHaveLength(1);
    expect(new Set([...a.leases, ...b.leases]).size).toBe(2);
    const bRun = runs.find((r) => r.holder === 'b')!;
    expect(bRun.owns.length).toBeGreaterThan(0);
    // each stream is run by exactly one replica
    expect(bRun.owns.some((s) => a.leases.some((l) => units.find((u) => u.lease === l)!.streams.some((x) => x === s)))).toBe(false);
  });

  it('takes over the partitions of a replica that stopped renewing, and runs them at once', async () => {
    const a = scheduler('a');
    const b = scheduler('b');
    await beat('a');
    await a.tick();
    await beat('b');
    await b.tick();
    expect(b.leases).toEqual([]);
    // a dies (no more ticks, no more heartbeats); b keeps beating
    now += 5_000;
    await beat('b');
    await b.tick();
    expect(b.leases).toEqual([]); // a's leases are still valid
    now += 5_001;
    await beat('b');
    await b.tick();
    expect(b.leases).toEqual(units.map((u) => u.lease).sort());
    expect(events.filter((e) => e.holder === 'b' && e.type === 'acquired')).toHaveLength(2);
    const bRun = runs.find((r) => r.holder === 'b')!;
    expect(bRun.owns).toEqual(['queues', 'workers', 'activities', 'taskrouter_events', 'conversations']);
  });

  it('a lease lost mid-run (this replica stalled past the expiry) aborts the run', async () => {
    const a = scheduler('a');
    await a.tick();
    const run = runs[0]!;
    now += 10_001; // a did not renew in time
    expect(await store.acquireLease(units[0]!.lease, 'intruder', 10_000, now)).toBe(true);
    await a.tick();
    expect(run.signal.aborted).toBe(true);
    expect(a.leases).toEqual([units[1]!.lease]);
    await settle();
    expect(events.some((e) => e.type === 'lost' && e.lease === units[0]!.lease)).toBe(true);
  });

  it('a failed run is tried again after retryMs, not after the whole period', async () => {
    const a = scheduler('a');
    await a.tick();
    runs[0]!.finish('failed');
    await settle();
    now += 29_000;
    await a.tick();
    expect(runs).toHaveLength(1);
    now += 1_001;
    await a.tick();
    expect(runs).toHaveLength(2);
  });

  it('stop releases every lease so another replica takes over at its next tick', async () => {
    const a = scheduler('a');
    await a.tick();
    runs[0]!.finish();
    await a.stop();
    expect((await store.listLeases()).filter((l) => l.holder === 'a')).toEqual([]);
    const b = scheduler('b');
    await b.tick();
    expect(b.leases).toHaveLength(2);
  });
});

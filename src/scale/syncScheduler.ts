/**
 * Sync stream ownership across replicas, on the store's leases (expiry + heartbeat renewal; no cluster protocol).
 *
 * A sync partition ("unit") is owned by one replica at a time: the TaskRouter streams of a workspace (reference
 * lists and events together, since the events need the queue names the reference streams load), and the
 * Conversations stream of a service. Every worker replica runs this loop:
 *  - renews the leases it holds every tick (a lease lives `leaseMs`; a tick is a fifth of that);
 *  - takes free or expired leases up to its fair share (units ÷ live worker replicas, rounded up), and gives back
 *    surplus ones while idle (a replica that joins gets work);
 *  - runs a sync of the streams it owns every `everyMs`, and at once after taking a unit over: the run resumes from
 *    the committed checkpoint (cursor, raw events and Brevo writes move in one transaction, so a dead owner's
 *    uncommitted page is simply read again; raw events and outbox rows dedupe by key).
 * A lease lost mid-run (this process stalled past the expiry) aborts the run; the checkpoint's optimistic version
 * makes a late commit of the old owner fail rather than move the cursor twice.
 */
import type { Logger } from '../core/logger.js';
import type { StreamGate } from '../engine/sync/runSync.js';
import type { StreamName } from '../engine/sync/types.js';
import type { ReplicaRecord } from '../store/scale.js';
import type { Store } from '../store/store.js';
import { DEFAULT_HEARTBEAT_MS, isAlive } from './replicas.js';

export interface SyncUnit {
  lease: string;
  streams: readonly StreamName[];
}

/** The partitions of one connector (lease names are stable: they appear in status output). */
export function syncUnits(connectorId: string, workspaceSid: string, conversationServiceSid?: string): SyncUnit[] {
  return [
    { lease: `sync:${connectorId}:taskrouter:${workspaceSid}`, streams: ['queues', 'workers', 'activities', 'taskrouter_events'] },
    { lease: `sync:${connectorId}:conversations:${conversationServiceSid ?? 'default'}`, streams: ['conversations'] },
  ];
}

export type SchedulerEvent =
  | { type: 'acquired' | 'lost' | 'released'; lease: string }
  | { type: 'run'; leases: string[]; status: string; durationMs: number };

export interface SyncSchedulerOptions {
  store: Pick<Store, 'acquireLease' | 'releaseLease' | 'listReplicas'>;
  /** This replica's id (the lease holder). */
  holder: string;
  units: readonly SyncUnit[];
  /** One sync run of the streams the gate allows. */
  run: (gate: StreamGate, signal: AbortSignal) => Promise<{ status: string }>;
  /** Time between runs of a replica's units. */
  everyMs: number;
  /** Lease lifetime: a dead owner's units are taken over this long after its last renewal. Default 30 s. */
  leaseMs?: number;
  /** A failed run (e.g. the store was unreachable) is tried again after this long (at most `everyMs`). Default 30 s. */
  retryMs?: number;
  tickMs?: number;
  /**
   * Wait this long before the first tick, so replicas started together have registered and share the partitions
   * fairly from the start (instead of the first one taking them all). Default 0.
   */
  startDelayMs?: number;
  /** The registry's heartbeat period (liveness of the other replicas). */
  heartbeatMs?: number;
  /** Which replicas share sync work (default: every role but `ingest`). */
  counts?: (r: ReplicaRecord) => boolean;
  now?: () => number;
  logger?: Logger;
  onEvent?: (e: SchedulerEvent) => void;
}

export class SyncScheduler {
  private readonly owned = new Set<string>();
  private readonly now: () => number;
  private readonly leaseMs: number;
  private running: { ctrl: AbortController; done: Promise<void> } | undefined;
  private due = true;
  private lastRunEnd = 0;
  private retryAt: number | undefined;
  private loop: { stop: () => void; done: Promise<void> } | undefined;

  constructor(private readonly o: SyncSchedulerOptions) {
    this.now = o.now ?? Date.now;
    this.leaseMs = o.leaseMs ?? 30_000;
  }

  /** Leases held now. */
  get leases(): string[] {
    return [...this.owned].sort();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  start(): void {
    if (this.loop) return;
    let stopped = false;
    let wake: (() => void) | undefined;
    const tickMs = this.o.tickMs ?? Math.max(50, Math.floor(this.leaseMs / 5));
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    const done = (async () => {
      if (this.o.startDelayMs) await pause(this.o.startDelayMs);
      while (!stopped) {
        try {
          await this.tick();
        } catch (err) {
          this.o.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'sync scheduler tick failed');
        }
        if (stopped) break;
        await pause(tickMs);
      }
    })();
    this.loop = {
      stop: () => {
        stopped = true;
        wake?.();
      },
      done,
    };
  }

  /** Stops the loop, aborts a running sync, and releases every lease (other replicas take over at their next tick). */
  async stop(): Promise<void> {
    const l = this.loop;
    this.loop = undefined;
    l?.stop();
    await l?.done;
    const r = this.running;
    r?.ctrl.abort(new Error('sync scheduler stopped'));
    await r?.done;
    for (const lease of [...this.owned]) await this.release(lease);
  }

  /** One round: renew, rebalance, acquire, maybe start a run. */
  async tick(): Promise<void> {
    const s = this.o.store;
    for (const lease of [...this.owned]) {
      if (await s.acquireLease(lease, this.o.holder, this.leaseMs, this.now())) continue;
      this.owned.delete(lease);
      this.emit({ type: 'lost', lease });
      this.o.logger?.warn({ lease }, 'sync lease lost to another replica');
      if (this.running) {
        this.running.ctrl.abort(new Error(`lease ${lease} lost`));
        this.due = true;
      }
    }
    const share = Math.ceil(this.o.units.length / (await this.liveWorkers()));
    if (!this.running && this.owned.size > share) {
      for (const lease of [...this.owned].sort().slice(share)) await this.release(lease);
    }
    for (const u of this.o.units) {
      if (this.owned.size >= share) break;
      if (this.owned.has(u.lease)) continue;
      if (await s.acquireLease(u.lease, this.o.holder, this.leaseMs, this.now())) {
        this.owned.add(u.lease);
        this.due = true;
        this.emit({ type: 'acquired', lease: u.lease });
        this.o.logger?.info({ lease: u.lease }, 'sync lease acquired');
      }
    }
    const now = this.now();
    const retry = this.retryAt !== undefined && now >= this.retryAt;
    if (!this.running && this.owned.size > 0 && (this.due || retry || now - this.lastRunEnd >= this.o.everyMs)) this.startRun();
  }

  private startRun(): void {
    this.due = false;
    this.retryAt = undefined;
    const ctrl = new AbortController();
    const leases = this.leases;
    const started = this.now();
    const unitOf = new Map<StreamName, string>();
    for (const u of this.o.units) for (const st of u.streams) unitOf.set(st, u.lease);
    const gate: StreamGate = { owns: (stream) => !ctrl.signal.aborted && this.owned.has(unitOf.get(stream) ?? '') };
    const done = this.o
      .run(gate, ctrl.signal)
      .then(
        (r) => r.status,
        (err: unknown) => {
          this.o.logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'scheduled sync failed');
          return 'failed';
        },
      )
      .then((status) => {
        this.lastRunEnd = this.now();
        this.running = undefined;
        if (status === 'failed') this.retryAt = this.lastRunEnd + Math.min(this.o.everyMs, this.o.retryMs ?? 30_000);
        this.o.logger?.info({ leases, status, durationMs: this.lastRunEnd - started }, 'scheduled sync finished');
        this.emit({ type: 'run', leases, status, durationMs: this.lastRunEnd - started });
      });
    this.running = { ctrl, done };
  }

  private async liveWorkers(): Promise<number> {
    const now = this.now();
    const hb = this.o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const counts = this.o.counts ?? ((r: ReplicaRecord) => r.role !== 'ingest');
    const period = (r: ReplicaRecord) => (typeof r.info.heartbeatMs === 'number' ? r.info.heartbeatMs : hb);
    const others = (await this.o.store.listReplicas()).filter((r) => r.id !== this.o.holder && counts(r) && isAlive(r, now, period(r)));
    return others.length + 1;
  }

  private async release(lease: string): Promise<void> {
    this.owned.delete(lease);
    await this.o.store.releaseLease(lease, this.o.holder).catch(() => undefined);
    this.emit({ type: 'released', lease });
  }

  private emit(e: SchedulerEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // observers never break the loop
    }
  }
}

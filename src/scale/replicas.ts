/**
 * The replica registry: every `tajo serve` process has an id (host + pid + random) and a row in `replicas`,
 * refreshed by a heartbeat. Status and metrics list the replicas and which leases each holds; the sync scheduler
 * counts the live ones to take a fair share of the streams.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../core/logger.js';
import type { LeaseRecord, ReplicaRecord } from '../store/scale.js';
import type { Store } from '../store/store.js';

/** `host-pid-random`: unique per process, readable in status output and lease holders. */
export function newReplicaId(): string {
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 40) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** A replica is alive while its heartbeat is younger than three periods. */
export function isAlive(r: Pick<ReplicaRecord, 'heartbeatMs'>, nowMs: number, heartbeatMs: number): boolean {
  return r.heartbeatMs >= nowMs - 3 * heartbeatMs;
}

export interface ReplicaView extends ReplicaRecord {
  alive: boolean;
  /** Unexpired leases this replica holds (sync partitions). */
  leases: string[];
}

/** Replicas with their liveness and the unexpired leases each holds (for `connectors status` and /metrics). */
export async function describeReplicas(store: Pick<Store, 'listReplicas' | 'listLeases'>, opts: { nowMs?: number; heartbeatMs?: number } = {}): Promise<ReplicaView[]> {
  const now = opts.nowMs ?? Date.now();
  const [replicas, leases] = await Promise.all([store.listReplicas(), store.listLeases()]);
  const live = (l: LeaseRecord) => l.expiresMs > now;
  return replicas.map((r) => ({
    ...r,
    // Each replica publishes its own heartbeat period; a reader's default only serves rows that lack it.
    alive: isAlive(r, now, typeof r.info.heartbeatMs === 'number' ? r.info.heartbeatMs : (opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS)),
    leases: leases.filter((l) => live(l) && l.holder === r.id).map((l) => l.name),
  }));
}

export const DEFAULT_HEARTBEAT_MS = 5_000;
/** Rows of replicas silent for this long are deleted (a crashed replica stays visible as dead until then). */
const FORGET_AFTER_MS = 3_600_000;

export interface ReplicaRegistryOptions {
  store: Pick<Store, 'heartbeatReplica' | 'removeReplica' | 'pruneReplicas'>;
  id?: string;
  role: string;
  /** Published with every heartbeat (URL, loops, version). */
  info?: () => Record<string, unknown>;
  heartbeatMs?: number;
  now?: () => number;
  logger?: Logger;
}

export class ReplicaRegistry {
  readonly id: string;
  readonly heartbeatMs: number;
  private readonly startedAt: string;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private beats = 0;

  constructor(private readonly o: ReplicaRegistryOptions) {
    this.id = o.id ?? newReplicaId();
    this.heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.now = o.now ?? Date.now;
    this.startedAt = new Date(this.now()).toISOString();
  }

  /** Registers (first heartbeat, awaited: a store problem fails the start) and keeps beating. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      void this.beat().catch((err: unknown) => this.o.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'replica heartbeat failed'));
    }, this.heartbeatMs);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    const now = this.now();
    await this.o.store.heartbeatReplica({
      id: this.id, host: hostname(), pid: process.pid, role: this.o.role, startedAt: this.startedAt, heartbeatMs: now,
      info: { ...this.o.info?.(), heartbeatMs: this.heartbeatMs },
    });
    if (this.beats++ % 60 === 0) await this.o.store.pruneReplicas(now - FORGET_AFTER_MS);
  }

  /** Leaves the registry (graceful shutdown); a killed replica just stops beating. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.o.store.removeReplica(this.id).catch(() => undefined);
  }
}

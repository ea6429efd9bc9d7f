/**
 * The scale-out runtime of one `tajo serve` process (glue over the SDK context, used by the CLI): its replica id
 * and registry heartbeat, the sync scheduler (worker roles, when scheduled syncs are on) and the /metrics gauges
 * that show the replica. Shared rate budgets need nothing here: the SDK's clients pick them on Postgres.
 */
import { Gauge, type Registry } from 'prom-client';
import { TajoError } from '../core/errors.js';
import { runSync } from '../engine/sync/runSync.js';
import type { SdkContext } from '../sdk/context.js';
import { vendorTime } from '../sdk/services/clients.js';
import { loadConnection, messageBodyKey } from '../sdk/services/connection.js';
import { effectiveConnector } from '../sdk/services/sync.js';
import type { ConnectorId } from '../sdk/types.js';
import type { Store } from '../store/store.js';
import { twilioBudgetsFor } from './budgets.js';
import { DEFAULT_HEARTBEAT_MS, describeReplicas, newReplicaId, ReplicaRegistry } from './replicas.js';
import { SyncScheduler, syncUnits, type SchedulerEvent } from './syncScheduler.js';

export type ServeRole = 'ingest' | 'worker' | 'all';

export interface ScaleRuntimeOptions {
  role: ServeRole;
  /** Sync leases (and the claim leases of the loops): how soon a dead replica's work is taken over. */
  leaseMs?: number;
  /** Scheduled incremental syncs every this many ms (worker roles); 0/undefined: off. */
  syncEveryMs?: number;
  heartbeatMs?: number;
  /** Published in the replica row (e.g. the server URL). */
  info?: () => Record<string, unknown>;
  onSchedulerEvent?: (e: SchedulerEvent) => void;
}

export interface ScaleRuntime {
  replicaId: string;
  registry: ReplicaRegistry;
  scheduler?: SyncScheduler;
  warnings: string[];
  /** Adds the replica label to every metric and gauges for replicas and owned sync leases. */
  instrument(registry: Registry): void;
  stop(): Promise<void>;
}

export async function startScaleRuntime(ctx: SdkContext, connectorId: ConnectorId, o: ScaleRuntimeOptions): Promise<ScaleRuntime> {
  const store = await ctx.store();
  const replicaId = newReplicaId();
  const warnings: string[] = [];
  let scheduler: SyncScheduler | undefined;
  // Liveness follows the lease: a replica dead for about a lease is no longer counted (fair shares, status).
  const heartbeatMs = o.heartbeatMs ?? (o.leaseMs !== undefined ? Math.min(DEFAULT_HEARTBEAT_MS, Math.max(500, Math.floor(o.leaseMs / 2))) : undefined);
  const registry = new ReplicaRegistry({
    store,
    id: replicaId,
    role: o.role,
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    info: () => ({ ...o.info?.(), store: store.kind, syncLeases: scheduler?.leases ?? [] }),
    logger: ctx.logger,
  });
  await registry.start();

  if (o.role !== 'ingest' && o.syncEveryMs && o.syncEveryMs > 0) {
    const built = await scheduledSync(ctx, store, connectorId).catch((err: unknown) => {
      if (err instanceof TajoError && err.code === 'TAJO_CONNECTOR_NOT_INSTALLED') return undefined;
      throw err;
    });
    if (!built) warnings.push(`${connectorId} is not installed: scheduled syncs are off`);
    else {
      scheduler = new SyncScheduler({
        store,
        holder: replicaId,
        units: built.units,
        run: built.run,
        everyMs: o.syncEveryMs,
        ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
        heartbeatMs: registry.heartbeatMs,
        // Replicas started together (a rollout) register within a heartbeat: then each takes its fair share.
        startDelayMs: registry.heartbeatMs,
        logger: ctx.logger.child({ replica: replicaId }),
        ...(o.onSchedulerEvent ? { onEvent: o.onSchedulerEvent } : {}),
      });
      scheduler.start();
    }
  }

  return {
    replicaId,
    registry,
    ...(scheduler ? { scheduler } : {}),
    warnings,
    instrument: (reg) => instrument(reg, store, replicaId, o.role, registry.heartbeatMs, () => scheduler?.leases.length ?? 0),
    stop: async () => {
      await scheduler?.stop();
      await registry.stop();
    },
  };
}

/** What a scheduled run needs: the connection, Twilio time and the (shared) Twilio budgets, built once. */
async function scheduledSync(ctx: SdkContext, store: Store, id: ConnectorId) {
  const conn = await loadConnection(ctx, id);
  const time = await vendorTime(ctx, conn);
  const cfg = ctx.config.connectors.twilio_flex;
  const budgets = twilioBudgetsFor(store, conn.workspaceSid, time.timeScale, { logger: ctx.logger });
  const connector = effectiveConnector(conn);
  const bodyKey = messageBodyKey(ctx, id);
  return {
    units: syncUnits(id, conn.workspaceSid, conn.chatServiceSid),
    // each scheduled run reads up to the emulator clock as it is now (VendorTime.resync); the real clock has no resync
    run: async (gate: Parameters<typeof runSync>[0]['streamGate'], signal: AbortSignal) => {
      await time.resync?.();
      return runSync(
        {
          store, config: cfg, connector, secrets: { authToken: conn.creds.authToken, apiKeySecret: conn.creds.apiKeySecret }, logger: ctx.logger, budgets,
          listIds: { support_contacts: cfg.lists.support_contacts, csat_respondents: cfg.lists.csat_respondents },
          nowMs: time.nowMs, timeScale: time.timeScale, messageBodyKey: bodyKey, ...(gate ? { streamGate: gate } : {}),
        },
        { type: 'incremental', signal },
      );
    },
  };
}

function instrument(reg: Registry, store: Store, replicaId: string, role: string, heartbeatMs: number, owned: () => number): void {
  reg.setDefaultLabels({ replica: replicaId });
  new Gauge({
    name: 'tajo_replica_info',
    help: 'This replica (label: role); 1 while it runs',
    labelNames: ['role'],
    registers: [reg],
    collect() {
      this.set({ role }, 1);
    },
  });
  new Gauge({
    name: 'tajo_sync_leases_owned',
    help: 'Sync partitions (stream leases) this replica owns',
    registers: [reg],
    collect() {
      this.set(owned());
    },
  });
  new Gauge({
    name: 'tajo_replicas',
    help: 'Replicas registered in the shared store, by liveness',
    labelNames: ['state'],
    registers: [reg],
    async collect() {
      try {
        const all = await describeReplicas(store, { heartbeatMs });
        this.set({ state: 'alive' }, all.filter((r) => r.alive).length);
        this.set({ state: 'dead' }, all.filter((r) => !r.alive).length);
      } catch {
        // store down: /readyz reports it
      }
    },
  });
}

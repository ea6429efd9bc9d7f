/** `connectors.status`: the documented fields plus cursors, outbox backlog, dead letters and the last error. */
import { describeReplicas } from '../../scale/replicas.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, ConnectorStatus } from '../types.js';

export async function status(ctx: SdkContext, id: ConnectorId): Promise<ConnectorStatus> {
  const store = await ctx.store();
  const rec = await store.getConnector(id);
  const [counts, checkpoints, outbox, dead] = await Promise.all([
    store.counts(id),
    rec ? store.listCheckpoints(id) : Promise.resolve([]),
    store.outboxStats(),
    store.deadLetterCounts(),
  ]);
  const open = Object.values(dead).reduce((a, b) => a + b, 0);
  const replicas = store.kind === 'postgres' ? await describeReplicas(store) : undefined;
  return {
    connected: Boolean(rec && rec.status === 'active'),
    lastSync: rec?.lastSyncAt ?? null,
    conversationsTracked: counts.interactions,
    customersLinked: counts.customers,
    agentsMonitored: counts.workers,
    connector: id,
    state: rec ? rec.status : 'not_installed',
    ...(rec?.statusReason ? { stateReason: rec.statusReason } : {}),
    ...(rec ? { accountSid: rec.settings.accountSid, workspaceSid: rec.settings.workspaceSid } : {}),
    streams: checkpoints.map((c) => ({ stream: c.stream, partition: c.partition, cursor: c.value, updatedAt: c.updatedAt })),
    outbox: {
      pending: outbox.pending,
      inflight: outbox.inflight,
      delivered: outbox.delivered,
      dead: outbox.dead,
      oldestPendingAt: outbox.oldestPendingMs === null ? null : new Date(outbox.oldestPendingMs).toISOString(),
    },
    deadLetters: { open, byReason: dead },
    lastError: rec?.lastError ?? null,
    ...(replicas
      ? {
          replicas: replicas.map((r) => ({
            id: r.id, host: r.host, pid: r.pid, role: r.role, alive: r.alive, startedAt: r.startedAt, heartbeatAt: new Date(r.heartbeatMs).toISOString(), leases: r.leases,
          })),
        }
      : {}),
  };
}

import type { Store } from '../store.js';
import type {
  ApiKeyRecord, Checkpoint, CommitBatch, CommitResult, ConnectorRecord, CustomerIdentityQuery, CustomerRow, DeadLetter, DeadLetterInput, ForgetCounts, InboxInput, InboxItem,
  InteractionRow, OutboxItem, OutboxKind, OutboxStats, RawEvent, SealedSecret, SurveyRow,
} from '../types.js';
import type { BudgetGrant, BudgetSpend, LeaseRecord, ReplicaRecord } from '../scale.js';
import type { ActivityGroup, AgentGroup, AnalyticsQuery, CsatGroup, QueueGroup, ReservationGroup } from '../analytics.js';
import * as admin from './admin.js';
import * as analytics from './analytics.js';
import { PgDb, type PgDbOptions } from './db.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import * as outbox from './outbox.js';
import * as records from './records.js';
import * as scale from './scale.js';

export interface PostgresStoreOptions extends PgDbOptions {
  /** Clock for the store's own timestamps. */
  now?: () => number;
  /** Apply pending migrations when opening (default true). */
  migrate?: boolean;
}

/**
 * The scale-out store: several processes / replicas share one database. Claims use `FOR UPDATE SKIP LOCKED`,
 * migrations run under `pg_advisory_xact_lock`. Same behaviour as the SQLite store (one contract suite).
 */
/** Host clock offsets below this are measurement noise (a round trip), not skew: times pass through unchanged. */
const SKEW_NOISE_MS = 100;
/** How often the host clock's offset from the database clock is measured again (NTP steps, drift). */
const SKEW_REMEASURE_MS = 60_000;

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly now: () => number;
  /**
   * Database clock minus this host's clock. Lease expiries, claim ends and heartbeats are compared across replicas,
   * so they are stored on the database's clock: a caller's time (its host clock) is shifted by this offset on the
   * way in and back on the way out. Replicas on skewed hosts then agree on when a lease or claim ends.
   */
  private skewMs = 0;
  private skewMeasuredAt = 0;

  private constructor(private readonly db: PgDb, opts: PostgresStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const store = new PostgresStore(new PgDb(url, opts), opts);
    try {
      if (opts.migrate !== false) await store.migrate();
      else await store.ping();
      await store.measureSkew();
    } catch (err) {
      await store.db.close();
      throw err;
    }
    return store;
  }

  /** Measures the host clock's offset from the database clock (at open, then at most every minute when used). */
  private async measureSkew(): Promise<void> {
    const before = this.now();
    const [row] = await this.db.query<{ now_ms: number }>('SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms');
    const after = this.now();
    this.skewMeasuredAt = after;
    const skew = Math.round(Number(row?.now_ms ?? after) - (before + after) / 2);
    // keep the offset unless it really moved: every shift of a caller's time must stay constant between calls
    if (Math.abs(skew - this.skewMs) >= SKEW_NOISE_MS) this.skewMs = Math.abs(skew) < SKEW_NOISE_MS ? 0 : skew;
  }

  /** A caller's time (host clock) on the database's clock. */
  private async dbMs(ms: number): Promise<number> {
    if (this.now() - this.skewMeasuredAt >= SKEW_REMEASURE_MS) await this.measureSkew().catch(() => undefined);
    return ms + this.skewMs;
  }

  async migrate(): Promise<void> {
    await this.db.migrate(POSTGRES_MIGRATIONS);
  }
  async migrations(): Promise<{ applied: number[]; pending: number[] }> {
    const applied = await this.db.appliedMigrations();
    return { applied, pending: POSTGRES_MIGRATIONS.map((m) => m.id).filter((id) => !applied.includes(id)) };
  }
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
  async close(): Promise<void> {
    await this.db.close();
  }

  async getConnector(id: string): Promise<ConnectorRecord | undefined> {
    return admin.getConnector(this.db, id);
  }
  async saveConnector(rec: ConnectorRecord): Promise<void> {
    await admin.saveConnector(this.db, rec);
  }
  async deleteConnector(id: string): Promise<void> {
    await admin.deleteConnector(this.db, id);
  }
  async setConnectorStatus(id: string, status: ConnectorRecord['status'], reason?: string, lastError?: ConnectorRecord['lastError']): Promise<void> {
    await admin.setConnectorStatus(this.db, id, status, this.now(), reason, lastError);
  }
  async markSynced(id: string, at: string): Promise<void> {
    await admin.markSynced(this.db, id, at);
  }
  async putSecret(connectorId: string, name: string, sealed: SealedSecret): Promise<void> {
    await admin.putSecret(this.db, connectorId, name, sealed, this.now());
  }
  async getSecrets(connectorId: string): Promise<Record<string, SealedSecret>> {
    return admin.getSecrets(this.db, connectorId);
  }

  async getCheckpoint(connectorId: string, stream: string, partition: string): Promise<Checkpoint | undefined> {
    return admin.getCheckpoint(this.db, connectorId, stream, partition);
  }
  async listCheckpoints(connectorId: string): Promise<Checkpoint[]> {
    return admin.listCheckpoints(this.db, connectorId);
  }
  async deleteCheckpoints(connectorId: string, stream?: string): Promise<void> {
    await admin.deleteCheckpoints(this.db, connectorId, stream);
  }

  async commit(connectorId: string, batch: CommitBatch): Promise<CommitResult> {
    return records.commit(this.db, connectorId, batch, this.now());
  }

  async rawEventsForTasks(connectorId: string, taskSids: string[]): Promise<RawEvent[]> {
    return records.rawEventsForTasks(this.db, connectorId, taskSids);
  }
  async rawEventsForWorkers(connectorId: string, workerSids: string[], sinceMs?: number): Promise<RawEvent[]> {
    return records.rawEventsForWorkers(this.db, connectorId, workerSids, sinceMs);
  }
  async getInteractions(connectorId: string, taskSids: string[]): Promise<InteractionRow[]> {
    return records.interactionsBy(this.db, 'task_sid', connectorId, taskSids);
  }
  async interactionsForCustomers(connectorId: string, customerKeys: string[]): Promise<InteractionRow[]> {
    return records.interactionsBy(this.db, 'customer_key', connectorId, customerKeys);
  }
  async surveysForCustomers(connectorId: string, customerKeys: string[]): Promise<SurveyRow[]> {
    return records.surveysBy(this.db, 'customer_key', connectorId, customerKeys);
  }
  async surveysForTasks(connectorId: string, linkedTaskSids: string[]): Promise<SurveyRow[]> {
    return records.surveysBy(this.db, 'linked_task_sid', connectorId, linkedTaskSids);
  }
  async getCustomers(connectorId: string, keys: string[]): Promise<CustomerRow[]> {
    return records.getCustomers(this.db, connectorId, keys);
  }
  async listInteractions(connectorId: string, opts: { sinceMs?: number; untilMs?: number; afterTaskSid?: string; limit: number }): Promise<InteractionRow[]> {
    return records.listInteractions(this.db, connectorId, opts);
  }
  async counts(connectorId: string): Promise<{ interactions: number; customers: number; workers: number; surveys: number; rawEvents: number }> {
    return records.counts(this.db, connectorId);
  }
  async findCustomerKeys(connectorId: string, identity: CustomerIdentityQuery): Promise<string[]> {
    return records.findCustomerKeys(this.db, connectorId, identity);
  }
  async customerKeysByEmail(connectorId: string, emails: string[]): Promise<Map<string, string[]>> {
    return records.customerKeysByEmail(this.db, connectorId, emails);
  }
  async forgetCustomer(connectorId: string, key: string): Promise<ForgetCounts> {
    // claim ends are on the database's clock (dbMs): compared there, handed back on this host's
    const r = await records.forgetCustomer(this.db, connectorId, key, await this.dbMs(this.now()));
    return r.inflightUntilMs === null ? r : { ...r, inflightUntilMs: r.inflightUntilMs - this.skewMs };
  }
  async forgottenTasks(connectorId: string, taskSids: string[]): Promise<string[]> {
    return records.forgottenTasks(this.db, connectorId, taskSids);
  }

  // analytics (reports, dashboard)
  async queueGroups(connectorId: string, q: AnalyticsQuery & { by: 'day' | 'hour' }): Promise<QueueGroup[]> {
    return analytics.queueGroups(this.db, connectorId, q);
  }
  async agentGroups(connectorId: string, q: AnalyticsQuery): Promise<AgentGroup[]> {
    return analytics.agentGroups(this.db, connectorId, q);
  }
  async activityGroups(connectorId: string, q: { sinceMs?: number; endMs: number }): Promise<ActivityGroup[]> {
    return analytics.activityGroups(this.db, connectorId, q);
  }
  async reservationGroups(connectorId: string, q: { sinceMs?: number; endMs: number; queueSids?: string[] }): Promise<ReservationGroup[]> {
    return analytics.reservationGroups(this.db, connectorId, q);
  }
  async csatGroups(connectorId: string, q: AnalyticsQuery & { lateMs: number }): Promise<CsatGroup[]> {
    return analytics.csatGroups(this.db, connectorId, q);
  }
  async analyticsQueues(connectorId: string): Promise<Array<{ queueSid: string; queueName: string | null }>> {
    return analytics.analyticsQueues(this.db, connectorId);
  }
  async tasksWithoutRecords(connectorId: string, q: { sinceMs?: number; untilMs?: number }): Promise<string[]> {
    return analytics.tasksWithoutRecords(this.db, connectorId, q);
  }

  async claimOutbox(opts: { workerId: string; kinds?: OutboxKind[]; limit: number; leaseMs: number; nowMs: number }): Promise<OutboxItem[]> {
    return outbox.claimOutbox(this.db, { ...opts, nowMs: await this.dbMs(opts.nowMs) });
  }
  async completeOutbox(ids: number[], nowMs: number): Promise<void> {
    await outbox.completeOutbox(this.db, ids, nowMs);
  }
  async retryOutbox(id: number, nextAttemptMs: number, error: string): Promise<void> {
    await outbox.retryOutbox(this.db, id, await this.dbMs(nextAttemptMs), error, this.now());
  }
  async deadLetterOutbox(id: number, letter: DeadLetterInput): Promise<void> {
    await outbox.deadLetterOutbox(this.db, id, letter, this.now());
  }
  async delivered(keys: string[]): Promise<Map<string, string | null>> {
    return outbox.delivered(this.db, keys);
  }
  async outboxStats(): Promise<OutboxStats> {
    return outbox.outboxStats(this.db);
  }
  async pruneDelivered(beforeMs: number): Promise<{ outbox: number; inbox: number }> {
    return outbox.pruneDelivered(this.db, beforeMs);
  }
  async pruneForgotten(beforeMs: number): Promise<number> {
    // forgotten_at is on the database's clock (forgetCustomer takes dbMs): compared there
    return outbox.pruneForgotten(this.db, await this.dbMs(beforeMs));
  }

  async listDeadLetters(opts?: { status?: DeadLetter['status']; limit?: number; afterId?: number }): Promise<DeadLetter[]> {
    return admin.listDeadLetters(this.db, opts);
  }
  async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    return admin.getDeadLetter(this.db, id);
  }
  async setDeadLetterStatus(id: number, status: 'replayed' | 'discarded'): Promise<void> {
    await outbox.setDeadLetterStatus(this.db, id, status, this.now());
  }
  async deadLetterCounts(): Promise<Record<string, number>> {
    return admin.deadLetterCounts(this.db);
  }

  async ingest(items: InboxInput[]): Promise<{ accepted: number; duplicates: number; acceptedKeys: string[] }> {
    return admin.ingest(this.db, items, this.now());
  }
  async claimInbox(opts: { workerId: string; limit: number; leaseMs: number; nowMs: number }): Promise<InboxItem[]> {
    return admin.claimInbox(this.db, { ...opts, nowMs: await this.dbMs(opts.nowMs) });
  }

  async retryInboxAt(ids: number[], workerId: string, atMs: number): Promise<void> {
    await admin.retryInboxAt(this.db, ids, workerId, await this.dbMs(atMs));
  }

  async createApiKey(rec: { id: string; name: string; hash: string }): Promise<void> {
    await admin.createApiKey(this.db, rec, this.now());
  }
  async findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    return admin.findApiKey(this.db, hash);
  }
  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return admin.listApiKeys(this.db);
  }
  async revokeApiKey(id: string): Promise<boolean> {
    return admin.revokeApiKey(this.db, id, this.now());
  }
  async acquireLease(name: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean> {
    return admin.acquireLease(this.db, name, holder, ttlMs, await this.dbMs(nowMs));
  }
  async releaseLease(name: string, holder: string): Promise<void> {
    await admin.releaseLease(this.db, name, holder);
  }

  // scale-out: shared rate budgets and the replica registry
  async spendBudget(req: BudgetSpend): Promise<BudgetGrant> {
    return scale.spendBudget(this.db, req);
  }
  async heartbeatReplica(rec: ReplicaRecord): Promise<void> {
    await scale.heartbeatReplica(this.db, { ...rec, heartbeatMs: await this.dbMs(rec.heartbeatMs) });
  }
  async removeReplica(id: string): Promise<void> {
    await scale.removeReplica(this.db, id);
  }
  async pruneReplicas(beforeMs: number): Promise<number> {
    return scale.pruneReplicas(this.db, await this.dbMs(beforeMs));
  }
  async listReplicas(): Promise<ReplicaRecord[]> {
    const skew = this.skewMs;
    return (await scale.listReplicas(this.db)).map((r) => ({ ...r, heartbeatMs: r.heartbeatMs - skew }));
  }
  async listLeases(): Promise<LeaseRecord[]> {
    const skew = this.skewMs;
    return (await scale.listLeases(this.db)).map((l) => ({ ...l, expiresMs: l.expiresMs - skew }));
  }
  async renewOutboxClaims(workerId: string, ids: number[], untilMs: number): Promise<number> {
    return scale.renewOutboxClaims(this.db, workerId, ids, await this.dbMs(untilMs));
  }
}

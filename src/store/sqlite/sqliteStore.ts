import type { Store } from '../store.js';
import type {
  ApiKeyRecord, Checkpoint, CommitBatch, CommitResult, ConnectorRecord, CustomerIdentityQuery, CustomerRow, DeadLetter, DeadLetterInput, ForgetCounts, InboxInput, InboxItem,
  InteractionRow, JsonBatchSpec, OutboxItem, OutboxKind, OutboxStats, RawEvent, SealedSecret, SurveyRow,
} from '../types.js';
import type { BudgetGrant, BudgetSpend, LeaseRecord, ReplicaRecord } from '../scale.js';
import type { ActivityGroup, AgentGroup, AnalyticsQuery, CsatGroup, QueueGroup, ReservationGroup } from '../analytics.js';
import * as admin from './admin.js';
import * as analytics from './analytics.js';
import { SqliteDb, type SqliteDbOptions } from './db.js';
import { TajoError } from '../../core/errors.js';
import { batchKeys } from '../../core/jsonBatch.js';
import { importJournal, journalDirOf, newJournalOwner, ROTATE_MS, scrubImportedJournal, SEGMENT_BYTES, type JournalImport } from './inboxJournal.js';
import { JournalWriter } from './journalWriter.js';
import { InboxWriterThread } from './inboxWriter.js';
import { inboxPayload, iso } from '../rows.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import * as outbox from './outbox.js';
import * as records from './records.js';
import * as scale from './scale.js';

export interface SqliteStoreOptions extends SqliteDbOptions {
  /** Clock for the store's own timestamps (`*_at` it sets itself). */
  now?: () => number;
  /** Apply pending migrations when opening (default true). */
  migrate?: boolean;
  /**
   * Commit the webhook inbox from a worker thread (see inboxWriter.ts) so its fsync does not block the event loop, and
   * take Event Streams deliveries into the inbox journal (journalWriter.ts, fdatasync on libuv's pool). Default true
   * for a file; an in-memory database cannot be shared with a thread and commits in place (no journal).
   */
  inboxThread?: boolean;
  /** The inbox writer's WAL limit (inboxWriter.ts WAL_LIMIT_BYTES; tests make it small). */
  inboxWalLimitBytes?: number;
  /** The inbox journal's segment limits (inboxJournal.ts SEGMENT_BYTES, ROTATE_MS; tests make them small). */
  journalSegmentBytes?: number;
  journalRotateMs?: number;
}

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so each method runs to completion
 * before the promise resolves; write methods run in `BEGIN IMMEDIATE` transactions so several processes can share
 * the file (writers queue on busy_timeout).
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly now: () => number;
  private readonly inboxWriter: InboxWriterThread | undefined;
  /** Where Event Streams deliveries wait to be imported into the inbox (inboxJournal.ts); none in memory. */
  private readonly journalDir: string | undefined;
  private readonly journal: JournalWriter | undefined;

  private constructor(private readonly db: SqliteDb, opts: SqliteStoreOptions) {
    this.now = opts.now ?? Date.now;
    const inMemory = db.file === '' || db.file === ':memory:' || db.file.startsWith('file::memory:');
    this.journalDir = inMemory ? undefined : journalDirOf(db.file);
    this.inboxWriter = opts.inboxThread !== false && this.journalDir !== undefined
      ? new InboxWriterThread(db.file, {
          busyTimeoutMs: Math.trunc(opts.busyTimeoutMs ?? 5000),
          synchronous: opts.synchronous === 'normal' ? 'NORMAL' : 'FULL',
          ...(opts.inboxWalLimitBytes !== undefined ? { walLimitBytes: opts.inboxWalLimitBytes } : {}),
        })
      : undefined;
    this.journal = this.inboxWriter && this.journalDir !== undefined
      ? new JournalWriter({
          dir: this.journalDir, owner: newJournalOwner(), sync: opts.synchronous !== 'normal',
          segmentBytes: opts.journalSegmentBytes ?? SEGMENT_BYTES, rotateMs: opts.journalRotateMs ?? ROTATE_MS,
        })
      : undefined;
  }

  /** Opens (creating if needed) the database file and, unless `migrate: false`, applies pending migrations. */
  static async open(file: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const store = new SqliteStore(new SqliteDb(file, opts), opts);
    if (opts.migrate !== false) {
      try {
        await store.migrate();
      } catch (err) {
        store.db.close();
        throw err;
      }
    }
    return store;
  }

  get file(): string {
    return this.db.file;
  }

  async migrate(): Promise<void> {
    this.db.migrate(SQLITE_MIGRATIONS);
  }
  async migrations(): Promise<{ applied: number[]; pending: number[] }> {
    const applied = this.db.read(() => this.db.appliedMigrations());
    return { applied, pending: SQLITE_MIGRATIONS.map((m) => m.id).filter((id) => !applied.includes(id)) };
  }
  async ping(): Promise<void> {
    this.db.read(() => this.db.stmt('SELECT 1').get());
  }
  async close(): Promise<void> {
    await this.journal?.close();
    await this.inboxWriter?.close();
    this.db.close();
  }

  // connectors and credentials
  async getConnector(id: string): Promise<ConnectorRecord | undefined> {
    return admin.getConnector(this.db, id);
  }
  async saveConnector(rec: ConnectorRecord): Promise<void> {
    admin.saveConnector(this.db, rec);
  }
  async deleteConnector(id: string): Promise<void> {
    admin.deleteConnector(this.db, id);
  }
  async setConnectorStatus(id: string, status: ConnectorRecord['status'], reason?: string, lastError?: ConnectorRecord['lastError']): Promise<void> {
    admin.setConnectorStatus(this.db, id, status, this.now(), reason, lastError);
  }
  async markSynced(id: string, at: string): Promise<void> {
    admin.markSynced(this.db, id, at);
  }
  async putSecret(connectorId: string, name: string, sealed: SealedSecret): Promise<void> {
    admin.putSecret(this.db, connectorId, name, sealed, this.now());
  }
  async getSecrets(connectorId: string): Promise<Record<string, SealedSecret>> {
    return admin.getSecrets(this.db, connectorId);
  }

  // checkpoints
  async getCheckpoint(connectorId: string, stream: string, partition: string): Promise<Checkpoint | undefined> {
    return admin.getCheckpoint(this.db, connectorId, stream, partition);
  }
  async listCheckpoints(connectorId: string): Promise<Checkpoint[]> {
    return admin.listCheckpoints(this.db, connectorId);
  }
  async deleteCheckpoints(connectorId: string, stream?: string): Promise<void> {
    admin.deleteCheckpoints(this.db, connectorId, stream);
  }

  async commit(connectorId: string, batch: CommitBatch): Promise<CommitResult> {
    return records.commit(this.db, connectorId, batch, this.now());
  }

  // reads
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
    // every acknowledged webhook into the inbox first (where forget finds it), and no imported copy left in the journal
    this.importInboxJournal(Infinity);
    const counts = records.forgetCustomer(this.db, connectorId, key, this.now());
    if (this.journalDir !== undefined) scrubImportedJournal(this.db, this.journalDir);
    return counts;
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

  // outbox
  async claimOutbox(opts: { workerId: string; kinds?: OutboxKind[]; limit: number; leaseMs: number; nowMs: number }): Promise<OutboxItem[]> {
    return outbox.claimOutbox(this.db, opts);
  }
  async completeOutbox(ids: number[], nowMs: number): Promise<void> {
    outbox.completeOutbox(this.db, ids, nowMs);
  }
  async retryOutbox(id: number, nextAttemptMs: number, error: string): Promise<void> {
    outbox.retryOutbox(this.db, id, nextAttemptMs, error, this.now());
  }
  async deadLetterOutbox(id: number, letter: DeadLetterInput): Promise<void> {
    outbox.deadLetterOutbox(this.db, id, letter, this.now());
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
    // a webhook still in the inbox journal that names a forgotten task keeps its row too
    this.importInboxJournal(Infinity);
    return outbox.pruneForgotten(this.db, beforeMs);
  }

  // dead letters
  async listDeadLetters(opts?: { status?: DeadLetter['status']; limit?: number; afterId?: number }): Promise<DeadLetter[]> {
    return admin.listDeadLetters(this.db, opts);
  }
  async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    return admin.getDeadLetter(this.db, id);
  }
  async setDeadLetterStatus(id: number, status: 'replayed' | 'discarded'): Promise<void> {
    outbox.setDeadLetterStatus(this.db, id, status, this.now());
  }
  async deadLetterCounts(): Promise<Record<string, number>> {
    return admin.deadLetterCounts(this.db);
  }

  // webhook inbox
  get ingestGroupsCommits(): boolean {
    return this.inboxWriter !== undefined;
  }
  /** Transactions the inbox writer thread has committed (one per group of writes; 0 without the thread). */
  get inboxCommits(): number {
    return this.inboxWriter?.commits ?? 0;
  }
  async ingest(items: InboxInput[]): Promise<{ accepted: number; duplicates: number; acceptedKeys: string[] }> {
    if (!this.inboxWriter) return admin.ingest(this.db, items, this.now());
    const acceptedKeys = await this.inboxWriter.write(items.map((i) => [i.key, i.source, inboxPayload(i)]), iso(this.now()));
    return { accepted: acceptedKeys.length, duplicates: items.length - acceptedKeys.length, acceptedKeys };
  }
  /**
   * Into the inbox journal, durable when it resolves (imported at claim, inboxJournal.ts); undefined when the body is not
   * one the spec takes as is, or without a journal (an in-thread store): the caller then decodes it and calls `ingest`.
   * `digest`: the body's SHA-256, when the caller verified it (the signature's `bodySHA256`).
   */
  async ingestJsonBatch(body: Buffer, source: InboxInput['source'], spec: JsonBatchSpec, digest?: Uint8Array): Promise<{ accepted: number; duplicates: number } | undefined> {
    if (!this.journal) return undefined;
    const keys = batchKeys(body, spec);
    if (!keys) return undefined;
    await this.appendJournal(this.journal, source, keys, body, digest);
    const distinct = new Set(keys).size;
    return { accepted: distinct, duplicates: keys.length - distinct };
  }
  /**
   * Items of one delivery into the inbox journal, as one record (a JSON array of their payloads), durable when it
   * resolves; undefined without a journal. Unlike `ingest`, nothing is looked up: repeats of keys other rows hold are
   * flagged at the claim, so `accepted` counts the distinct keys given.
   */
  async journalInbox(items: InboxInput[]): Promise<{ accepted: number; duplicates: number } | undefined> {
    const source = items[0]?.source;
    if (!this.journal || source === undefined || items.some((i) => i.source !== source)) return undefined;
    const keys = items.map((i) => i.key);
    await this.appendJournal(this.journal, source, keys, Buffer.from(`[${items.map(inboxPayload).join(',')}]`, 'utf8'));
    const distinct = new Set(keys).size;
    return { accepted: distinct, duplicates: keys.length - distinct };
  }
  private async appendJournal(journal: JournalWriter, source: InboxInput['source'], keys: string[], body: Buffer, digest?: Uint8Array): Promise<void> {
    try {
      await journal.append(JSON.stringify({ s: source, a: iso(this.now()), k: keys }), body, digest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      throw new TajoError('TAJO_STORE_UNAVAILABLE', `The inbox journal could not be written (${code})`, { cause: err });
    }
  }
  async claimInbox(opts: { workerId: string; limit: number; leaseMs: number; nowMs: number }): Promise<InboxItem[]> {
    this.importInboxJournal();
    return admin.claimInbox(this.db, opts);
  }
  /**
   * Imports the inbox journal's records into the inbox (inboxJournal.ts): deliveries acknowledged by any process on
   * this store, not imported yet, up to `maxBytes` of them (IMPORT_BYTES; `Infinity`: all). `claimInbox` does it first
   * (a chunk per claim); `forgetCustomer`, the prune of forgotten tasks and `migrate --from sqlite` import all.
   */
  importInboxJournal(maxBytes?: number): JournalImport {
    if (this.journalDir === undefined) return { deliveries: 0, items: 0, segmentsDeleted: 0 };
    return importJournal(this.db, this.journalDir, this.now(), maxBytes);
  }

  async retryInboxAt(ids: number[], workerId: string, atMs: number): Promise<void> {
    admin.retryInboxAt(this.db, ids, workerId, atMs);
  }

  // API keys and leases
  async createApiKey(rec: { id: string; name: string; hash: string }): Promise<void> {
    admin.createApiKey(this.db, rec, this.now());
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
    return admin.acquireLease(this.db, name, holder, ttlMs, nowMs);
  }
  async releaseLease(name: string, holder: string): Promise<void> {
    admin.releaseLease(this.db, name, holder);
  }

  // scale-out: shared rate budgets and the replica registry
  async spendBudget(req: BudgetSpend): Promise<BudgetGrant> {
    return scale.spendBudget(this.db, req, this.now());
  }
  async heartbeatReplica(rec: ReplicaRecord): Promise<void> {
    scale.heartbeatReplica(this.db, rec);
  }
  async removeReplica(id: string): Promise<void> {
    scale.removeReplica(this.db, id);
  }
  async pruneReplicas(beforeMs: number): Promise<number> {
    return scale.pruneReplicas(this.db, beforeMs);
  }
  async listReplicas(): Promise<ReplicaRecord[]> {
    return scale.listReplicas(this.db);
  }
  async listLeases(): Promise<LeaseRecord[]> {
    return scale.listLeases(this.db);
  }
  async renewOutboxClaims(workerId: string, ids: number[], untilMs: number): Promise<number> {
    return scale.renewOutboxClaims(this.db, workerId, ids, untilMs);
  }
}

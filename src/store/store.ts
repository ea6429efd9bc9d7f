import type {
  ApiKeyRecord, Checkpoint, CommitBatch, CommitResult, ConnectorRecord, CustomerIdentityQuery, CustomerRow, DeadLetter, DeadLetterInput, ForgetCounts,
  InboxInput, InboxItem, InteractionRow, JsonBatchSpec, OutboxItem, OutboxKind, OutboxStats, RawEvent, SealedSecret, StoreKind, SurveyRow,
} from './types.js';
import type { AnalyticsReads } from './analytics.js';
import type { ScaleOps } from './scale.js';

/**
 * The state store. Every method is one atomic operation; the engine never sees SQL, transactions or the backend.
 * Implementations: `sqlite/` (embedded default, better-sqlite3 + WAL) and `postgres/` (scale-out).
 * Expected failures are `TajoError`s (TAJO_CHECKPOINT_CONFLICT, TAJO_STORE_UNAVAILABLE, TAJO_LEASE_HELD).
 * Range reads for reports and the dashboard: `AnalyticsReads` (./analytics.ts); shared rate budgets and the replica
 * registry of scale-out: `ScaleOps` (./scale.ts).
 */
export interface Store extends AnalyticsReads, ScaleOps {
  readonly kind: StoreKind;
  /** Applies pending numbered migrations under a lock; safe when several processes start at once. */
  migrate(): Promise<void>;
  /** Applied migration ids (for /readyz and `tajo migrate`). */
  migrations(): Promise<{ applied: number[]; pending: number[] }>;
  ping(): Promise<void>;
  close(): Promise<void>;

  // connectors and credentials
  getConnector(id: string): Promise<ConnectorRecord | undefined>;
  saveConnector(rec: ConnectorRecord): Promise<void>;
  deleteConnector(id: string): Promise<void>;
  setConnectorStatus(id: string, status: ConnectorRecord['status'], reason?: string, lastError?: ConnectorRecord['lastError']): Promise<void>;
  markSynced(id: string, at: string): Promise<void>;
  putSecret(connectorId: string, name: string, sealed: SealedSecret): Promise<void>;
  getSecrets(connectorId: string): Promise<Record<string, SealedSecret>>;

  // checkpoints
  getCheckpoint(connectorId: string, stream: string, partition: string): Promise<Checkpoint | undefined>;
  listCheckpoints(connectorId: string): Promise<Checkpoint[]>;
  deleteCheckpoints(connectorId: string, stream?: string): Promise<void>;

  /** The one write path for data: raw events, derived rows, outbox and dead letters, with the cursor, in one transaction. */
  commit(connectorId: string, batch: CommitBatch): Promise<CommitResult>;

  // reads the engine needs to derive records
  rawEventsForTasks(connectorId: string, taskSids: string[]): Promise<RawEvent[]>;
  rawEventsForWorkers(connectorId: string, workerSids: string[], sinceMs?: number): Promise<RawEvent[]>;
  getInteractions(connectorId: string, taskSids: string[]): Promise<InteractionRow[]>;
  interactionsForCustomers(connectorId: string, customerKeys: string[]): Promise<InteractionRow[]>;
  surveysForCustomers(connectorId: string, customerKeys: string[]): Promise<SurveyRow[]>;
  surveysForTasks(connectorId: string, linkedTaskSids: string[]): Promise<SurveyRow[]>;
  getCustomers(connectorId: string, keys: string[]): Promise<CustomerRow[]>;
  /** Page through interactions (reports, dashboard, `forget`). */
  listInteractions(connectorId: string, opts: { sinceMs?: number; untilMs?: number; afterTaskSid?: string; limit: number }): Promise<InteractionRow[]>;
  counts(connectorId: string): Promise<{ interactions: number; customers: number; workers: number; surveys: number; rawEvents: number }>;
  /**
   * The keys of every customer recognised by one of these identities (`tajo forget`): a customer row whose key, phone
   * or WhatsApp number (`phone`), email (`email`) or chat identity (`chatIdentity`, without `chat:`) matches, and keys
   * only interactions or surveys still name (`phone`, `email` or `chat:<identity>` as the key). Sorted, distinct.
   */
  findCustomerKeys(connectorId: string, identity: CustomerIdentityQuery): Promise<string[]>;
  /** The customers holding each of these emails (`customers.email`, as stored: lower case), by email. */
  customerKeysByEmail(connectorId: string, emails: string[]): Promise<Map<string, string[]>>;
  /**
   * Remove a person (by customer key) and their derived rows; returns what was removed. Their tasks are remembered as
   * forgotten (`forgottenTasks`), so no later sync, webhook or late event derives them again, and a commit naming one
   * of them is refused for its customers (CustomerConflictError) until it is re-derived without them.
   */
  forgetCustomer(connectorId: string, key: string): Promise<ForgetCounts>;
  /** Which of these task SIDs `forgetCustomer` erased (migration 0006). */
  forgottenTasks(connectorId: string, taskSids: string[]): Promise<string[]>;

  // outbox (drained by the delivery worker, possibly several processes/replicas)
  /**
   * Leases due rows (new rows are due at once) to `workerId` until `nowMs + leaseMs`, ordered by priority, due time, id;
   * `attempts` is incremented per claim. Expired leases are reclaimed first (crash safety). A contact/list row is not
   * handed out while an older row with the same key is in flight, so one key's writes reach Brevo in order. An event
   * with a `customerKey` is not handed out while that customer's contact row (`contact:<key>`) is pending or in flight
   * and was never delivered (no ledger entry): its contact reaches Brevo first.
   */
  claimOutbox(opts: { workerId: string; kinds?: OutboxKind[]; limit: number; leaseMs: number; nowMs: number }): Promise<OutboxItem[]>;
  /** Marks in-flight rows delivered and records each in the ledger (same transaction); rows no longer in flight are left alone. */
  completeOutbox(ids: number[], nowMs: number): Promise<void>;
  /** Back to pending, due at `nextAttemptMs`. A contact/list row already superseded by a newer pending write is dropped instead. */
  retryOutbox(id: number, nextAttemptMs: number, error: string): Promise<void>;
  /** Moves to dead letters (same transaction). */
  deadLetterOutbox(id: number, letter: DeadLetterInput): Promise<void>;
  /** Ledger lookup: which of these keys were already delivered (with the content hash sent). */
  delivered(keys: string[]): Promise<Map<string, string | null>>;
  outboxStats(): Promise<OutboxStats>;
  /**
   * Retention of personal data: deletes outbox rows delivered before `beforeMs` and webhook inbox rows processed before
   * it (their payloads are what Brevo already has). The ledger keeps every delivered key with its content hash, so
   * nothing is sent again; a webhook re-delivered after its row is gone is stored again and its writes dedupe against
   * the ledger. Pending, in-flight and dead rows (dead letters replay them) are kept.
   */
  pruneDelivered(beforeMs: number): Promise<{ outbox: number; inbox: number }>;
  /**
   * Retention of `forgetCustomer`'s task SIDs: deletes those forgotten before `beforeMs` (`tajo prune` passes at most
   * `forgottenPruneBeforeMs`, forgotten.ts: 60 days, while Twilio may still hand the task back), except those an open
   * dead letter or a webhook not processed yet still names. Returns how many went.
   */
  pruneForgotten(beforeMs: number): Promise<number>;

  // dead letters
  listDeadLetters(opts?: { status?: DeadLetter['status']; limit?: number; afterId?: number }): Promise<DeadLetter[]>;
  getDeadLetter(id: number): Promise<DeadLetter | undefined>;
  /** Closes an open dead letter. `replayed` on one that came from the outbox also puts that row back in the queue. */
  setDeadLetterStatus(id: number, status: 'replayed' | 'discarded'): Promise<void>;
  deadLetterCounts(): Promise<Record<string, number>>;

  // webhook inbox
  /** Inserts new keys, ignores known ones; returns which were accepted. Durable when it resolves. */
  ingest(items: InboxInput[]): Promise<{ accepted: number; duplicates: number; acceptedKeys: string[] }>;
  /**
   * True when `ingest` itself groups calls made while a commit runs into the next commit (SQLite's inbox writer
   * thread): a caller may start the next `ingest` without waiting for the previous one to resolve.
   */
  readonly ingestGroupsCommits?: boolean;
  /**
   * Optional: decodes, checks and ingests a JSON batch body, each item under `spec.keyField`. SQLite makes the delivery
   * durable in its inbox journal and imports it into the inbox when `claimInbox` runs (src/store/sqlite/inboxJournal.ts),
   * as one row (migration 0005) holding its distinct items; the claim registers their keys, flags the items another
   * row holds `duplicate`, and yields each item with its text as received. The counts here are the body's own:
   * `accepted` its distinct keys, `duplicates` the repeats within it. Undefined, nothing written, when the body is not
   * one `spec` accepts as is: the caller then decodes and validates it and calls `ingest`. Durable when it resolves.
   * `digest`: the body's SHA-256 when the caller verified it against the body (it is the journal record's checksum).
   */
  ingestJsonBatch?(body: Buffer, source: InboxInput['source'], spec: JsonBatchSpec, digest?: Uint8Array): Promise<{ accepted: number; duplicates: number } | undefined>;
  /**
   * Optional: the items of one delivery (one source) into the inbox the way `ingestJsonBatch` takes a batch (SQLite: one
   * journal record, one inbox row at import), for callers that do not need to know which keys were new: nothing is
   * looked up, so `accepted` counts the distinct keys given and repeats of keys other rows hold are flagged at the
   * claim. Undefined, nothing written, when the store has no such path: the caller then calls `ingest`.
   */
  journalInbox?(items: InboxInput[]): Promise<{ accepted: number; duplicates: number } | undefined>;
  /**
   * Leases pending rows (and rows whose lease expired), oldest first, as items: whole rows up to `limit` items, at least
   * one row. A batch row's items share its id and complete together (`CommitBatch.processedInboxIds`).
   */
  claimInbox(opts: { workerId: string; limit: number; leaseMs: number; nowMs: number }): Promise<InboxItem[]>;
  /**
   * Moves the lease end of rows `workerId` holds to `atMs`, so rows it could not complete yet (waiting for a task) are
   * claimed again then rather than when their claim's lease runs out. Rows no longer held by `workerId` are left alone.
   */
  retryInboxAt(ids: number[], workerId: string, atMs: number): Promise<void>;

  // management API keys (stored hashed) and leases (one owner per stream / worker role)
  createApiKey(rec: { id: string; name: string; hash: string }): Promise<void>;
  /** The active (not revoked) key with this hash. */
  findApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string): Promise<boolean>;
  /** True when `holder` now holds the lease: it was free, expired, or already theirs (renewal). */
  acquireLease(name: string, holder: string, ttlMs: number, nowMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}

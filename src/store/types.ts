/** Row types shared by every store backend. JSON columns are typed as `unknown` at this boundary. */
import type { Channel } from '../config/defaults.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface ConnectorSettings {
  accountSid: string;
  flexFlowSid: string;
  workspaceSid: string;
  /** Conversations service of Flex (Configuration.flex_service_instance_sid), when known. */
  chatServiceSid?: string;
  authMode: 'auth_token' | 'api_key';
  apiKeySid?: string;
  baseUrls: { flex: string; conversations: string; taskrouter: string; events: string };
  brevoBaseUrl: string;
}

export interface ConnectorRecord {
  id: string; // 'twilio-flex'
  settings: ConnectorSettings;
  status: 'active' | 'paused';
  statusReason?: string;
  installedAt: string;
  updatedAt: string;
  lastSyncAt?: string;
  lastError?: { code: string; message: string; at: string };
}

/** AES-256-GCM output; all base64. */
export interface SealedSecret {
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface Checkpoint {
  stream: string;
  partition: string;
  value: unknown;
  version: number;
  updatedAt: string;
}

export interface CheckpointWrite {
  stream: string;
  partition: string;
  value: unknown;
  /** Version read before; 0 when there was none. A mismatch aborts the whole commit with TAJO_CHECKPOINT_CONFLICT. */
  expectedVersion: number;
}

/** A TaskRouter / Conversations event as observed by polling or webhooks, keyed so both paths dedupe. */
export interface RawEvent {
  /** EV sid when known; else a content key (resource sid + type + time). */
  key: string;
  type: string;
  occurredMs: number;
  taskSid?: string;
  workerSid?: string;
  conversationSid?: string;
  via: 'poll' | 'webhook';
  data: unknown;
}

export type Outcome = 'completed' | 'abandoned' | 'canceled' | 'open';

/** What an interaction's TaskRouter events establish (engine/derive/interaction.ts), as stored and as derived. */
export interface InteractionFacts {
  taskSid: string;
  /** The final queue: a transfer moves it, the last one seen wins. */
  queueSid: string | null;
  queueName: string | null;
  workerSid: string | null;
  workerName: string | null;
  createdMs: number | null;
  answeredMs: number | null;
  wrapupMs: number | null;
  endedMs: number | null;
  outcome: Outcome;
  conversationSid: string | null;
  conversationClosedMs: number | null;
  /** Exact (ms / 1000); rounded to 1 decimal only when reported. */
  waitSeconds: number | null;
  handleSeconds: number | null;
  /**
   * Why TaskRouter canceled the task (`TaskCanceledReason` / `task_canceled_reason`, as sent), for a canceled task;
   * null otherwise or when none was sent. store/cancelReason.ts tells a timeout from a customer abandonment.
   * Optional for rows built before migration 0007; read back from the store it is always present.
   */
  cancelReason?: string | null;
}

export interface InteractionRow extends InteractionFacts {
  customerKey: string | null;
  channel: Channel | null;
  attributes: unknown;
  updatedAt: string;
}

export interface SurveyRow {
  surveyTaskSid: string;
  linkedTaskSid: string | null;
  customerKey: string | null;
  score: number;
  scale: number;
  questions: { label: string; score: number }[];
  completedMs: number;
}

export interface CustomerRow {
  /** ext_id (docs/SEMANTICS.md §2). */
  key: string;
  email: string | null;
  phone: string | null;
  whatsapp: string | null;
  chatIdentity: string | null;
  smsBlacklisted: boolean;
  whatsappBlacklisted: boolean;
  /** Content hash of the last contact payload enqueued for Brevo (change detection). */
  pushedHash: string | null;
  updatedAt: string;
  /**
   * Optimistic version (migration 0004). Read: the stored row's, bumped by every write. Written: the version of the row
   * the customer was derived from (0: there was none); `commit` refuses the whole batch with a `CustomerConflictError`
   * when the stored row has moved on since (another process re-derived the customer in between).
   */
  version: number;
}

export type OutboxKind = 'contact' | 'event' | 'list_add' | 'list_remove';
export type OutboxStatus = 'pending' | 'inflight' | 'delivered' | 'dead';

export interface OutboxInput {
  kind: OutboxKind;
  /**
   * Identity of the write. Events: the tajo_id (an event already in the outbox or ledger is never enqueued again).
   * Contacts: `contact:<ext_id>` — a pending contact write with the same key is replaced (coalesced) by the newer payload.
   */
  key: string;
  payload: unknown;
  /** 0 = live (webhooks), 1 = backfill (sync). Lower drains first. */
  priority: 0 | 1;
  contentHash?: string;
  /** ext_id of the person this write is about: lets `forgetCustomer` remove queued writes. */
  customerKey?: string;
}

export interface OutboxItem extends OutboxInput {
  id: number;
  status: OutboxStatus;
  /** Times this row was claimed, the current claim included (graphile-worker style: 1 on the first delivery). */
  attempts: number;
  nextAttemptMs: number;
  createdAt: string;
  lastError?: string;
}

export type DeadLetterReason =
  | 'malformed_attributes'
  | 'unknown_channel'
  | 'survey_unlinked'
  | 'missing_identity'
  | 'brevo_duplicate_sms'
  | 'brevo_duplicate_ext_id'
  | 'brevo_invalid_phone'
  | 'brevo_rejected'
  | 'payload_too_large'
  | 'retries_exhausted'
  /** An inbox row the store cannot read back (its payload or item keys); the row leaves the inbox as this. */
  | 'corrupt_inbox_row'
  /** A customer's STOP in a Conversation no task ever named (within maxDeferMs): kept, with its webhook, for replay. */
  | 'optout_unlinked'
  /** An inbox item whose processing throws a bug (not a coded failure), alone and again: kept, with its webhook, for replay. */
  | 'processing_failed'
  /** A Flex plugin call naming only a reservation (WR…) that resolved to no task within maxDeferMs: kept, with its webhook, for replay. */
  | 'reservation_unresolved';

export interface DeadLetterInput {
  source: 'twilio' | 'brevo' | 'webhook';
  reason: DeadLetterReason;
  /** Task sid, outbox key, webhook dedupe key… — one open dead letter per (source, reason, recordKey). */
  recordKey: string;
  payload: unknown;
  error?: string;
}

export interface DeadLetter extends DeadLetterInput {
  id: number;
  status: 'open' | 'replayed' | 'discarded';
  createdAt: string;
  updatedAt: string;
}

/** A webhook delivery accepted by the server, stored before the 2xx is sent. */
export interface InboxInput {
  /** Dedupe key: CloudEvent id, TaskRouter Sid, or a content key. */
  key: string;
  source: 'event-streams' | 'taskrouter' | 'conversations' | 'flex-plugin' | 'survey' | 'sdk';
  payload: unknown;
  /**
   * The payload's JSON text as received (an Event Streams CloudEvent's bytes in the signed batch), stored instead of
   * serialising `payload` again. `JSON.parse(payloadJson)` must equal `payload`.
   */
  payloadJson?: string;
}

export interface InboxItem extends InboxInput {
  /** The inbox row's id, shared by the items of one batch row (they complete together). */
  id: number;
  receivedAt: string;
  /**
   * Set when the row cannot be read back (payload not JSON, item keys not matching a batch payload): the item is the
   * whole row, its payload the stored text, and the processor dead-letters it (`corrupt_inbox_row`) instead of
   * stalling on it.
   */
  corrupt?: string;
  /**
   * Another inbox row holds the same key (a store that dedupes at claim: SQLite's Event Streams batch rows): the
   * processor drops the item and counts it; its row completes with the others.
   */
  duplicate?: true;
}

/** Everything one page (or one webhook batch) changes, committed atomically. */
export interface CommitBatch {
  checkpoint?: CheckpointWrite;
  rawEvents?: RawEvent[];
  interactions?: InteractionRow[];
  surveys?: SurveyRow[];
  customers?: CustomerRow[];
  outbox?: OutboxInput[];
  deadLetters?: DeadLetterInput[];
  /** Inbox items whose processing this batch completes. */
  processedInboxIds?: number[];
}

export interface CommitResult {
  checkpointVersion?: number;
  /** Outbox rows inserted (not deduped away). */
  outboxInserted: number;
  /** Raw events inserted, or stored copies replaced by the same event with milliseconds (store/batch.ts isCoarserCopy). */
  rawEventsInserted: number;
}

export interface OutboxStats {
  pending: number;
  inflight: number;
  delivered: number;
  dead: number;
  /** Creation time (epoch ms) of the oldest pending row; null when none. */
  oldestPendingMs: number | null;
  /** Backlog (pending + inflight) per kind. */
  byKind: Record<OutboxKind, number>;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  createdAt: string;
  revokedAt?: string;
}

export type { JsonBatchSpec } from '../core/jsonBatch.js';

/** What `Store.forgetCustomer` removed. */
export interface ForgetCounts {
  interactions: number;
  surveys: number;
  /** Outbox rows about them (pending, in flight or delivered). */
  outbox: number;
  /**
   * The latest lease end (epoch ms) of the removed rows a delivery worker had in flight, or null: such a write may
   * still reach Brevo after the forget, until then (`tajo forget --delete-in-brevo` deletes again after it).
   */
  inflightUntilMs: number | null;
  /**
   * Dead letters about them, whatever their status: an outbox row's Brevo write, a task that could not be mapped
   * (its attributes name them; its raw events and SID go the way of their other tasks), a webhook of their tasks.
   */
  deadLetters: number;
  /** Inbox rows (webhook payloads, pending or processed) holding only their records. */
  inbox: number;
  /**
   * Inbox rows naming them that had to stay: a batch row also holds other people's events, a claimed row is being
   * processed. Their pending events of forgotten tasks are dropped by the processor; `tajo prune` deletes them once
   * processed and older than its cut-off.
   */
  inboxKept: number;
}

/** What `Store.findCustomerKeys` looks a person up by (normalised: E.164 phone, lower-cased email, identity as is). */
export interface CustomerIdentityQuery {
  phone?: string;
  email?: string;
  chatIdentity?: string;
}

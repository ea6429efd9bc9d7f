import type { TwilioFlexConfig } from '../../config/schema.js';
import type { Channel, SyncResource } from '../../config/defaults.js';
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/store.js';
import type { ConnectorRecord, DeadLetterReason, OutboxKind } from '../../store/types.js';
import type { TwilioBudgets } from '../budget.js';
import type { RequestStats } from '../http.js';

/** Stream names, explicit and stable (they key the checkpoints). */
export const STREAM_NAMES = ['queues', 'workers', 'activities', 'taskrouter_events', 'conversations'] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

export interface TwilioSecrets {
  authToken?: string | undefined;
  apiKeySecret?: string | undefined;
}

export interface StreamProgress {
  stream: StreamName;
  partition: string;
  pages: number;
  records: number;
  /** Where the stream is: for windowed streams the end of the last finished window. */
  cursor?: unknown;
  /** 0..1 when the stream can tell (time windows), else undefined. */
  fraction?: number;
  done: boolean;
}

export interface SyncDeps {
  store: Store;
  config: TwilioFlexConfig;
  connector: ConnectorRecord;
  secrets: TwilioSecrets;
  logger: Logger;
  budgets: TwilioBudgets;
  listIds: { support_contacts?: number | undefined; csat_respondents?: number | undefined };
  /** Twilio's clock (the emulator's emulated time in tests); default Date.now. */
  nowMs?: () => number;
  onProgress?: (p: StreamProgress) => void;
  /** Emulated-time factor forwarded to the HTTP layer (vendor reset headers). */
  timeScale?: number;
  stats?: RequestStats;
  /** Per-attempt timeout of Twilio calls (default 30 s; fault tests shorten it). */
  requestTimeoutMs?: number;
  /** Attempts per Twilio call (default 5; a fault test with random timeouts raises it so that its outcome does not hang on chance). */
  requestMaxAttempts?: number;
  /** Tasks derived per commit at the end of a TaskRouter Events window (default 400; tests make chunks tiny). */
  deriveChunk?: number;
  /** A fixed TaskRouter Events window (ms) instead of the adaptive sizes (tests: many window boundaries). */
  windowMs?: number;
  /**
   * `message_bodies: hashed`: the HMAC key, `Vault.deriveKey(messageBodyKeyPurpose(connector id))` (derived from the
   * master key). Without it a hashed-mode run fails with TAJO_MESSAGE_BODY_KEY_MISSING.
   */
  messageBodyKey?: Uint8Array | undefined;
}

export interface SyncOptions {
  type: 'full' | 'incremental';
  /** Restrict to these resources (intersected with the config's `sync.*` switches). */
  resources?: SyncResource[];
  /** ISO date-time: start of a full sync (default: TaskRouter's 30-day retention). */
  since?: string;
  /** Restrict to these channels (intersected with the config's `channels`). */
  channels?: Channel[];
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface StreamReport {
  status: 'ok' | 'skipped' | 'paused' | 'failed' | 'aborted';
  pages: number;
  records: number;
  requests: number;
  rateWaitMs: number;
  cursor: unknown;
  error?: { code: string; message: string };
}

export interface ContactSample {
  ext_id: string;
  change: 'new' | 'changed';
  /** Attribute/field → before/after (before = what the stored state derives to, i.e. what was last pushed). */
  diff: Record<string, { from: unknown; to: unknown }>;
}

export interface SyncReport {
  type: SyncOptions['type'];
  dryRun: boolean;
  status: 'ok' | 'paused' | 'failed' | 'aborted';
  statusReason?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The Twilio time the run synced up to. */
  syncedThrough: string;
  streams: Partial<Record<StreamName, StreamReport>>;
  /** Outbox rows enqueued (dry run: planned), per kind. */
  outbox: Record<OutboxKind, number>;
  deadLetters: Partial<Record<DeadLetterReason, number>>;
  warnings: string[];
  /** Dry run only: a sample of contact changes against the stored state. */
  sampleContacts?: ContactSample[];
}

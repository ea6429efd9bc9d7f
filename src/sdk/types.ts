/**
 * Public types of the SDK. The same shapes come back from embedded mode (in-process on the store) and remote
 * mode (a running `tajo serve` through `/api/v1`), and the CLI prints them with `--json`. They never carry secrets.
 */
import type { Channel, SyncResource } from '../config/defaults.js';
import type { Logger } from '../core/logger.js';
import type { TajoConfig } from '../config/schema.js';

export type ConnectorId = 'twilio-flex';
export const CONNECTOR_IDS: readonly ConnectorId[] = ['twilio-flex'];

export interface TwilioBaseUrls {
  flex: string;
  conversations: string;
  taskrouter: string;
  events: string;
}

export interface TajoClientOptions {
  /** Remote mode: the management API key (`tajo keys create`). */
  apiKey?: string | undefined;
  /** Remote mode: the base URL of a running `tajo serve` (e.g. `http://127.0.0.1:8787`). Without it the SDK runs embedded. */
  baseUrl?: string | undefined;
  /** Brevo API key (else config `brevo.api_key`, `BREVO_API_KEY`, or the one stored at install). */
  brevoApiKey?: string | undefined;
  brevoBaseUrl?: string | undefined;
  /** Embedded mode: data dir (else `TAJO_DATA_DIR`, config `data_dir`, `./.tajo`). */
  dataDir?: string | undefined;
  /** Embedded mode: `tajo.yaml` path (else `TAJO_CONFIG`, `./tajo.yaml` when present, defaults otherwise). */
  configPath?: string | undefined;
  /** Embedded mode: an already loaded config (skips the file). */
  config?: TajoConfig | undefined;
  /** Embedded mode: store URL (`postgres://…`; else config `store.url`, else SQLite in the data dir). */
  storeUrl?: string | undefined;
  logger?: Logger | undefined;
  /** Environment used for `${ENV}` interpolation and defaults (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
  cwd?: string | undefined;
  /**
   * Multiplies every client-side rate budget: only for emulators started with `--time-scale X` (default 1,
   * else `TAJO_TIME_SCALE`). Never set it against the real vendors.
   */
  timeScale?: number | undefined;
  /** Remote mode: limit of each call in ms, an integer from 1 to 4294967295 (default 120 s; `forget` 300 s; `webhooks` its activation wait plus a minute; `sync` none: cancel it with `signal`). */
  timeoutMs?: number | undefined;
}

export interface ConnectParams {
  accountSid: string;
  authToken?: string | undefined;
  apiKeySid?: string | undefined;
  apiKeySecret?: string | undefined;
  flexFlowSid: string;
  /** Checked against Flex Configuration; discovered from it when absent. */
  workspaceSid?: string | undefined;
  baseUrls?: Partial<TwilioBaseUrls> | undefined;
  brevoApiKey?: string | undefined;
  brevoBaseUrl?: string | undefined;
}

export interface ConnectResult {
  connector: ConnectorId;
  accountSid: string;
  flexFlowSid: string;
  workspaceSid: string;
  /** True when the workspace came from Flex Configuration rather than the caller. */
  workspaceDiscovered: boolean;
  chatServiceSid?: string;
  authMode: 'auth_token' | 'api_key';
  apiKeySid?: string;
  baseUrls: TwilioBaseUrls;
  brevoBaseUrl: string;
  /** Whether a Brevo API key is stored (the key itself is never returned). */
  brevoConfigured: boolean;
  installedAt: string;
}

/** Credentials to replace (`rotate`); only the given ones change. */
export interface RotateParams {
  authToken?: string;
  apiKeySid?: string;
  apiKeySecret?: string;
  brevoApiKey?: string;
}

export type CheckId = 'flex' | 'conversations' | 'workspace' | 'workers' | 'queues' | 'brevo' | 'brevo_lists';

export interface CheckResult {
  id: CheckId;
  ok: boolean;
  /** Not run because an earlier check failed. */
  skipped?: boolean;
  /** The line printed after ✓ / ✗. */
  label: string;
  /** HTTP status seen, when a vendor answered. */
  status?: number;
  cause?: string;
  fix?: string;
  /** Extra facts (workspace found vs configured, list names…). */
  detail?: string;
}

export interface TestReport {
  connector: ConnectorId;
  ok: boolean;
  checks: CheckResult[];
}

export type SyncType = 'full' | 'incremental';

export interface SyncParams {
  type?: SyncType;
  resources?: SyncResource[];
  /**
   * ISO date or date-time (UTC when it has no zone) where a full sync (or a first incremental one) starts; older than TaskRouter's 30-day retention
   * is clamped for task data (with a warning); after the vendors' now (an emulator's own clock) is TAJO_USAGE; an
   * incremental sync with a cursor resumes from it instead (with a warning).
   */
  since?: string;
  channels?: Channel[];
  dryRun?: boolean;
  /** Drain the outbox to Brevo during and after the sync (default true; false leaves it to `tajo serve`). */
  deliver?: boolean;
}

export interface StreamProgress {
  stream: string;
  partition?: string;
  records: number;
  pages?: number;
  /** Twilio requests since the stream started. */
  requests: number;
  /** 0..1 when the stream can tell (time windows). */
  fraction?: number;
  /** Share (0..1) of the stream's rate budget used since the last update, when known. */
  budgetUse?: number;
  done: boolean;
}

export interface DeliveryProgress {
  delivered: number;
  deadLettered: number;
  /** Still pending or in flight in the outbox. */
  pending: number;
  /** Brevo requests made. */
  requests: number;
}

export type SyncProgressEvent =
  | { kind: 'stream'; progress: StreamProgress }
  | { kind: 'delivery'; progress: DeliveryProgress }
  | { kind: 'warning'; message: string };

export interface SyncCallOptions {
  signal?: AbortSignal;
  /** Progress of the streams, the delivery, and warnings; remote too (the server streams them, see README, SDK). */
  onProgress?: (event: SyncProgressEvent) => void;
}

export type OutboxKindName = 'contact' | 'event' | 'list_add' | 'list_remove';

export interface StreamReport {
  stream: string;
  status: 'ok' | 'skipped' | 'paused' | 'failed' | 'aborted';
  pages: number;
  records: number;
  requests: number;
  /** Time spent waiting for the rate budget. */
  rateWaitMs: number;
  cursor?: unknown;
  error?: { code: string; message: string };
}

export interface DeliveryReport {
  delivered: number;
  retried: number;
  deadLettered: number;
  /** Left in the outbox (delivery stopped early, paused, or `deliver: false`). */
  pending: number;
  requests: number;
  /** Brevo rejected the API key: the connector is paused. */
  paused: boolean;
  durationMs: number;
}

export interface ContactSample {
  ext_id: string;
  change: 'new' | 'changed';
  diff: Record<string, { from: unknown; to: unknown }>;
}

export interface SyncReport {
  connector: ConnectorId;
  type: SyncType;
  dryRun: boolean;
  status: 'ok' | 'paused' | 'failed' | 'aborted';
  statusReason?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The Twilio time the run synced up to. */
  syncedThrough: string;
  streams: StreamReport[];
  /** Brevo writes enqueued (dry run: planned), per kind. */
  outbox: Record<OutboxKindName, number>;
  /** Records dead-lettered by this run, per reason. */
  deadLetters: Record<string, number>;
  delivery?: DeliveryReport;
  warnings: string[];
  /** Dry run only: a sample of contact changes against the stored state. */
  sampleContacts?: ContactSample[];
}

export interface StreamCursor {
  stream: string;
  partition: string;
  cursor: unknown;
  updatedAt: string;
}

export interface ConnectorStatus {
  /** Installed, active and not paused by an auth failure. */
  connected: boolean;
  lastSync: string | null;
  /** Interactions stored (every task: voice calls, SMS, WhatsApp and web chat alike): the product's "conversations". */
  conversationsTracked: number;
  customersLinked: number;
  agentsMonitored: number;
  connector: ConnectorId;
  state: 'active' | 'paused' | 'not_installed';
  stateReason?: string;
  accountSid?: string;
  workspaceSid?: string;
  streams: StreamCursor[];
  outbox: { pending: number; inflight: number; delivered: number; dead: number; oldestPendingAt: string | null };
  deadLetters: { open: number; byReason: Record<string, number> };
  lastError: { code: string; message: string; at: string } | null;
  /** Scale-out (Postgres store): the registered replicas and the sync leases each holds. */
  replicas?: ReplicaStatus[];
}

/** One `tajo serve` process sharing the store (its heartbeat row). */
export interface ReplicaStatus {
  id: string;
  host: string;
  pid: number;
  role: string;
  alive: boolean;
  startedAt: string;
  heartbeatAt: string;
  /** Unexpired sync leases it holds (`sync:<connector>:<partition kind>:<sid>`). */
  leases: string[];
}

/** The product doc's real-time shape (`tajo.connectors.handleEvent`). */
export interface HandleEventInput {
  /** `task.completed` (the Flex plugin's call) or `survey.completed` (CSAT scores); the rest comes from TaskRouter. */
  type: 'task.completed' | 'survey.completed';
  /** Optional idempotency key (else derived from the task SID and type). */
  id?: string;
  payload: {
    taskSid: string;
    customerEmail?: string;
    customerPhone?: string;
    channel?: string;
    /** Seconds (the plugin's task age). */
    duration?: number;
    queueName?: string;
    workerName?: string;
    /** ISO 8601 or epoch ms (default: now). */
    completedAt?: string | number;
    /** Extra task attributes (docs/SEMANTICS.md §2). */
    attributes?: Record<string, unknown>;
    /** survey.completed: the score, its scale (default 5), more questions, the survey task SID. */
    score?: number;
    scale?: number;
    questions?: { label: string; score: number }[];
    surveyTaskSid?: string;
    [key: string]: unknown;
  };
}

export interface HandleEventResult {
  accepted: boolean;
  duplicate: boolean;
  key: string;
  /** Brevo writes enqueued by processing (embedded mode processes at once). */
  enqueued?: number;
}

export interface DeadLetterSummary {
  id: number;
  source: string;
  reason: string;
  recordKey: string;
  status: 'open' | 'replayed' | 'discarded';
  error?: string;
  createdAt: string;
  updatedAt: string;
}

export interface DeadLetterDetail extends DeadLetterSummary {
  payload: unknown;
}

export interface DlqListParams {
  status?: 'open' | 'replayed' | 'discarded';
  limit?: number;
  afterId?: number;
}

export interface DlqActionResult {
  id: number;
  /**
   * `failed`: the replay ran and the record failed again (this dead letter is closed as replayed; `deadLetters` names
   * the open one(s) it is in now).
   */
  status: 'replayed' | 'discarded' | 'failed';
  /** Replay: writes put back in the outbox or records re-queued (a webhook: 1, back in the inbox). */
  requeued?: number;
  /** Replay: the open dead letters the replayed record is in now (when it failed again). */
  deadLetters?: { id: number; reason: string; error?: string }[];
  /** Replay of a webhook (`optout_unlinked`): the inbox key it was stored under again. */
  inboxKey?: string;
}

export interface BootstrapParams {
  createLists?: boolean;
}

export interface BootstrapReport {
  attributes: { name: string; type: string; action: 'created' | 'exists' | 'type_mismatch'; existingType?: string }[];
  lists: { key: 'support_contacts' | 'csat_respondents'; id: number | null; name?: string; action: 'exists' | 'created' | 'missing' | 'not_configured' }[];
}

export interface ForgetResult {
  /** The customer key (ext_id) the typed identity gives. */
  key: string;
  /** The keys of every customer forgotten: each one holding the typed phone, email, WhatsApp number or chat identity. */
  customers: string[];
  interactions: number;
  surveys: number;
  outbox: number;
  /** Dead letters about them removed (any status): Brevo writes, tasks that failed mapping, webhooks of their tasks. */
  deadLetters: number;
  /** Webhook payloads (inbox rows) holding only their records, removed. */
  inbox: number;
  /**
   * Inbox rows naming them that stay: a batch row that also holds other people's events, or one being processed. The
   * processor drops their events; `tajo prune` deletes the rows once processed and older than its cut-off.
   */
  inboxKept: number;
  /** `deleteInBrevo`: whether a Brevo contact was deleted, and how many. */
  brevoDeleted?: boolean;
  brevoContactsDeleted?: number;
}

export interface WebhooksParams {
  /** Public URL of `tajo serve` (Event Streams sink → `<url>/webhooks/twilio/event-streams`). */
  publicUrl: string;
  /** Event types to subscribe (default: the TaskRouter task/reservation events and conversations events Tajo reads). */
  eventTypes?: string[];
  /** How long to wait for the sink to become active after Twilio's test event (default 10). */
  activationWaitSeconds?: number;
}

export interface WebhooksReport {
  sinkSid: string;
  /** `active` once Twilio's test-event handshake passed; subscriptions need an active sink. */
  sinkStatus: string;
  sinkCreated: boolean;
  subscriptionSid?: string;
  subscriptionCreated: boolean;
  /** Where Twilio posts (credentials of a Basic-auth sink URL are not shown). */
  sinkUrl: string;
  /** The types the subscription holds (an existing one is brought in line with them). */
  eventTypes: string[];
  /** An existing subscription: the types added to it and removed from it to match `eventTypes`. */
  eventTypesAdded?: string[];
  eventTypesRemoved?: string[];
}

export interface ApiKeyCreated {
  id: string;
  name: string;
  /** Shown once; stored hashed. */
  key: string;
  createdAt: string;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  createdAt: string;
  revokedAt?: string;
}

import type { Database } from 'better-sqlite3';
import type { EmulatorClock } from '../common/clock.js';
import type { FaultInjector } from '../common/faults.js';

/** Credentials the emulator accepts (HTTP Basic: AccountSid:AuthToken or ApiKeySid:ApiKeySecret). */
export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  apiKeySid: string;
  apiKeySecret: string;
}

/** Request budgets, per second of emulated time (token buckets with one second of burst). */
export interface TwilioLimits {
  flexRps: number;
  conversationsRps: number;
  /** TaskRouter reads (GET), per workspace. */
  taskrouterReadRps: number;
  /** TaskRouter `GET …/Events`: drawn in addition to the workspace read budget. */
  taskrouterEventsRps: number;
  /** Event Streams API (Sinks, Subscriptions, Types). */
  eventStreamsRps: number;
}

export const DEFAULT_LIMITS: TwilioLimits = {
  flexRps: 100,
  conversationsRps: 100,
  taskrouterReadRps: 30,
  taskrouterEventsRps: 20,
  eventStreamsRps: 100,
};

export interface TwilioEmulatorOptions {
  world: Database;
  clock: EmulatorClock;
  faults: FaultInjector;
  credentials: TwilioCredentials;
  limits?: Partial<TwilioLimits>;
  /** Completed/canceled tasks disappear from the Tasks API this long (emulated ms) after they ended. Default 10 minutes. */
  taskRetentionMs?: number;
  /** TaskRouter Events retention (emulated ms). Default 30 days. */
  eventRetentionMs?: number;
  /** Deliver world events to active webhook sinks with subscriptions in the background (default true). */
  streamSinks?: boolean;
  /** Register `POST /_emulator/clock/advance` (set false when the host app already has it). Default true. */
  clockAdmin?: boolean;
}

export type TwilioProduct = 'flex' | 'conversations' | 'taskrouter' | 'events';

export const PRODUCT_PREFIX: Record<TwilioProduct, string> = {
  flex: '/flex-api',
  conversations: '/conversations',
  taskrouter: '/taskrouter',
  events: '/events',
};

export interface EndpointStats {
  requests: number;
  /** 429 answers (budget or fault). */
  rateLimited: number;
  /** Answers by HTTP status ("timeout" for held requests). */
  statuses: Record<string, number>;
}

export type PushKind = 'event-streams' | 'taskrouter' | 'conversations';

export interface PushRequest {
  kind: PushKind;
  url: string;
  since?: string;
  until?: string;
  duplicateRate?: number;
  shuffle?: boolean;
  seed?: number;
  batchSize?: number;
  concurrency?: number;
  basicAuth?: { user: string; pass: string };
  /** Retries per delivery after the first attempt (default 5). */
  maxRetries?: number;
  /** Real milliseconds before a delivery attempt counts as timed out (default 5000). */
  timeoutMs?: number;
}

export interface PushSummary {
  /** World events in the window. */
  events: number;
  /** Deliveries (HTTP requests carrying distinct content) that ended with a 2xx. */
  sent: number;
  /** Extra deliveries sent on purpose (duplicateRate). */
  duplicates: number;
  /** Deliveries that still failed after all retries. */
  failures: number;
  /** Re-attempts after a non-2xx answer or a timeout. */
  retries: number;
}

export interface TwilioEmulator {
  readonly credentials: TwilioCredentials;
  /** SIDs of the emulated account (workspace, chat service, …). */
  readonly world: WorldInfo;
  requestLog(): Record<string, EndpointStats>;
  resetRequestLog(): void;
  push(req: PushRequest): Promise<PushSummary>;
  /** Events were added to the world at or after `fromMs` (e.g. generateMore): sink streaming re-scans from there. */
  rewindStreams(fromMs: number): void;
  /** Run one sink-streaming round now. */
  streamTick(): Promise<void>;
}

export interface WorldInfo {
  accountSid: string;
  workspaceSid: string;
  workspaceName: string;
  chatServiceSid: string;
  flexInstanceSid: string;
  messagingServiceSid: string;
  workflowSid: string | null;
  flexFlowSid: string;
}

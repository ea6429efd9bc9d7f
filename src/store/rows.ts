/**
 * Column rows (snake_case, as stored) → the shared row types, for every backend. JSON columns arrive as text
 * (SQLite TEXT; Postgres jsonb with its text type parser), booleans as 0/1 or true/false, integers as numbers.
 */
import type { Channel } from '../config/defaults.js';
import type {
  CustomerIdentityQuery,
  ApiKeyRecord, Checkpoint, ConnectorRecord, CustomerRow, DeadLetter, InboxItem, InteractionRow, OutboxItem, RawEvent, SurveyRow,
} from './types.js';

export const json = (v: unknown): string => JSON.stringify(v === undefined ? null : v);
export const parse = (s: string | null): unknown => (s == null ? null : JSON.parse(s));
export const iso = (ms: number): string => new Date(ms).toISOString();
/** An inbox item's stored payload text: as received when the route kept it, else serialised. */
export const inboxPayload = (i: { payload: unknown; payloadJson?: string }): string => i.payloadJson ?? json(i.payload);

type Nullable<T> = T | null;

export interface ConnectorCols {
  id: string; settings: string; status: ConnectorRecord['status']; status_reason: Nullable<string>;
  installed_at: string; updated_at: string; last_sync_at: Nullable<string>; last_error: Nullable<string>;
}
export function toConnector(r: ConnectorCols): ConnectorRecord {
  return {
    id: r.id,
    settings: parse(r.settings) as ConnectorRecord['settings'],
    status: r.status,
    ...(r.status_reason != null ? { statusReason: r.status_reason } : {}),
    installedAt: r.installed_at,
    updatedAt: r.updated_at,
    ...(r.last_sync_at != null ? { lastSyncAt: r.last_sync_at } : {}),
    ...(r.last_error != null ? { lastError: parse(r.last_error) as NonNullable<ConnectorRecord['lastError']> } : {}),
  };
}

export interface CheckpointCols { stream: string; partition: string; value: string; version: number; updated_at: string }
export const toCheckpoint = (r: CheckpointCols): Checkpoint => ({
  stream: r.stream, partition: r.partition, value: parse(r.value), version: r.version, updatedAt: r.updated_at,
});

export interface RawEventCols {
  key: string; type: string; occurred_ms: number; task_sid: Nullable<string>; worker_sid: Nullable<string>;
  conversation_sid: Nullable<string>; via: RawEvent['via']; data: string;
}
export const toRawEvent = (r: RawEventCols): RawEvent => ({
  key: r.key,
  type: r.type,
  occurredMs: r.occurred_ms,
  ...(r.task_sid != null ? { taskSid: r.task_sid } : {}),
  ...(r.worker_sid != null ? { workerSid: r.worker_sid } : {}),
  ...(r.conversation_sid != null ? { conversationSid: r.conversation_sid } : {}),
  via: r.via,
  data: parse(r.data),
});

export interface InteractionCols {
  task_sid: string; customer_key: Nullable<string>; channel: Nullable<string>; queue_sid: Nullable<string>;
  queue_name: Nullable<string>; worker_sid: Nullable<string>; worker_name: Nullable<string>; created_ms: Nullable<number>;
  answered_ms: Nullable<number>; wrapup_ms: Nullable<number>; ended_ms: Nullable<number>; outcome: InteractionRow['outcome'];
  conversation_sid: Nullable<string>; conversation_closed_ms: Nullable<number>; wait_seconds: Nullable<number>;
  handle_seconds: Nullable<number>; attributes: Nullable<string>; updated_at: string;
  /** Migration 0007. */
  cancel_reason?: Nullable<string>;
}
export const toInteraction = (r: InteractionCols): InteractionRow => ({
  taskSid: r.task_sid,
  customerKey: r.customer_key,
  channel: r.channel as Channel | null,
  queueSid: r.queue_sid,
  queueName: r.queue_name,
  workerSid: r.worker_sid,
  workerName: r.worker_name,
  createdMs: r.created_ms,
  answeredMs: r.answered_ms,
  wrapupMs: r.wrapup_ms,
  endedMs: r.ended_ms,
  outcome: r.outcome,
  conversationSid: r.conversation_sid,
  conversationClosedMs: r.conversation_closed_ms,
  waitSeconds: r.wait_seconds,
  handleSeconds: r.handle_seconds,
  cancelReason: r.cancel_reason ?? null,
  attributes: parse(r.attributes),
  updatedAt: r.updated_at,
});

export interface SurveyCols {
  survey_task_sid: string; linked_task_sid: Nullable<string>; customer_key: Nullable<string>; score: number; scale: number;
  questions: string; completed_ms: number;
}
export const toSurvey = (r: SurveyCols): SurveyRow => ({
  surveyTaskSid: r.survey_task_sid,
  linkedTaskSid: r.linked_task_sid,
  customerKey: r.customer_key,
  score: r.score,
  scale: r.scale,
  questions: parse(r.questions) as SurveyRow['questions'],
  completedMs: r.completed_ms,
});

export interface CustomerCols {
  key: string; email: Nullable<string>; phone: Nullable<string>; whatsapp: Nullable<string>; chat_identity: Nullable<string>;
  sms_blacklisted: number | boolean; whatsapp_blacklisted: number | boolean; pushed_hash: Nullable<string>; updated_at: string;
  version: number;
}
export const toCustomer = (r: CustomerCols): CustomerRow => ({
  key: r.key,
  email: r.email,
  phone: r.phone,
  whatsapp: r.whatsapp,
  chatIdentity: r.chat_identity,
  smsBlacklisted: r.sms_blacklisted === 1 || r.sms_blacklisted === true,
  whatsappBlacklisted: r.whatsapp_blacklisted === 1 || r.whatsapp_blacklisted === true,
  pushedHash: r.pushed_hash,
  updatedAt: r.updated_at,
  version: r.version,
});

export interface OutboxCols {
  id: number; kind: OutboxItem['kind']; key: string; customer_key: Nullable<string>; payload: string;
  content_hash: Nullable<string>; priority: 0 | 1; status: OutboxItem['status']; attempts: number; next_attempt_ms: number;
  created_at: string; last_error: Nullable<string>;
}
export const toOutbox = (r: OutboxCols): OutboxItem => ({
  id: r.id,
  kind: r.kind,
  key: r.key,
  ...(r.customer_key != null ? { customerKey: r.customer_key } : {}),
  payload: parse(r.payload),
  priority: r.priority,
  ...(r.content_hash != null ? { contentHash: r.content_hash } : {}),
  status: r.status,
  attempts: r.attempts,
  nextAttemptMs: r.next_attempt_ms,
  createdAt: r.created_at,
  ...(r.last_error != null ? { lastError: r.last_error } : {}),
});

export interface DeadLetterCols {
  id: number; source: DeadLetter['source']; reason: DeadLetter['reason']; record_key: string; payload: string;
  error: Nullable<string>; status: DeadLetter['status']; created_at: string; updated_at: string;
}
export const toDeadLetter = (r: DeadLetterCols): DeadLetter => ({
  id: r.id,
  source: r.source,
  reason: r.reason,
  recordKey: r.record_key,
  payload: parse(r.payload),
  ...(r.error != null ? { error: r.error } : {}),
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface InboxCols { id: number; key: string; source: InboxItem['source']; payload: string; received_at: string; item_keys: Nullable<string> }
/**
 * A claimed inbox row's items: one, or each item of a batch row (migration 0005: `payload` a JSON array, `item_keys`
 * its keys in the same order), all under the row's id (they complete together).
 */
export function toInboxItems(r: InboxCols): InboxItem[] {
  const corrupt = (why: string): InboxItem[] => [
    { id: r.id, key: r.key, source: r.source, payload: { payload: r.payload, itemKeys: r.item_keys ?? null }, receivedAt: r.received_at, corrupt: `inbox row ${r.id}: ${why}` },
  ];
  let payload: unknown;
  let keys: unknown;
  try {
    payload = parse(r.payload);
    keys = r.item_keys == null ? undefined : parse(r.item_keys);
  } catch {
    return corrupt('payload or item_keys is not JSON');
  }
  if (r.item_keys == null) return [{ id: r.id, key: r.key, source: r.source, payload, receivedAt: r.received_at }];
  if (!Array.isArray(keys) || !Array.isArray(payload) || keys.length !== payload.length) return corrupt('item_keys does not match its payload');
  return payload.map((p: unknown, i) => ({ id: r.id, key: String(keys[i]), source: r.source, payload: p, receivedAt: r.received_at }));
}

export interface ApiKeyCols { id: string; name: string; created_at: string; revoked_at: Nullable<string> }
export const toApiKey = (r: ApiKeyCols): ApiKeyRecord => ({
  id: r.id, name: r.name, createdAt: r.created_at, ...(r.revoked_at != null ? { revokedAt: r.revoked_at } : {}),
});

/** Candidate customer keys of an identity (docs/SEMANTICS.md §2: E.164 phone, email, `chat:<identity>`). */
export function identityKeys(q: CustomerIdentityQuery): string[] {
  return [q.phone, q.email, q.chatIdentity !== undefined ? `chat:${q.chatIdentity}` : undefined].filter((k): k is string => k !== undefined && k !== '');
}

/** `(email, key)` rows → keys by email, in row order. */
export function byEmail(rows: readonly { email: string; key: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.email, [...(out.get(r.email) ?? []), r.key]);
  return out;
}

/**
 * The one validation of the SDK's arguments, shared by every path into it: `TajoClient` checks them before calling
 * its backend (embedded or remote), and the embedded backend checks them again for callers that reach it without a
 * client (`tajo serve`'s management API, `TajoClient.withBackend`). So the same bad input gives the same code, message
 * and details embedded and remote.
 *
 * - call arguments (sync, dlq, rotate, …): `TAJO_USAGE`, one detail per problem;
 * - the event of `handleEvent` (a record): `TAJO_RECORD_INVALID`; over the server's body limit (the JSON of the event,
 *   as the remote client sends it): `TAJO_WEBHOOK_BODY_TOO_LARGE`, as the server answers such a body.
 *
 * Details name the field and what it must be, never the value given (it may be a credential), nor the name of an
 * unknown field (a misplaced secret would be echoed): the allowed fields are listed instead.
 */
import { z } from 'zod';
import { isEmailAddress } from '../core/email.js';
import { instantMs, isoMs } from '../core/instant.js';
import { CHANNELS, SYNC_RESOURCES } from '../config/defaults.js';
import { TajoError, type ErrorCode, type ErrorDetail } from '../core/errors.js';
import { MAX_TASK_AGE_SECONDS } from '../engine/ingest/pluginEvents.js';
import { DEFAULT_BODY_LIMIT } from '../server/wire.js';
import type { BootstrapParams, ConnectParams, DlqListParams, HandleEventInput, RotateParams, SyncParams, WebhooksParams } from './types.js';

/** Largest event `handleEvent` takes: the management API's body limit, measured on the event's JSON. */
export const MAX_EVENT_BYTES = DEFAULT_BODY_LIMIT;
/** Longest idempotency key (`HandleEventInput.id`). */
export const MAX_EVENT_ID_LENGTH = 200;

const str = (max: number) => z.string().max(max);
/** A base URL: never with `user:password@` (a key there would be echoed by every network error). */
const url = z
  .string()
  .max(2048)
  .url()
  .refine((u) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(u), { message: 'must not carry credentials (user:password@): pass keys as their own fields' });
/** An ISO 8601 date or date-time, UTC unless it has a zone (src/core/instant.ts `isoMs`, the one rule for user dates). */
const isoDate = z.string().max(64).refine((s) => isoMs(s.trim()) !== undefined, { message: 'must be an ISO 8601 date (UTC unless it has a zone)' });

const ConnectSchema = z
  .object({
    accountSid: str(64),
    authToken: str(256).optional(),
    apiKeySid: str(64).optional(),
    apiKeySecret: str(256).optional(),
    flexFlowSid: str(64),
    workspaceSid: str(64).optional(),
    baseUrls: z.object({ flex: url.optional(), conversations: url.optional(), taskrouter: url.optional(), events: url.optional() }).strict().optional(),
    brevoApiKey: str(256).optional(),
    brevoBaseUrl: url.optional(),
  })
  .strict();

const SyncSchema = z
  .object({
    type: z.enum(['full', 'incremental']).optional(),
    resources: z.array(z.enum(SYNC_RESOURCES)).max(SYNC_RESOURCES.length * 2).optional(),
    since: isoDate.optional(),
    channels: z.array(z.enum(CHANNELS)).max(CHANNELS.length * 2).optional(),
    dryRun: z.boolean().optional(),
    deliver: z.boolean().optional(),
  })
  .strict();

const RotateSchema = z.object({ authToken: str(256).optional(), apiKeySid: str(64).optional(), apiKeySecret: str(256).optional(), brevoApiKey: str(256).optional() }).strict();
const BootstrapSchema = z.object({ createLists: z.boolean().optional() }).strict();
const WebhooksSchema = z
  .object({
    publicUrl: url,
    eventTypes: z.array(str(200)).max(100).optional(),
    activationWaitSeconds: z.number().finite().min(0).max(600).optional(),
  })
  .strict();
const ForgetSchema = z.object({ key: z.string().min(1).max(320), deleteInBrevo: z.boolean().optional() }).strict();
const DlqListSchema = z
  .object({
    status: z.enum(['open', 'replayed', 'discarded']).optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    afterId: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();
const DlqIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const num = z.number().finite();
/** A completion time a Date can hold, from 1970 on: epoch milliseconds (a number or digits) or a date string. */
// ISO 8601 (UTC when it has no zone) or epoch ms: the one rule of core/instant.ts, which the inbox processor reads it by.
const isInstant = (v: string | number): boolean => {
  const ms = instantMs(v);
  return ms !== undefined && ms >= 0;
};
const EventPayloadSchema = z
  .object({
    taskSid: z.string().max(64),
    // a typed field the caller set: an address Brevo would refuse is refused here, not dropped later ('' is no email)
    customerEmail: str(320).refine((s) => s === '' || isEmailAddress(s), { message: 'must be an email address (name@domain.tld)' }).optional(),
    customerPhone: str(64).optional(),
    channel: str(64).optional(),
    // seconds the task lived (the plugin route's Age): at most what a task can (MAX_TASK_AGE_SECONDS, 366 days)
    duration: num.min(0).max(MAX_TASK_AGE_SECONDS, { message: `must be the task's duration in seconds, at most ${MAX_TASK_AGE_SECONDS} (366 days)` }).optional(),
    queueName: str(256).optional(),
    workerName: str(256).optional(),
    completedAt: z.union([str(64), num]).refine(isInstant, { message: 'must be an ISO 8601 time or epoch milliseconds, from 1970 on' }).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
    score: num.optional(),
    scale: num.positive().optional(),
    questions: z.array(z.object({ label: str(256), score: num }).strict()).max(50).optional(),
    surveyTaskSid: z.string().max(64).optional(),
  })
  .loose();
const EventSchema = z
  .object({
    type: z.string().max(100),
    id: z.string().min(1).max(MAX_EVENT_ID_LENGTH).optional(),
    payload: EventPayloadSchema,
  })
  .strict();

/** Zod issues as details: the field's path and what it must be (no value, no unknown field name). */
function detailsOf(error: z.ZodError, known: Record<string, readonly string[]>): ErrorDetail[] {
  return error.issues.slice(0, 20).map((i) => {
    const path = i.path.map(String).join('.') || '(root)';
    if (i.code === 'unrecognized_keys') {
      const allowed = known[i.path.map(String).join('.')];
      return { path, message: `unknown field${i.keys.length > 1 ? 's' : ''}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}` };
    }
    return { path, message: i.message };
  });
}

/** The object keys a schema allows, by path (for the "unknown field" detail). */
function keysOf(schema: z.ZodType, prefix = '', out: Record<string, readonly string[]> = {}): Record<string, readonly string[]> {
  const s = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  if (s instanceof z.ZodObject) {
    out[prefix] = Object.keys(s.shape);
    for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) keysOf(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

function check<T>(schema: z.ZodType, input: unknown, code: ErrorCode, message: string, hint?: string): T {
  const r = schema.safeParse(input);
  if (r.success) return input as T;
  throw new TajoError(code, message, { details: detailsOf(r.error, keysOf(schema)), ...(hint ? { hint } : {}) });
}

/** A sync's call options given among its parameters (the third argument holds them). */
const SYNC_CALL_OPTIONS_HINT = "onProgress and signal are call options, sync's third argument: sync('twilio-flex', { type: 'incremental' }, { onProgress, signal })";

const usage = <T>(schema: z.ZodType, input: unknown, what: string): T => check<T>(schema, input ?? {}, 'TAJO_USAGE', `Invalid ${what} arguments`);

export const validate = {
  connect: (p: unknown): ConnectParams => usage(ConnectSchema, p, 'connect'),
  sync: (p: unknown): SyncParams =>
    check<SyncParams>(SyncSchema, p ?? {}, 'TAJO_USAGE', 'Invalid sync arguments', p && typeof p === 'object' && ('onProgress' in p || 'signal' in p) ? SYNC_CALL_OPTIONS_HINT : undefined),
  rotate: (p: unknown): RotateParams => usage(RotateSchema, p, 'rotate'),
  bootstrap: (p: unknown): BootstrapParams => usage(BootstrapSchema, p, 'bootstrap'),
  webhooks: (p: unknown): WebhooksParams => usage(WebhooksSchema, p, 'webhooks'),
  forget: (key: unknown, opts: unknown): { key: string; deleteInBrevo?: boolean } => usage(ForgetSchema, { key, ...(opts && typeof opts === 'object' ? opts : {}) }, 'forget'),
  dlqList: (p: unknown): DlqListParams => usage(DlqListSchema, p, 'dlq list'),
  dlqId: (id: unknown): number => {
    if (!DlqIdSchema.safeParse(id).success) throw new TajoError('TAJO_USAGE', 'Dead letter id must be a positive integer', { details: [{ path: 'id', message: 'must be a positive integer' }] });
    return id as number;
  },
  /** The event of `handleEvent`: its shape, field types and size (its content is checked by the route's validator). */
  event: (input: unknown): HandleEventInput => {
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(input ?? null));
    } catch {
      throw new TajoError('TAJO_RECORD_INVALID', 'Invalid event: it cannot be serialised as JSON');
    }
    if (bytes > MAX_EVENT_BYTES) {
      throw new TajoError('TAJO_WEBHOOK_BODY_TOO_LARGE', `Event is too large: ${bytes} bytes of JSON, at most ${MAX_EVENT_BYTES}`, { hint: 'keep attributes small: they are task attributes, not documents' });
    }
    return check<HandleEventInput>(EventSchema, input, 'TAJO_RECORD_INVALID', 'Invalid event', "expected {type: 'task.completed' | 'survey.completed', id?: string, payload: {taskSid: 'WT…', …}}");
  },
};

/**
 * A query string's dlq list parameters as the SDK takes them: integers written in decimal become numbers, anything
 * else stays as given so that the shared validation refuses it with the same details as embedded.
 */
export function dlqListFromQuery(q: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...q };
  for (const k of ['limit', 'afterId']) {
    const v = out[k];
    if (typeof v === 'string' && /^-?\d{1,16}$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** A path's dead-letter id as the SDK takes it (a number, or NaN that the shared validation refuses). */
export function dlqIdFromPath(raw: string): number {
  return /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
}

import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { InboxInput, JsonBatchSpec } from '../store/types.js';
import type { Store } from '../store/store.js';
import type { IngestBatcher } from './ingestBatcher.js';
import { authenticatePlugin, type PluginAuthOptions, type PluginAuthResult } from './auth/pluginAuth.js';
import { checkBasicAuth, checkFormSignature, checkJsonSignature, parseForm, signedUrlOf, withUserInfo, type SignatureCheck } from './auth/twilioSignature.js';
import { replyError } from './httpErrors.js';
import type { RouteName, ServerMetrics } from './metrics.js';
import type { SourceRateLimiter } from './rateLimit.js';
import { parseJson, type Parsed } from './routes/common.validate.js';

export type BodyKind = 'json' | 'form';

/**
 * How a route authenticates its caller:
 * - `twilio`: X-Twilio-Signature (form: URL + sorted params; JSON: `bodySHA256` variant);
 * - `twilio-or-basic`: the same, or the Basic credentials configured for the Event Streams sink;
 * - `plugin`: the agent's Flex token or the HMAC shared secret (config `server.plugin_auth`);
 * - `plugin-or-twilio`: a valid X-Twilio-Signature when one is sent, else the plugin auth.
 */
export type AuthMode = 'twilio' | 'twilio-or-basic' | 'plugin' | 'plugin-or-twilio';

export interface WebhookRouteDef<T> {
  name: RouteName;
  path: string;
  accepts: readonly BodyKind[];
  auth: AuthMode;
  /** Validates the decoded body: the JSON value, or the form params. */
  validate(body: unknown, kind: BodyKind): Parsed<T>;
  /** The inbox items one valid delivery carries (`raw`: the body as received, which `value` was decoded from). */
  toInbox(value: T, receivedMs: number, raw: Buffer): InboxInput[];
  /**
   * 204 (Twilio callbacks: nothing to say) or 200 with `{accepted, duplicates}`. A 204 route's items go through
   * `Store.journalInbox` where the store has it (repeats of other deliveries are counted at the claim), a 200 route's
   * through `ingest`, whose counts the reply reports.
   */
  ackStatus: 200 | 204;
  /**
   * A JSON body `spec` accepts as is may be decoded, checked and stored by the store itself (`Store.ingestJsonBatch`,
   * off the main thread), after authentication and before any decoding here; what it hands back takes the path below.
   */
  jsonBatch?: { source: InboxInput['source']; spec: JsonBatchSpec };
  /** Runs after validation, before the inbox commit (e.g. recording an Event Streams test event); a throw → 503. */
  beforeCommit?(value: T, ctx: WebhookContext): Promise<void>;
}

export interface WebhookContext {
  store: Store;
  /** Group commit of inbox writes (one durable commit for concurrent deliveries). */
  inbox: IngestBatcher;
  metrics: ServerMetrics;
  logger: Logger;
  twilioAuthToken: string;
  publicUrl?: string | undefined;
  sinkBasicAuth?: { user: string; pass: string } | undefined;
  pluginAuth: PluginAuthOptions;
  limiter?: SourceRateLimiter | undefined;
  /** Called after new items were committed to the inbox (wakes the inbox processor). */
  onIngested?: (() => void) | undefined;
  /** Connector whose state the routes write (Event Streams handshake). Default `twilio-flex`. */
  connectorId?: string | undefined;
  /** Browser origins allowed on the Flex plugin routes (CORS). */
  corsOrigins?: readonly string[] | undefined;
}

export function bodyKind(contentType: string | undefined): BodyKind | undefined {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media)) return 'json';
  if (media === 'application/x-www-form-urlencoded') return 'form';
  return undefined;
}

const SIGNATURE_CODES: Record<Exclude<SignatureCheck, 'ok'>, ErrorCode> = {
  missing: 'TAJO_WEBHOOK_SIGNATURE_MISSING',
  invalid: 'TAJO_WEBHOOK_SIGNATURE_INVALID',
};

function twilioCheck(ctx: WebhookContext, req: FastifyRequest, kind: BodyKind, raw: Buffer, form: Record<string, string | string[]> | undefined, bodyHex?: string): SignatureCheck {
  const sig = req.headers['x-twilio-signature'];
  // Without an auth token nothing can be verified: an HMAC under an empty key is forgeable, so refuse everything.
  if (!ctx.twilioAuthToken) return sig === undefined || sig === '' ? 'missing' : 'invalid';
  const url = signedUrlOf(req, ctx.publicUrl);
  const check = (u: string): SignatureCheck => (kind === 'form' ? checkFormSignature(ctx.twilioAuthToken, sig, u, form ?? {}) : checkJsonSignature(ctx.twilioAuthToken, sig, u, raw, bodyHex));
  const first = check(url);
  // Event Streams signs the destination as configured, which carries `user:pass@` when Basic auth is used.
  if (first === 'invalid' && ctx.sinkBasicAuth) return check(withUserInfo(url, ctx.sinkBasicAuth));
  return first;
}

async function authenticate(
  ctx: WebhookContext,
  mode: AuthMode,
  req: FastifyRequest,
  kind: BodyKind,
  raw: Buffer,
  decoded: unknown,
  bodyHex?: string,
): Promise<ErrorCode | undefined> {
  const form = kind === 'form' ? (decoded as Record<string, string | string[]>) : undefined;
  switch (mode) {
    case 'twilio': {
      const r = twilioCheck(ctx, req, kind, raw, form, bodyHex);
      return r === 'ok' ? undefined : SIGNATURE_CODES[r];
    }
    case 'twilio-or-basic': {
      const authz = req.headers.authorization;
      if (ctx.sinkBasicAuth && checkBasicAuth(authz, ctx.sinkBasicAuth)) return undefined;
      const r = twilioCheck(ctx, req, kind, raw, form, bodyHex);
      if (r === 'ok') return undefined;
      // wrong Basic credentials and no signature: the caller tried Basic auth
      if (r === 'missing' && authz && ctx.sinkBasicAuth) return 'TAJO_WEBHOOK_UNAUTHENTICATED';
      return SIGNATURE_CODES[r];
    }
    case 'plugin-or-twilio':
      if (req.headers['x-twilio-signature'] !== undefined) {
        const r = twilioCheck(ctx, req, kind, raw, form);
        return r === 'ok' ? undefined : SIGNATURE_CODES[r];
      }
      return pluginRefusal(await authenticatePlugin(ctx.pluginAuth, req.headers, raw, decoded));
    case 'plugin':
      return pluginRefusal(await authenticatePlugin(ctx.pluginAuth, req.headers, raw, decoded));
  }
}

/** A plugin call's refusal code: unauthenticated, or (Twilio IAM unreachable) unavailable, which the plugin retries. */
function pluginRefusal(r: PluginAuthResult): ErrorCode | undefined {
  if (r.ok) return undefined;
  return r.unavailable ? 'TAJO_TWILIO_UNAVAILABLE' : 'TAJO_WEBHOOK_UNAUTHENTICATED';
}

/**
 * Registers one verified, durable webhook route: content type → auth → decode → validate → inbox commit → 2xx (or,
 * for a `jsonBatch` route on a store that can: content type → auth → the store decodes, checks and commits → 2xx).
 */
export function registerWebhookRoute<T>(app: FastifyInstance, ctx: WebhookContext, def: WebhookRouteDef<T>): void {
  const route = def.name;
  const reject = (reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply => {
    ctx.metrics.rejected.inc({ route, reason: code });
    return replyError(reply, code, message);
  };

  // Counted on arrival, before the body is read: a delivery the body parser refuses (413) is received and rejected too.
  // The per-source limit applies here too, so a source over it costs no body parsing, signature or auth check.
  const onRequest = (req: FastifyRequest, reply: FastifyReply, next: () => void): void => {
    ctx.metrics.received.inc({ route });
    const wait = ctx.limiter?.take(route, req.ip) ?? 0;
    if (wait > 0) {
      void reply.header('retry-after', String(wait));
      void reject(reply, 'TAJO_WEBHOOK_RATE_LIMITED');
      return;
    }
    next();
  };
  app.post(def.path, { onRequest }, async (req, reply) => {
    const started = process.hrtime.bigint();
    // The work below runs in the loop's check phase, after the I/O that is ready now: a journal write that finished is
    // acknowledged (and the next group's write started) before the deliveries that arrived with it are verified and
    // decoded, not after all of them. bench:webhooks: Event Streams 0.37 against 0.33, TaskRouter 0.42 against 0.39.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const kind = bodyKind(req.headers['content-type']);
    if (!kind || !def.accepts.includes(kind)) {
      return reject(reply, 'TAJO_WEBHOOK_CONTENT_TYPE', `Expected ${def.accepts.map((k) => (k === 'json' ? 'application/json' : 'application/x-www-form-urlencoded')).join(' or ')}`);
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const done = (accepted: number, duplicates: number): FastifyReply => {
      ctx.metrics.accepted.inc({ route }, accepted);
      ctx.metrics.deduped.inc({ route }, duplicates);
      ctx.metrics.ackLatency.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
      if (accepted > 0) ctx.onIngested?.();
      if (def.ackStatus === 204) return reply.code(204).type('application/json').send();
      return reply.code(200).send({ accepted, duplicates });
    };
    // The store's own path for a JSON batch: authenticate (these modes never look at the content), then hand it the bytes.
    let authenticated = false;
    if (def.jsonBatch && kind === 'json' && raw.length > 0 && ctx.store.ingestJsonBatch && (def.auth === 'twilio' || def.auth === 'twilio-or-basic')) {
      // hashed once: the signature's bodySHA256 is checked against it, and the journal record carries it as its checksum
      const digest = createHash('sha256').update(raw).digest();
      const authError = await authenticate(ctx, def.auth, req, kind, raw, undefined, digest.toString('hex'));
      if (authError) return reject(reply, authError);
      authenticated = true;
      let r: { accepted: number; duplicates: number } | undefined;
      try {
        r = await ctx.store.ingestJsonBatch(raw, def.jsonBatch.source, def.jsonBatch.spec, digest);
      } catch (err) {
        ctx.logger.warn({ route, err: err instanceof Error ? err.message : String(err) }, 'inbox commit failed; answering 503 so the sender retries');
        return reject(reply, 'TAJO_STORE_UNAVAILABLE');
      }
      if (r) return done(r.accepted, r.duplicates);
    }
    let decoded: Parsed<unknown>;
    if (kind === 'form') decoded = { ok: true, value: parseForm(raw.toString('utf8')) };
    else decoded = raw.length === 0 ? { ok: false, message: 'body is empty' } : parseJson(raw);

    // Authenticate before looking at the content: an unauthenticated caller learns nothing about parsing.
    const authError = authenticated ? undefined : await authenticate(ctx, def.auth, req, kind, raw, decoded.ok ? decoded.value : undefined);
    if (authError) return reject(reply, authError);
    if (!decoded.ok) return reject(reply, 'TAJO_WEBHOOK_MALFORMED', decoded.message);
    const valid = def.validate(decoded.value, kind);
    if (!valid.ok) return reject(reply, 'TAJO_WEBHOOK_MALFORMED', valid.message);

    if (def.beforeCommit) {
      try {
        await def.beforeCommit(valid.value, ctx);
      } catch (err) {
        ctx.logger.warn({ route, err: err instanceof Error ? err.message : String(err) }, 'store write failed; answering 503 so the sender retries');
        return reject(reply, 'TAJO_STORE_UNAVAILABLE');
      }
    }
    const all = def.toInbox(valid.value, Date.now(), raw);
    const items = dedupeWithin(all);
    let accepted = 0;
    let duplicates = all.length - items.length;
    if (items.length > 0) {
      try {
        const r = (def.ackStatus === 204 ? await ctx.store.journalInbox?.(items) : undefined) ?? (await ctx.inbox.ingest(items));
        accepted = r.accepted;
        duplicates += r.duplicates;
      } catch (err) {
        ctx.logger.warn({ route, err: err instanceof Error ? err.message : String(err) }, 'inbox commit failed; answering 503 so the sender retries');
        return reject(reply, 'TAJO_STORE_UNAVAILABLE');
      }
    }
    return done(accepted, duplicates);
  });
}

/** Drops repeated keys inside one delivery (a batch may carry the same CloudEvent twice). */
function dedupeWithin(items: InboxInput[]): InboxInput[] {
  const seen = new Set<string>();
  return items.filter((i) => (seen.has(i.key) ? false : (seen.add(i.key), true)));
}

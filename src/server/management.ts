import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TajoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/store.js';
import { errorResponse, replyError, toHttpError } from './httpErrors.js';
import { bearerKey, findActiveKey } from './keys.js';
import { SYNC_ID_HEADER, SYNC_STREAM_TYPE } from './wire.js';
import type { ServerMetrics } from './metrics.js';
import type { SourceRateLimiter } from './rateLimit.js';
import { parseJson } from './routes/common.validate.js';
import { bodyKind } from './webhookRoute.js';

/**
 * The management API (`/api/v1`) delegates to these handlers, implemented by the SDK's embedded client so that a
 * remote `TajoClient({ apiKey, baseUrl })` and an embedded one give the same results. The server checks the API key,
 * decodes the JSON body and passes it (and the query) as given: the handlers validate them with the SDK's own
 * validation, so the same bad input gets the same code embedded and remote. Handlers return JSON-able values and throw
 * `TajoError`s for expected failures (answered with the catalogue status, code, message, details and hint).
 * Optional handlers that are not given answer 404 TAJO_ROUTE_NOT_FOUND (after the key check).
 */
export interface ManagementHandlers {
  connect(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  test?(connectorId: string): Promise<unknown>;
  /**
   * `signal` aborts when the caller gives up: its connection closed before the answer (a remote client's timeout,
   * `close()`, a crash), or it asked for the abort (`POST /api/v1/syncs/:syncId/abort`, what a remote `sync`'s own
   * signal sends). The sync then stops at its next page with its cursors kept and answers its report (`aborted`).
   * `onProgress` is given when the caller asked for the progress stream (`Accept: application/x-ndjson`): each event it
   * receives is sent as one JSON line (see SYNC_STREAM_TYPE).
   */
  sync(connectorId: string, body: Record<string, unknown>, opts?: { signal?: AbortSignal; onProgress?: (event: unknown) => void }): Promise<unknown>;
  status(connectorId: string): Promise<unknown>;
  handleEvent(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  rotate?(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  uninstall?(connectorId: string): Promise<unknown>;
  bootstrap?(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  webhooks?(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  forget?(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  /** The query string's parameters as received (strings, or arrays when repeated). */
  dlqList(query: Record<string, unknown>): Promise<unknown>;
  dlqShow?(id: number): Promise<unknown>;
  /** `id` is the path's dead-letter id: a number, or NaN when it is not a decimal integer (the handler refuses it). */
  dlqReplay(id: number): Promise<unknown>;
  dlqDiscard(id: number): Promise<unknown>;
}

export interface ManagementContext {
  store: Store;
  handlers: ManagementHandlers;
  logger: Logger;
  metrics: ServerMetrics;
  limiter?: SourceRateLimiter | undefined;
}

const ObjectBody = z.record(z.string(), z.unknown());

function badRequest(message: string): TajoError {
  return new TajoError('TAJO_WEBHOOK_MALFORMED', message);
}

/** The JSON object of a request ({} when empty); throws coded errors. */
function jsonObject(req: FastifyRequest): Record<string, unknown> {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (raw.length === 0) return {};
  if (bodyKind(req.headers['content-type']) !== 'json') throw new TajoError('TAJO_WEBHOOK_CONTENT_TYPE', 'Expected application/json');
  const parsed = parseJson(raw);
  if (!parsed.ok) throw badRequest(parsed.message);
  const obj = ObjectBody.safeParse(parsed.value);
  if (!obj.success) throw badRequest('body must be a JSON object');
  return obj.data;
}

/** A path's connector id, as given (the handler refuses unknown ones with TAJO_CONNECTOR_UNKNOWN, as embedded). */
function idOf(req: FastifyRequest): string {
  return (req.params as { id?: string }).id ?? '';
}

/** A path's dead-letter id: a decimal integer, else NaN (refused by the handler with the embedded error). */
function dlqIdOf(req: FastifyRequest): number {
  const raw = (req.params as { id?: string }).id ?? '';
  return /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
}

/** A well-formed `X-Tajo-Sync-Id` (SYNC_ID_HEADER). */
const SYNC_ID = /^[A-Za-z0-9_-]{16,64}$/;
/** Aborts asked for syncs not started yet (the abort may overtake its sync on another connection); oldest dropped. */
const EARLY_ABORTS_MAX = 1000;

function syncIdOf(raw: unknown): string | undefined {
  return typeof raw === 'string' && SYNC_ID.test(raw) ? raw : undefined;
}


function wantsStream(accept: string | undefined): boolean {
  return typeof accept === 'string' && accept.split(',').some((t) => t.split(';')[0]?.trim().toLowerCase() === SYNC_STREAM_TYPE);
}

class ProgressStream {
  started = false;
  /** Events held while the caller reads slower than they come: the latest per stream (or delivery), in order. */
  private readonly held = new Map<string, unknown>();
  constructor(private readonly reply: FastifyReply) {}
  readonly progress = (event: unknown): void => {
    const res = this.reply.raw;
    if (res.destroyed || res.writableEnded) return;
    if (!this.started) {
      this.started = true;
      this.reply.hijack();
      res.writeHead(200, { 'content-type': `${SYNC_STREAM_TYPE}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.on('drain', () => this.flush());
    }
    const e = event as { kind?: unknown; progress?: { stream?: unknown; partition?: unknown } } | null;
    if (res.writableNeedDrain && e?.kind !== 'warning') {
      const key = JSON.stringify([e?.kind, e?.progress?.stream, e?.progress?.partition]);
      this.held.delete(key); // re-inserted last: the order of the latest events is kept
      this.held.set(key, event);
      return;
    }
    this.flush();
    res.write(`${JSON.stringify({ progress: event })}\n`);
  };
  private flush(): void {
    const res = this.reply.raw;
    for (const [key, event] of this.held) {
      this.held.delete(key);
      if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify({ progress: event })}\n`);
    }
  }
  end(last: unknown): void {
    const res = this.reply.raw;
    this.flush();
    if (!res.destroyed && !res.writableEnded) res.end(`${JSON.stringify(last)}\n`);
  }
}

function notServed(req: FastifyRequest): TajoError {
  return new TajoError('TAJO_ROUTE_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0] ?? ''}`.slice(0, 200));
}

export function registerManagementApi(app: FastifyInstance, ctx: ManagementContext): void {
  /** Syncs running for a remote caller that named them (`X-Tajo-Sync-Id`), to abort on its request. */
  const running = new Map<string, AbortController>();
  const earlyAborts = new Set<string>();
  app.register(
    async (api) => {
      api.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        if (ctx.limiter) {
          const wait = ctx.limiter.take('management', req.ip);
          if (wait > 0) {
            ctx.metrics.rejected.inc({ route: 'management', reason: 'TAJO_WEBHOOK_RATE_LIMITED' });
            void reply.header('retry-after', String(wait));
            return replyError(reply, 'TAJO_WEBHOOK_RATE_LIMITED');
          }
        }
        let key;
        try {
          key = await findActiveKey(ctx.store, bearerKey(req.headers.authorization));
        } catch (err) {
          ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'api key lookup failed');
          return replyError(reply, 'TAJO_STORE_UNAVAILABLE');
        }
        if (!key) {
          ctx.metrics.rejected.inc({ route: 'management', reason: 'TAJO_API_KEY_INVALID' });
          return replyError(reply, 'TAJO_API_KEY_INVALID');
        }
        req.log.debug({ keyId: key.id }, 'management call');
        return undefined;
      });
      // A management call (a sync, webhooks registration) may run for minutes without a byte on the socket: once it is
      // authenticated and its body received, the server's inactivity timeout (connectionTimeout, kept for webhook
      // senders and for clients stalling mid-request) must not cut it. Node restores the socket's timeout when it waits
      // for the next request on this connection (keep-alive).
      api.addHook('preHandler', async (req: FastifyRequest) => {
        const socket = req.raw.socket as { setTimeout?: (ms: number) => unknown } | undefined;
        if (typeof socket?.setTimeout === 'function') socket.setTimeout(0); // (light-my-request's sockets have none)
      });

      // fastify refuses an async handler resolving to undefined: answer {ok: true} for void handlers
      const orOk = async (p: Promise<unknown>): Promise<unknown> => (await p) ?? { ok: true };
      const h = ctx.handlers;
      const optional = <A extends unknown[]>(req: FastifyRequest, fn: ((...a: A) => Promise<unknown>) | undefined, ...args: A): Promise<unknown> => {
        if (!fn) throw notServed(req);
        return orOk(fn.apply(h, args));
      };
      api.post('/connectors/:id/connect', async (req) => orOk(h.connect(idOf(req), jsonObject(req))));
      api.post('/connectors/:id/test', async (req) => optional(req, h.test, idOf(req)));
      api.post('/connectors/:id/sync', async (req, reply) => {
        const body = jsonObject(req);
        const abort = new AbortController();
        // the caller went away before its answer: nobody will read the report, so the sync stops at its next page
        const onClose = () => {
          if (!reply.raw.writableFinished) abort.abort();
        };
        reply.raw.on('close', onClose);
        const syncId = syncIdOf(req.headers[SYNC_ID_HEADER]);
        if (syncId !== undefined) {
          if (earlyAborts.delete(syncId)) abort.abort();
          else running.set(syncId, abort);
        }
        const stream = wantsStream(req.headers.accept) ? new ProgressStream(reply) : undefined;
        try {
          const result = await orOk(h.sync(idOf(req), body, { signal: abort.signal, ...(stream ? { onProgress: stream.progress } : {}) }));
          if (!stream?.started) return result;
          stream.end({ result });
          return reply;
        } catch (err) {
          if (!stream?.started) throw err;
          // the answer's status was sent with the first progress line: the coded error is its last line
          const te = toHttpError(err);
          if (te.code === 'TAJO_INTERNAL') ctx.logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err), path: req.url.split('?')[0] }, 'unhandled error in a streamed sync');
          stream.end(errorResponse(err).body);
          return reply;
        } finally {
          reply.raw.off('close', onClose);
          if (syncId !== undefined && running.get(syncId) === abort) running.delete(syncId);
        }
      });
      api.post('/syncs/:syncId/abort', async (req) => {
        const syncId = syncIdOf((req.params as { syncId?: string }).syncId);
        if (syncId === undefined) throw new TajoError('TAJO_USAGE', 'A sync id is 16 to 64 letters, digits, - or _', { details: [{ path: 'syncId', message: 'must match [A-Za-z0-9_-]{16,64}' }] });
        const abort = running.get(syncId);
        if (abort) {
          abort.abort();
          return { syncId, aborted: true, running: true };
        }
        earlyAborts.add(syncId);
        if (earlyAborts.size > EARLY_ABORTS_MAX) earlyAborts.delete(earlyAborts.values().next().value as string);
        return { syncId, aborted: true, running: false };
      });
      api.get('/connectors/:id/status', async (req) => orOk(h.status(idOf(req))));
      api.post('/connectors/:id/events', async (req) => orOk(h.handleEvent(idOf(req), jsonObject(req))));
      api.post('/connectors/:id/rotate', async (req) => optional(req, h.rotate, idOf(req), jsonObject(req)));
      api.delete('/connectors/:id', async (req) => optional(req, h.uninstall, idOf(req)));
      api.post('/connectors/:id/bootstrap', async (req) => optional(req, h.bootstrap, idOf(req), jsonObject(req)));
      api.post('/connectors/:id/webhooks', async (req) => optional(req, h.webhooks, idOf(req), jsonObject(req)));
      api.post('/connectors/:id/forget', async (req) => optional(req, h.forget, idOf(req), jsonObject(req)));
      api.get('/dlq', async (req) => orOk(h.dlqList({ ...(req.query as Record<string, unknown>) })));
      api.get('/dlq/:id', async (req) => optional(req, h.dlqShow, dlqIdOf(req)));
      api.post('/dlq/:id/replay', async (req) => orOk(h.dlqReplay(dlqIdOf(req))));
      api.post('/dlq/:id/discard', async (req) => orOk(h.dlqDiscard(dlqIdOf(req))));
      // any other /api/v1 path: after the key check above (401 before 404)
      api.all('/*', async (req) => {
        throw notServed(req);
      });
    },
    { prefix: '/api/v1' },
  );
}

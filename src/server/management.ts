import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TajoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { DeadLetter } from '../store/types.js';
import type { Store } from '../store/store.js';
import { replyError } from './httpErrors.js';
import { bearerKey, findActiveKey } from './keys.js';
import type { ServerMetrics } from './metrics.js';
import type { SourceRateLimiter } from './rateLimit.js';
import { parseJson, parseWith, zodSummary } from './routes/common.validate.js';
import { bodyKind } from './webhookRoute.js';

/**
 * The management API (`/api/v1`) delegates to these handlers, implemented by the SDK's embedded client so that a
 * remote `TajoClient({ apiKey, baseUrl })` and an embedded one give the same results. Handlers return JSON-able
 * values and throw `TajoError`s for expected failures (answered with the catalogue status and code).
 */
export interface ManagementHandlers {
  connect(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  sync(connectorId: string, body: Record<string, unknown>): Promise<unknown>;
  status(connectorId: string): Promise<unknown>;
  handleEvent(connectorId: string, event: { type: string; payload: Record<string, unknown> }): Promise<unknown>;
  dlqList(query: { status?: DeadLetter['status']; limit?: number; afterId?: number }): Promise<unknown>;
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

const connectorId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'must be a connector id such as twilio-flex' });
const IdParams = z.object({ id: connectorId });
const DlqIdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const DlqQuery = z.object({
  status: z.enum(['open', 'replayed', 'discarded']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  afterId: z.coerce.number().int().min(0).optional(),
});
const EventBody = z.object({ type: z.string().min(1).max(100), payload: z.record(z.string(), z.unknown()).default({}) });
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

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = parseWith(schema, input);
  if (!r.ok) throw badRequest(r.message);
  return r.value;
}

export function registerManagementApi(app: FastifyInstance, ctx: ManagementContext): void {
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

      // fastify refuses an async handler resolving to undefined: answer {ok: true} for void handlers
      const orOk = async (p: Promise<unknown>): Promise<unknown> => (await p) ?? { ok: true };
      const h = ctx.handlers;
      api.post('/connectors/:id/connect', async (req) => orOk(h.connect(parse(IdParams, req.params).id, jsonObject(req))));
      api.post('/connectors/:id/sync', async (req) => orOk(h.sync(parse(IdParams, req.params).id, jsonObject(req))));
      api.get('/connectors/:id/status', async (req) => orOk(h.status(parse(IdParams, req.params).id)));
      api.post('/connectors/:id/events', async (req) => {
        const id = parse(IdParams, req.params).id;
        const body = EventBody.safeParse(jsonObject(req));
        if (!body.success) throw badRequest(zodSummary(body.error));
        return orOk(h.handleEvent(id, body.data));
      });
      api.get('/dlq', async (req) => {
        const q = parse(DlqQuery, req.query);
        return orOk(h.dlqList({ ...(q.status ? { status: q.status } : {}), ...(q.limit ? { limit: q.limit } : {}), ...(q.afterId !== undefined ? { afterId: q.afterId } : {}) }));
      });
      api.post('/dlq/:id/replay', async (req) => orOk(h.dlqReplay(parse(DlqIdParams, req.params).id)));
      api.post('/dlq/:id/discard', async (req) => orOk(h.dlqDiscard(parse(DlqIdParams, req.params).id)));
    },
    { prefix: '/api/v1' },
  );
}

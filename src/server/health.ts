import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.js';
import { replyError } from './httpErrors.js';
import type { ServerMetrics } from './metrics.js';

/** `GET /healthz` (the process answers), `GET /readyz` (store reachable, no pending migration), `GET /metrics`. */
export function registerHealthRoutes(app: FastifyInstance, ctx: { store: Store; metrics: ServerMetrics }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    try {
      await ctx.store.ping();
      const m = await ctx.store.migrations();
      if (m.pending.length > 0) return replyError(reply, 'TAJO_STORE_UNAVAILABLE', `State store has ${m.pending.length} pending migration(s): run tajo migrate`);
      return { status: 'ready', store: ctx.store.kind, migrations: m.applied.length };
    } catch {
      return replyError(reply, 'TAJO_STORE_UNAVAILABLE');
    }
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
}

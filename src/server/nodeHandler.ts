import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { DEFAULT_BODY_LIMIT, tajoWebhooksPlugin, type WebhookOptions } from './plugin.js';
import { SERVER_TIMEOUTS } from './app.js';
import { installErrorHandling } from './httpErrors.js';
import { silentLogger } from '../core/logger.js';

export interface NodeHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Resolves once the routes are ready (requests that arrive earlier wait for it). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * A plain node `(req, res)` handler with the verified webhook routes, for users with their own http / express
 * server: `http.createServer(createNodeHandler(opts))` or `app.use(createNodeHandler(opts))` mounted BEFORE any
 * body parser (signatures are checked over the raw body, so the stream must be unread). Paths are matched on
 * `req.url` (`/webhooks/...`).
 */
export function createNodeHandler(opts: WebhookOptions): NodeHandler {
  const app: FastifyInstance = Fastify({ ...(opts.logger ? { loggerInstance: opts.logger as FastifyBaseLogger } : {}), logController: new LogController({ disableRequestLogging: true }), bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT, requestTimeout: SERVER_TIMEOUTS.requestTimeout });
  installErrorHandling(app, opts.logger ?? silentLogger(), undefined, true);
  app.register(tajoWebhooksPlugin, opts);
  const ready: Promise<void> = new Promise((res, rej) => void app.ready().then(() => res(), rej));
  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    ready.then(
      () => app.routing(req, res),
      () => {
        res.statusCode = 503;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'TAJO_INTERNAL', message: 'Webhook routes failed to start' } }));
      },
    );
  }) as NodeHandler;
  handler.ready = ready;
  handler.close = () => app.close();
  return handler;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { DEFAULT_BODY_LIMIT, tajoWebhooksPlugin, type WebhookOptions } from './plugin.js';
import { SERVER_TIMEOUTS } from './app.js';
import { errorBody, installErrorHandling } from './httpErrors.js';
import { silentLogger } from '../core/logger.js';
import type { ErrorCode } from '../core/errors.js';
import { ERRORS } from '../core/errors.js';

/** express / connect's `next`: called when the request is not Tajo's, so the host app handles it. */
export type NextFunction = (err?: unknown) => void;

export interface NodeHandler {
  (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void;
  /** Resolves once the routes are ready (requests that arrive earlier wait for it). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Whether another body parser already read the request stream: it has ended (express 5's express.json/urlencoded,
 * body-parser 2, leave only that), or express 4's body-parser 1 marked it `_body`.
 */
function bodyConsumed(req: IncomingMessage): boolean {
  return req.readableEnded || (req as { _body?: unknown })._body === true;
}

function send(res: ServerResponse, code: ErrorCode): void {
  res.statusCode = ERRORS[code].status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(errorBody(code)));
}

/**
 * A plain node `(req, res)` handler with the verified webhook routes, for users with their own http / express
 * server: `http.createServer(createNodeHandler(opts))` or `app.use(createNodeHandler(opts))` mounted BEFORE any
 * body parser (signatures are checked over the raw body, so the stream must be unread).
 *
 * - Paths are matched on `req.url` (`/webhooks/...`; express strips its mount path: `app.use('/tajo', handler)`).
 * - A request for any other path goes to `next` when one is given (express / connect), so the host app's own routes
 *   keep working; plain node http (no `next`) answers the coded 404.
 * - Signatures are checked against the URL the client asked for (`req.originalUrl` under express), or
 *   `publicUrl` + the route path: `publicUrl` is the public URL of the mount point (`https://example.com/tajo`).
 * - A Tajo route whose body a parser already read is answered at once with 500 `TAJO_WEBHOOK_BODY_CONSUMED` (logged):
 *   its signature cannot be checked, and the sender retries once the handler is mounted before the parsers.
 */
export function createNodeHandler(opts: WebhookOptions): NodeHandler {
  const logger = opts.logger ?? silentLogger();
  const app: FastifyInstance = Fastify({ ...(opts.logger ? { loggerInstance: opts.logger as FastifyBaseLogger } : {}), logController: new LogController({ disableRequestLogging: true }), bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT, requestTimeout: SERVER_TIMEOUTS.requestTimeout });
  installErrorHandling(app, logger, undefined, true);
  app.register(tajoWebhooksPlugin, opts);
  const ready: Promise<void> = new Promise((res, rej) => void app.ready().then(() => res(), rej));
  let warned = false;
  const handler = ((req: IncomingMessage, res: ServerResponse, next?: NextFunction) => {
    ready.then(
      () => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const ours = app.findRoute({ method: (req.method ?? 'GET') as 'GET', url: path }) !== null;
        if (!ours) {
          if (typeof next === 'function') return next();
          return app.routing(req, res); // the coded 404
        }
        if (bodyConsumed(req)) {
          if (!warned) logger.error({ path }, 'a body parser read the request before the Tajo webhook handler: mount createNodeHandler before any body parser');
          warned = true;
          return send(res, 'TAJO_WEBHOOK_BODY_CONSUMED');
        }
        return app.routing(req, res);
      },
      (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook routes failed to start');
        const path = req.url ?? '/';
        if (typeof next === 'function') return path.startsWith('/webhooks/') ? next(err) : next();
        send(res, 'TAJO_INTERNAL');
      },
    );
  }) as NodeHandler;
  handler.ready = ready;
  handler.close = () => app.close();
  return handler;
}

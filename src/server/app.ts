import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TajoConfig } from '../config/schema.js';
import type { Logger } from '../core/logger.js';
import type { BudgetSnapshot } from '../engine/budget.js';
import type { Store } from '../store/store.js';
import type { InboxInput } from '../store/types.js';
import type { FlexTokenValidator } from './auth/pluginAuth.js';
import { registerDashboard } from './dashboard.js';
import { registerDashboardRoutes } from './dashboardRoutes.js';
import { registerHealthRoutes } from './health.js';
import { installErrorHandling } from './httpErrors.js';
import { registerManagementApi, type ManagementHandlers } from './management.js';
import { ServerMetrics, type RouteName } from './metrics.js';
import { DEFAULT_BODY_LIMIT, installRawBodyParsers, registerWebhooks, webhookContext } from './plugin.js';
import type { RateLimitOptions } from './rateLimit.js';

export interface ServerDeps {
  store: Store;
  config: TajoConfig;
  logger: Logger;
  twilioAuthToken: string;
  accountSid: string;
  /** An API key of the account (a connector installed without its Auth Token): validates agent Flex tokens. */
  twilioApiKey?: { apiKeySid: string; apiKeySecret: string } | undefined;
  connectorId?: string;
  sdkHandlers?: ManagementHandlers;
  dashboardDir?: string;
  /** Replaces the Twilio IAM call that validates agent Flex tokens. */
  flexTokenValidator?: FlexTokenValidator;
  /** Per (route, IP) token bucket; `false` disables it (benchmarks). */
  rateLimit?: RateLimitOptions | false;
  bodyLimit?: number;
  /** Snapshots of the vendor rate budgets, exported as gauges on /metrics. */
  budgets?: () => BudgetSnapshot[];
  metrics?: ServerMetrics;
  /** Called after new inbox items were committed (startServer wires the inbox processor here). */
  onIngested?: () => void;
  /** Overrides of SERVER_TIMEOUTS (tests shorten them). */
  timeouts?: Partial<ServerTimeouts>;
}

export interface ServerTimeouts {
  /** Socket inactivity: a webhook sender that stalls is cut off. Lifted for authenticated `/api/v1` calls. */
  connectionTimeout: number;
  /** Receiving the whole request (headers and body). */
  requestTimeout: number;
  keepAliveTimeout: number;
}

/**
 * Node http timeouts: Twilio gives up after 15 s (TaskRouter) / 5 s (Event Streams, Conversations). A management call
 * (`/api/v1`, e.g. a sync) may run for minutes with no byte on its socket: once its API key is checked, its socket's
 * inactivity timeout is lifted for that request (src/server/management.ts); the request itself was still received
 * under `requestTimeout`.
 */
export const SERVER_TIMEOUTS: Readonly<ServerTimeouts> = Object.freeze({ connectionTimeout: 30_000, requestTimeout: 15_000, keepAliveTimeout: 72_000 });

/**
 * The `tajo serve` HTTP server: verified webhook routes (acknowledged only after the inbox commit), health,
 * metrics and the management API. Nothing is listening yet; see `startServer`.
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const metrics = deps.metrics ?? new ServerMetrics({ store: deps.store, ...(deps.budgets ? { budgets: deps.budgets } : {}), defaultMetrics: true });
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    ...SERVER_TIMEOUTS,
    ...deps.timeouts,
    return503OnClosing: true,
    // the sender's address (rate limits) from X-Forwarded-For, only through the proxies the config trusts
    trustProxy: trustProxyOf(deps.config.server.trust_proxy),
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
  });
  installRawBodyParsers(app, bodyLimit);
  installErrorHandling(app, deps.logger, undefined, true);

  const s = deps.config.server;
  const ctx = webhookContext({
    store: deps.store,
    twilioAuthToken: deps.twilioAuthToken,
    accountSid: deps.accountSid,
    twilioApiKey: deps.twilioApiKey,
    logger: deps.logger,
    publicUrl: s.public_url,
    sinkBasicAuth: s.sink_basic_auth,
    pluginAuth: s.plugin_auth,
    pluginHmacSecret: s.plugin_hmac_secret,
    pluginTokenCacheSeconds: s.plugin_token_cache_seconds,
    corsOrigins: s.cors_origins,
    ...(deps.connectorId ? { connectorId: deps.connectorId } : {}),
    ...(deps.flexTokenValidator ? { flexTokenValidator: deps.flexTokenValidator } : {}),
    ...(deps.rateLimit !== undefined ? { rateLimit: deps.rateLimit } : {}),
    metrics,
    ...(deps.onIngested ? { onIngested: deps.onIngested } : {}),
  });
  app.register(async (webhooks) => registerWebhooks(webhooks, ctx, bodyLimit));
  registerHealthRoutes(app, { store: deps.store, metrics });
  if (deps.sdkHandlers) registerManagementApi(app, { store: deps.store, handlers: deps.sdkHandlers, logger: deps.logger, metrics, limiter: ctx.limiter });
  if (deps.dashboardDir) registerDashboard(app, deps.dashboardDir);
  registerDashboardRoutes(app, deps);
  return app;
}

type InboxSource = InboxInput['source'];
/** The route that stores each inbox source (the SDK's events have none). */
const ROUTE_OF_SOURCE: Record<InboxSource, RouteName | undefined> = {
  'event-streams': 'event-streams', taskrouter: 'taskrouter', conversations: 'conversations', 'flex-plugin': 'flex-task-complete', survey: 'survey', sdk: undefined,
};

/** Something that runs beside the server and stops with it (inbox processor, delivery worker). */
export interface Background {
  start(): void;
  stop(): Promise<void>;
}

/** The inbox processor as the server drives it: started with the server, woken after each inbox commit. */
export interface InboxDriver extends Background {
  wake(): void;
  /** Results of committed cycles, counted in `tajo_inbox_processed_total`. */
  subscribe?(fn: (r: { processed: number; deferred: number; ignored: number; duplicates?: Partial<Record<InboxSource, number>> }) => void): () => void;
}

export interface RunningServer {
  app: FastifyInstance;
  /** The server's metrics (e.g. for a delivery worker to observe `deliveryLatency`). */
  metrics: ServerMetrics;
  /** e.g. `http://127.0.0.1:8787` (the real port when 0 was asked). */
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the server, listens on `server.host:server.port` (or the overrides) and starts the background loops.
 * `close()` stops accepting requests, lets in-flight ones finish, then stops the loops.
 */
export async function startServer(deps: ServerDeps & { host?: string; port?: number; background?: Background[]; inboxProcessor?: InboxDriver }): Promise<RunningServer> {
  const processor = deps.inboxProcessor;
  const metrics = deps.metrics ?? new ServerMetrics({ store: deps.store, ...(deps.budgets ? { budgets: deps.budgets } : {}), defaultMetrics: true });
  const unsubscribe = processor?.subscribe?.((r) => {
    metrics.inboxProcessed.inc({ result: 'processed' }, r.processed);
    metrics.inboxProcessed.inc({ result: 'deferred' }, r.deferred);
    metrics.inboxProcessed.inc({ result: 'ignored' }, r.ignored);
    // duplicates a store found at claim (SQLite's Event Streams batch rows) count as the route's, like those found at once
    for (const [source, n] of Object.entries(r.duplicates ?? {})) {
      const route = ROUTE_OF_SOURCE[source as InboxSource];
      if (route && n) metrics.deduped.inc({ route }, n);
    }
  });
  const onIngested = processor
    ? () => {
        deps.onIngested?.();
        processor.wake();
      }
    : deps.onIngested;
  const app = buildServer({ ...deps, metrics, ...(onIngested ? { onIngested } : {}) });
  const background = [...(processor ? [processor] : []), ...(deps.background ?? [])];
  const host = deps.host ?? deps.config.server.host;
  const port = deps.port ?? deps.config.server.port;
  await app.listen({ host, port });
  const addr = app.server.address();
  const realPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  for (const b of background) b.start();
  let closed: Promise<void> | undefined;
  return {
    app,
    metrics,
    url: `http://${shownHost}:${realPort}`,
    close: () =>
      (closed ??= (async () => {
        await app.close();
        for (const b of background) await b.stop();
        unsubscribe?.();
      })()),
  };
}

/**
 * `server.trust_proxy` as fastify takes it: a copy of the frozen config's address list, and a hop count as the trust
 * function proxy-addr takes (the first N hops from the server are proxies), which is what fastify does with a number.
 */
function trustProxyOf(v: boolean | number | readonly string[] | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof v === 'number') return (_address, hop) => hop < v;
  return Array.isArray(v) ? [...(v as readonly string[])] : ((v as boolean | undefined) ?? false);
}

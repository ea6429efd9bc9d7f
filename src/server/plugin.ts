import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { TajoError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { DEFAULT_PLUGIN_TOKEN_CACHE_SECONDS } from '../config/defaults.js';
import { cachedValidator, twilioFlexTokenValidator, type FlexTokenValidator } from './auth/pluginAuth.js';
import { DEFAULT_CORS_ORIGINS, installFlexCors } from './cors.js';
import { installErrorHandling } from './httpErrors.js';
import { IngestBatcher } from './ingestBatcher.js';
import { ServerMetrics, type RouteName } from './metrics.js';
import { DEFAULT_RATE_LIMIT, SourceRateLimiter, type RateLimitOptions } from './rateLimit.js';
import { conversationsRoute } from './routes/conversations.js';
import { eventStreamsRoute } from './routes/eventStreams.js';
import { flexTaskCompleteRoute } from './routes/flexTaskComplete.js';
import { surveyRoute } from './routes/survey.js';
import { taskRouterRoute } from './routes/taskrouter.js';
import { registerWebhookRoute, type WebhookContext } from './webhookRoute.js';
import { DEFAULT_BODY_LIMIT } from './wire.js';

export { DEFAULT_BODY_LIMIT };

/** What the verified webhook routes need; also the options of `tajoWebhooksPlugin` and `createNodeHandler`. */
export interface WebhookOptions {
  store: Store;
  twilioAuthToken: string;
  accountSid: string;
  /** An API key of the account, for a connector installed without its Auth Token: validates agent Flex tokens. */
  twilioApiKey?: { apiKeySid: string; apiKeySecret: string } | undefined;
  logger?: Logger;
  /** Public base URL Twilio calls (signature validation behind a proxy): `server.public_url`. */
  publicUrl?: string | undefined;
  /** Basic credentials of the Event Streams sink URL: `server.sink_basic_auth`. */
  sinkBasicAuth?: { user: string; pass: string } | undefined;
  /** Flex plugin auth: `server.plugin_auth` (default flex_token) and `server.plugin_hmac_secret`. */
  pluginAuth?: 'flex_token' | 'hmac';
  pluginHmacSecret?: string | undefined;
  /** Seconds an accepted Flex token is reused without asking Twilio IAM: `server.plugin_token_cache_seconds` (default 60, 0: never). */
  pluginTokenCacheSeconds?: number | undefined;
  /** Replaces the Twilio IAM call that validates agent Flex tokens (tests, air-gapped setups). */
  flexTokenValidator?: FlexTokenValidator;
  /** Per (route, IP) token bucket; `false` disables it. */
  rateLimit?: RateLimitOptions | false;
  bodyLimit?: number;
  metrics?: ServerMetrics;
  /** Called after new inbox items were committed (wake the inbox processor). */
  onIngested?: () => void;
  /** Browser origins allowed on `/webhooks/flex/*` (CORS): `server.cors_origins`, default `https://flex.twilio.com`. */
  corsOrigins?: readonly string[];
  /** Connector whose state the routes write (the Event Streams test-event handshake). Default `twilio-flex`. */
  connectorId?: string;
}

const ROUTE_BY_PATH: Record<string, RouteName> = {
  [flexTaskCompleteRoute.path]: 'flex-task-complete',
  [taskRouterRoute.path]: 'taskrouter',
  [eventStreamsRoute.path]: 'event-streams',
  [conversationsRoute.path]: 'conversations',
  [surveyRoute.path]: 'survey',
};

/** Every body arrives as a raw Buffer: signatures are checked over the exact bytes, routes decode after. */
export function installRawBodyParsers(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  const raw = (_req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void): void => done(null, body);
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, raw);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, raw);
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, raw);
}

export function webhookContext(opts: WebhookOptions): WebhookContext {
  const logger = opts.logger ?? silentLogger();
  const mode = opts.pluginAuth ?? 'flex_token';
  if (mode === 'hmac' && !opts.pluginHmacSecret) {
    throw new TajoError('TAJO_CONFIG_INVALID', 'server.plugin_auth is hmac but server.plugin_hmac_secret is not set', { details: [{ path: 'server.plugin_hmac_secret', message: 'required when plugin_auth is hmac' }] });
  }
  // Embedders pass these without the config's validation: empty ones would let `Authorization: Basic Og==` in.
  if (opts.sinkBasicAuth && (!opts.sinkBasicAuth.user || !opts.sinkBasicAuth.pass)) {
    const empty = (['user', 'pass'] as const).filter((k) => !opts.sinkBasicAuth?.[k]);
    throw new TajoError('TAJO_CONFIG_INVALID', 'server.sink_basic_auth has an empty user or pass: any caller could send those', {
      details: empty.map((k) => ({ path: `server.sink_basic_auth.${k}`, message: 'must not be empty' })),
    });
  }
  return {
    store: opts.store,
    inbox: new IngestBatcher(opts.store),
    metrics: opts.metrics ?? new ServerMetrics({ store: opts.store }),
    logger,
    twilioAuthToken: opts.twilioAuthToken,
    publicUrl: opts.publicUrl,
    sinkBasicAuth: opts.sinkBasicAuth,
    pluginAuth: {
      mode,
      hmacSecret: opts.pluginHmacSecret,
      flexTokenValidator: mode === 'flex_token' ? (opts.flexTokenValidator ?? cachedValidator(twilioFlexTokenValidator(opts.accountSid, opts.twilioAuthToken || opts.twilioApiKey || ''), (opts.pluginTokenCacheSeconds ?? DEFAULT_PLUGIN_TOKEN_CACHE_SECONDS) * 1000)) : undefined,
    },
    limiter: opts.rateLimit === false ? undefined : new SourceRateLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT),
    onIngested: opts.onIngested,
    connectorId: opts.connectorId,
    corsOrigins: opts.corsOrigins ?? DEFAULT_CORS_ORIGINS,
  };
}

/** Registers the five webhook routes (+ raw body parsers and coded errors) on an encapsulated context. */
export function registerWebhooks(app: FastifyInstance, ctx: WebhookContext, bodyLimit: number): void {
  installRawBodyParsers(app, bodyLimit);
  installErrorHandling(app, ctx.logger, (code, url) => {
    const route = ROUTE_BY_PATH[url];
    if (route) ctx.metrics.rejected.inc({ route, reason: code });
  });
  if (ctx.corsOrigins && ctx.corsOrigins.length > 0) installFlexCors(app, ctx.corsOrigins);
  for (const def of [flexTaskCompleteRoute, taskRouterRoute, eventStreamsRoute, conversationsRoute, surveyRoute] as const) {
    registerWebhookRoute(app, ctx, def as Parameters<typeof registerWebhookRoute>[2]);
  }
}

/**
 * A fastify plugin with the verified webhook routes, for users who mount them in their own fastify server:
 * `app.register(tajoWebhooksPlugin, { store, twilioAuthToken, accountSid, publicUrl })`. Not wrapped with
 * fastify-plugin on purpose: its raw-body parsers and error handler stay inside its own context.
 */
export const tajoWebhooksPlugin: FastifyPluginAsync<WebhookOptions> = async (app, opts) => {
  registerWebhooks(app, webhookContext(opts), opts.bodyLimit ?? DEFAULT_BODY_LIMIT);
};

/**
 * Mounting Tajo's verified webhook routes in your own server, from an embedded `TajoClient`: the options carry
 * the client's store, the installed Twilio auth token (signature validation) and the `server.*` config; the client
 * processes and delivers what the routes store until `tajo.close()`.
 *
 * ```ts
 * const tajo = new TajoClient();
 * http.createServer(await createWebhookHandler(tajo));            // plain node / express (before body parsers)
 * app.register(tajoWebhooksPlugin, await webhookOptions(tajo));    // fastify
 * ```
 */
import { TajoError } from '../core/errors.js';
import { createNodeHandler, type NodeHandler } from '../server/nodeHandler.js';
import type { WebhookOptions } from '../server/plugin.js';
import type { TajoClient } from './client.js';
import { EmbeddedBackend } from './embedded.js';
import { loadConnection } from './services/connection.js';
import { liveLoops } from './services/events.js';

export async function webhookOptions(client: TajoClient, extra: Partial<WebhookOptions> = {}): Promise<WebhookOptions> {
  const backend = await client.backend();
  if (!(backend instanceof EmbeddedBackend)) throw new TajoError('TAJO_USAGE', 'Webhook routes are mounted from an embedded client (no baseUrl)');
  const ctx = backend.ctx;
  const conn = await loadConnection(ctx, 'twilio-flex');
  const authToken = conn.creds.authToken;
  if (!authToken) throw new TajoError('TAJO_USAGE', 'Validating Twilio signatures needs the account Auth Token', { hint: 'set connectors.twilio_flex.auth_token (API keys cannot verify webhook signatures)' });
  const s = ctx.config.server;
  const loops = await liveLoops(ctx, conn);
  return {
    store: await ctx.store(),
    twilioAuthToken: authToken,
    accountSid: conn.record.settings.accountSid,
    logger: ctx.logger,
    publicUrl: s.public_url,
    sinkBasicAuth: s.sink_basic_auth,
    pluginAuth: s.plugin_auth,
    pluginHmacSecret: s.plugin_hmac_secret,
    pluginTokenCacheSeconds: s.plugin_token_cache_seconds,
    corsOrigins: s.cors_origins,
    onIngested: () => loops.inbox.wake(),
    ...extra,
  };
}

/** A node `(req, res)` handler serving `/webhooks/...` (mount before any body parser). */
export async function createWebhookHandler(client: TajoClient, extra: Partial<WebhookOptions> = {}): Promise<NodeHandler> {
  return createNodeHandler(await webhookOptions(client, extra));
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The Flex UI origin: the plugin runs in the agent's browser at flex.twilio.com. */
export const DEFAULT_CORS_ORIGINS = ['https://flex.twilio.com'] as const;

/** Routes the Flex plugin calls from the agent's browser (and only those: Twilio's own callbacks are server-to-server). */
export const CORS_PREFIX = '/webhooks/flex/';

const ALLOW_HEADERS = 'Content-Type, Authorization, X-Flex-Token, X-Tajo-Signature';

function allowedOrigin(req: FastifyRequest, origins: readonly string[]): string | undefined {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || origin === '') return undefined;
  if (origins.includes('*')) return '*';
  return origins.includes(origin) ? origin : undefined;
}

function setCors(reply: FastifyReply, origin: string): void {
  void reply.header('access-control-allow-origin', origin);
  if (origin !== '*') void reply.header('vary', 'Origin');
}

/**
 * CORS for the Flex plugin routes (`/webhooks/flex/*`): preflights (`OPTIONS`) are answered 204 with the allowed
 * methods and headers when the Origin is configured (`server.cors_origins`), 403 otherwise; actual responses carry
 * `Access-Control-Allow-Origin` for configured origins. CORS is not authentication: the routes still verify the
 * agent's Flex token or the HMAC.
 */
export function installFlexCors(app: FastifyInstance, origins: readonly string[]): void {
  // under a prefix (tajoWebhooksPlugin registered with `prefix`), req.url carries it
  const prefix = app.prefix.replace(/\/+$/, '');
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'OPTIONS' || !req.url.startsWith(prefix + CORS_PREFIX)) return;
    const origin = allowedOrigin(req, origins);
    if (origin) setCors(reply, origin);
  });
  app.options(`${CORS_PREFIX}*`, async (req, reply) => {
    const origin = allowedOrigin(req, origins);
    if (!origin) return reply.code(403).send();
    setCors(reply, origin);
    return reply
      .code(204)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', ALLOW_HEADERS)
      .header('access-control-max-age', '600')
      .send();
  });
}

import type { FastifyInstance } from 'fastify';
import { registerConversations } from './conversations.js';
import type { Env } from './env.js';
import { registerEventStreams } from './eventStreams.js';
import { registerFlex } from './flex.js';
import { installGate, RouteTable } from './gate.js';
import { RequestLog, TwilioBudgets } from './limits.js';
import { PushError, runPush } from './push/index.js';
import { DEFAULT_EVENT_RETENTION_MS } from './taskrouter/events.js';
import { registerTaskRouter } from './taskrouter/index.js';
import { EventStreamer } from './streamer.js';
import { PRODUCT_PREFIX, type PushRequest, type TwilioEmulator, type TwilioEmulatorOptions, type TwilioProduct } from './types.js';
import { readWorldInfo } from './world.js';

export type * from './types.js';
export { DEFAULT_LIMITS, PRODUCT_PREFIX } from './types.js';
export { computeSignature, validateSignature, validateJsonRequest, bodySha256Hex } from './signature.js';

export const DEFAULT_TASK_RETENTION_MS = 10 * 60_000;

const REGISTRARS: Record<TwilioProduct, (scope: FastifyInstance, env: Env, routes: RouteTable) => void> = {
  flex: registerFlex,
  conversations: registerConversations,
  taskrouter: registerTaskRouter,
  events: registerEventStreams,
};

/**
 * Registers the Twilio emulator on a fastify app: Flex (`/flex-api`), Conversations (`/conversations`),
 * TaskRouter (`/taskrouter`) and Event Streams (`/events`), each mirroring its `https://<product>.twilio.com`
 * host, served from the world database; plus admin routes under `/_emulator`.
 */
export function registerTwilioEmulator(app: FastifyInstance, opts: TwilioEmulatorOptions): TwilioEmulator {
  const env: Env = {
    db: opts.world,
    clock: opts.clock,
    faults: opts.faults,
    creds: opts.credentials,
    info: readWorldInfo(opts.world, opts.credentials.accountSid),
    taskRetentionMs: opts.taskRetentionMs ?? DEFAULT_TASK_RETENTION_MS,
    eventRetentionMs: opts.eventRetentionMs ?? DEFAULT_EVENT_RETENTION_MS,
    budgets: new TwilioBudgets(opts.clock, opts.limits),
    log: new RequestLog(),
    held: new Set(),
  };

  for (const product of Object.keys(REGISTRARS) as TwilioProduct[]) {
    void app.register(
      async (scope) => {
        const routes = new RouteTable();
        installGate(scope, env, product, routes);
        REGISTRARS[product](scope, env, routes);
      },
      { prefix: PRODUCT_PREFIX[product] },
    );
  }

  const streamer = new EventStreamer(env);
  if (opts.streamSinks !== false) app.addHook('onReady', async () => streamer.start());
  // Requests held open by a timeout fault are dropped when the server closes.
  app.addHook('preClose', async () => {
    for (const release of [...env.held]) release();
    streamer.stop();
  });

  app.get('/_emulator/twilio/requests', async () => env.log.snapshot());
  app.delete('/_emulator/twilio/requests', async (_req, reply) => {
    env.log.reset();
    return reply.code(204).send();
  });
  app.post('/_emulator/twilio/push', async (req, reply) => {
    try {
      return await runPush(env, (req.body ?? {}) as PushRequest);
    } catch (err) {
      if (err instanceof PushError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });
  if (opts.clockAdmin !== false) {
    app.post('/_emulator/clock/advance', async (req, reply) => {
      const ms = Number((req.body as { ms?: unknown } | undefined)?.ms);
      if (!Number.isFinite(ms) || ms < 0) return reply.code(400).send({ error: 'ms must be a non-negative number' });
      opts.clock.advance(ms);
      return { nowMs: opts.clock.nowMs(), now: new Date(opts.clock.nowMs()).toISOString() };
    });
  }

  return {
    credentials: opts.credentials,
    world: env.info,
    requestLog: () => env.log.snapshot(),
    resetRequestLog: () => {
      env.log.reset();
      env.budgets.reset();
    },
    push: (req) => runPush(env, req),
    rewindStreams: (fromMs) => streamer.rewind(fromMs),
    streamTick: () => streamer.tick(),
  };
}

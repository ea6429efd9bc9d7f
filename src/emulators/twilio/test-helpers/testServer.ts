import Fastify from 'fastify';
import { EmulatorClock } from '../../common/clock.js';
import { FaultInjector } from '../../common/faults.js';
import { registerTwilioEmulator } from '../index.js';
import { createFixtureWorld, type FixtureOptions, type FixtureWorld } from './testWorld.js';
import type { TwilioCredentials, TwilioEmulator, TwilioEmulatorOptions } from '../types.js';

/** A Twilio emulator on port 0 over a fixture world, with a frozen clock (it moves only by `advance`). Tests only. */
export interface TestServer {
  url: string;
  fixture: FixtureWorld;
  clock: EmulatorClock;
  faults: FaultInjector;
  creds: TwilioCredentials;
  twilio: TwilioEmulator;
  auth: string;
  get(path: string, auth?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
  close(): Promise<void>;
}

export const FIXED_NOW = Date.UTC(2026, 4, 20, 12, 0, 0);

export async function startTestServer(
  opts: Partial<FixtureOptions> & Partial<Pick<TwilioEmulatorOptions, 'limits' | 'taskRetentionMs' | 'eventRetentionMs'>> = {},
): Promise<TestServer> {
  const nowMs = opts.nowMs ?? FIXED_NOW;
  const fixture = createFixtureWorld({ nowMs, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.tasks !== undefined ? { tasks: opts.tasks } : {}) });
  const frozen = Date.now();
  const clock = new EmulatorClock(nowMs, 1, () => frozen);
  const faults = new FaultInjector(nowMs);
  const creds: TwilioCredentials = { accountSid: fixture.accountSid, authToken: 'test-auth-token', apiKeySid: `SK${'1'.repeat(32)}`, apiKeySecret: 'test-key-secret' };
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const twilio = registerTwilioEmulator(app, {
    world: fixture.db,
    clock,
    faults,
    credentials: creds,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.taskRetentionMs !== undefined ? { taskRetentionMs: opts.taskRetentionMs } : {}),
    ...(opts.eventRetentionMs !== undefined ? { eventRetentionMs: opts.eventRetentionMs } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`${creds.accountSid}:${creds.authToken}`).toString('base64')}`;
  return {
    url,
    fixture,
    clock,
    faults,
    creds,
    twilio,
    auth,
    async get(path, a = auth) {
      const res = await fetch(path.startsWith('http') ? path : url + path, { headers: { authorization: a } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    },
    close: async () => {
      await app.close();
      fixture.db.close();
    },
  };
}

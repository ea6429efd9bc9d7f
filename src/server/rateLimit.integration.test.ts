/**
 * Per-source rate limiting of the webhook routes (server/rateLimit.ts): a bucket per route and sender, the sender being
 * the peer unless it is a trusted proxy (`server.trust_proxy`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import type { Store } from '../store/store.js';
import { buildServer } from './app.js';
import { ACCOUNT_SID, AUTH_TOKEN, INJECT_ORIGIN, formBody, inboxItems, sid, signForm, taskRouterParams, tempStore, testConfig } from './test-helpers/fixtures.js';

let store: Store;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
});

const TR = '/webhooks/twilio/taskrouter';
const CONV = '/webhooks/twilio/conversations';

describe('per-source rate limiting', () => {
  it('answers 429 TAJO_WEBHOOK_RATE_LIMITED with Retry-After past the burst, per route', async () => {
    const limited = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, rateLimit: { ratePerSecond: 0.01, burst: 2 } });
    const send = (path: string, n: number) => {
      const p = taskRouterParams(n);
      return limited.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(INJECT_ORIGIN + path, p) }, payload: formBody(p) });
    };
    expect((await send(TR, 1)).statusCode).toBe(204);
    expect((await send(TR, 2)).statusCode).toBe(204);
    const third = await send(TR, 3);
    expect(third.statusCode).toBe(429);
    expect(third.json().error.code).toBe('TAJO_WEBHOOK_RATE_LIMITED');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    // another route has its own bucket (answers for its own reasons, not 429)
    expect((await send(CONV, 4)).statusCode).toBe(400);
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([sid('EV', 1), sid('EV', 2)]);
    // refused before its body is read: a body over the limit from a source over its rate is a 429, not a 413
    const huge = await limited.inject({ method: 'POST', url: TR, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a='.padEnd(2 * 1024 * 1024, 'x') });
    expect(huge.statusCode).toBe(429);
    await limited.close();
  });

  it('behind a trusted proxy (server.trust_proxy) each sender has its own bucket; without it they share the proxy\'s', async () => {
    const limits = { ratePerSecond: 0.01, burst: 1 };
    const send = (app: ReturnType<typeof buildServer>, n: number, sender: string) => {
      const p = taskRouterParams(n);
      return app.inject({
        method: 'POST', url: TR, remoteAddress: '10.0.0.2',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(INJECT_ORIGIN + TR, p), 'x-forwarded-for': sender },
        payload: formBody(p),
      });
    };
    const behind = buildServer({ store, config: testConfig({ trust_proxy: ['10.0.0.2'] }), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, rateLimit: limits });
    expect((await send(behind, 11, '54.1.1.1')).statusCode).toBe(204);
    expect((await send(behind, 12, '54.2.2.2')).statusCode).toBe(204);
    expect((await send(behind, 13, '54.1.1.1')).statusCode).toBe(429);
    await behind.close();
    const direct = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, rateLimit: limits });
    expect((await send(direct, 14, '54.1.1.1')).statusCode).toBe(204);
    // X-Forwarded-For from an untrusted peer is ignored: the second sender shares the first one's bucket
    expect((await send(direct, 15, '54.2.2.2')).statusCode).toBe(429);
    await direct.close();
  });
});

/**
 * The Event Streams sink's Basic credentials (`server.sink_basic_auth`, `sinkBasicAuth` for embedders) must both be
 * set: with an empty user and pass, `Authorization: Basic Og==` (":") is exactly "the configured credentials" and
 * would let any caller store events without a Twilio signature.
 */
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTajoError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import { tajoWebhooksPlugin } from './plugin.js';
import { ACCOUNT_SID, AUTH_TOKEN, BASIC, basicHeader, cloudEvent, inboxItems, tempStore } from './test-helpers/fixtures.js';

let store: Store;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => cleanup());

const ES = '/webhooks/twilio/event-streams';
const EMPTY_BASIC = `Basic ${Buffer.from(':').toString('base64')}`;

async function mount(sinkBasicAuth: { user: string; pass: string }) {
  const app = Fastify();
  await app.register(tajoWebhooksPlugin, { store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: 'x'.repeat(20), sinkBasicAuth });
  return app;
}

describe('Event Streams sink Basic credentials', () => {
  it.each([
    ['empty user and pass', { user: '', pass: '' }, ['server.sink_basic_auth.user', 'server.sink_basic_auth.pass']],
    ['empty pass', { user: 'sink', pass: '' }, ['server.sink_basic_auth.pass']],
  ])('%s: refused when the routes are mounted (TAJO_CONFIG_INVALID), so an unsigned batch is never stored', async (_what, creds, paths) => {
    let app: Awaited<ReturnType<typeof mount>> | undefined;
    let err: unknown;
    try {
      app = await mount(creds);
      await app.ready();
    } catch (e) {
      err = e;
    }
    if (!err && app) {
      // without the check: what an anonymous caller could do
      const forged = await app.inject({ method: 'POST', url: ES, headers: { 'content-type': 'application/json', authorization: basicHeader(creds) }, payload: JSON.stringify([cloudEvent(1)]) });
      await app.close();
      expect.fail(`mounted with empty sink credentials; an anonymous batch was answered ${forged.statusCode}, ${(await inboxItems(store)).length} stored`);
    }
    expect(isTajoError(err, 'TAJO_CONFIG_INVALID')).toBe(true);
    expect((err as { details: { path: string }[] }).details.map((d) => d.path)).toEqual(paths);
    expect(await inboxItems(store)).toEqual([]);
  });

  it('with real credentials, an empty Basic pair is refused and the configured one accepted', async () => {
    const app = await mount(BASIC);
    const post = (authorization: string) =>
      app.inject({ method: 'POST', url: ES, headers: { 'content-type': 'application/json', authorization }, payload: JSON.stringify([cloudEvent(2)]) });
    const anonymous = await post(EMPTY_BASIC);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('TAJO_WEBHOOK_UNAUTHENTICATED');
    expect((await post(basicHeader())).statusCode).toBe(204);
    expect((await inboxItems(store)).length).toBe(1);
    await app.close();
  });
});

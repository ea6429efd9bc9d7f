import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/store.js';
import { createNodeHandler } from './nodeHandler.js';
import { tajoWebhooksPlugin } from './plugin.js';
import { ACCOUNT_SID, AUTH_TOKEN, HMAC_SECRET, formBody, hmacHeader, inboxItems, sid, signForm, taskRouterParams, tempStore } from './test-helpers/fixtures.js';

let store: Store;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
});
afterEach(async () => cleanup());

describe('tajoWebhooksPlugin in a user fastify app', () => {
  it('mounts under a prefix beside the user routes, keeps its raw-body parsers and errors to itself', async () => {
    const app = Fastify();
    app.post('/own', async (req) => ({ echoed: req.body }));
    await app.register(tajoWebhooksPlugin, { prefix: '/tajo', store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET, publicUrl: 'https://hooks.example.com' });
    await app.ready();
    // the user's JSON route still gets parsed bodies
    expect((await app.inject({ method: 'POST', url: '/own', payload: { a: 1 } })).json()).toEqual({ echoed: { a: 1 } });
    const p = taskRouterParams(1);
    const ok = await app.inject({ method: 'POST', url: '/tajo/webhooks/twilio/taskrouter', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('https://hooks.example.com/tajo/webhooks/twilio/taskrouter', p) }, payload: formBody(p) });
    expect(ok.statusCode).toBe(204);
    const body = JSON.stringify({ TaskSid: sid('WT', 3) });
    const flex = await app.inject({ method: 'POST', url: '/tajo/webhooks/flex/task-complete', headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, payload: body });
    expect(flex.statusCode).toBe(200);
    const bad = await app.inject({ method: 'POST', url: '/tajo/webhooks/twilio/taskrouter', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: formBody(p) });
    expect(bad.json().error.code).toBe('TAJO_WEBHOOK_SIGNATURE_MISSING');
    expect((await inboxItems(store)).map((i) => i.key).sort()).toEqual([sid('EV', 1), `flex:task-complete:${sid('WT', 3)}`].sort());
    await app.close();
  });
});

describe('createNodeHandler', () => {
  let server: Server;
  let base: string;
  afterEach(async () => new Promise<void>((r) => server.close(() => r())));

  it('serves the verified routes from a plain node http server (real listen, port 0)', async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const url = `${base}/webhooks/twilio/taskrouter`;
    const p = taskRouterParams(2);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(url, p) }, body: formBody(p) });
    expect(res.status).toBe(204);
    const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'nope' }, body: formBody(p) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'TAJO_WEBHOOK_SIGNATURE_INVALID' } });
    const missing = await fetch(`${base}/elsewhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'TAJO_ROUTE_NOT_FOUND' } });
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([sid('EV', 2)]);
    await handler.close();
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
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
    // publicUrl is the public URL of the mount point (the prefix): Twilio calls publicUrl + '/webhooks/...'
    await app.register(tajoWebhooksPlugin, { prefix: '/tajo', store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET, publicUrl: 'https://hooks.example.com/tajo' });
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

describe('tajoWebhooksPlugin: the README example (prefix /tajo, publicUrl https://example.com/tajo)', () => {
  it('accepts the signature Twilio computes over the URL it was given, refuses one over the doubled prefix; CORS under the prefix', async () => {
    const app = Fastify();
    await app.register(tajoWebhooksPlugin, { prefix: '/tajo', store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, publicUrl: 'https://example.com/tajo', pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET, corsOrigins: ['https://flex.example.com'] });
    await app.ready();
    const post = (n: number, signedFor: string) => {
      const p = taskRouterParams(n);
      return app.inject({ method: 'POST', url: '/tajo/webhooks/twilio/taskrouter', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(signedFor, p) }, payload: formBody(p) });
    };
    expect((await post(11, 'https://example.com/tajo/webhooks/twilio/taskrouter')).statusCode).toBe(204);
    const doubled = await post(12, 'https://example.com/tajo/tajo/webhooks/twilio/taskrouter');
    expect(doubled.statusCode).toBe(403);
    expect(doubled.json().error.code).toBe('TAJO_WEBHOOK_SIGNATURE_INVALID');
    const body = JSON.stringify({ TaskSid: sid('WT', 13) });
    const flex = await app.inject({ method: 'POST', url: '/tajo/webhooks/flex/task-complete', headers: { origin: 'https://flex.example.com', 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, payload: body });
    expect(flex.statusCode).toBe(200);
    expect(flex.headers['access-control-allow-origin']).toBe('https://flex.example.com');
    expect((await inboxItems(store)).map((i) => i.key).sort()).toEqual([sid('EV', 11), `flex:task-complete:${sid('WT', 13)}`].sort());
    await app.close();
  });
});

/** The host app's own route: echoes its path and the body it could still read (nothing once a parser read it). */
function ownRoute(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ mine: req.url, body: Buffer.concat(chunks).toString() }));
  });
}

async function listen(app: Express): Promise<{ server: Server; base: string }> {
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('createNodeHandler mounted in an express app', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  });

  it("passes other paths on to next (the app's own routes still get their bodies); signs over originalUrl", async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const app = express();
    app.use('/tajo', handler);
    app.post('/tajo/mine', ownRoute);
    app.get('/health-of-my-app', ownRoute);
    const { server, base } = await listen(app);
    servers.push(server);
    const own = await fetch(`${base}/tajo/mine`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ mine: '/tajo/mine', body: '{"x":1}' });
    const outside = await fetch(`${base}/health-of-my-app`);
    expect(await outside.json()).toEqual({ mine: '/health-of-my-app', body: '' });
    // Twilio signs the URL it calls, mount path included: a signature over the path express hands the handler is refused
    const url = `${base}/tajo/webhooks/twilio/taskrouter`;
    const p = taskRouterParams(21);
    const stripped = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(`${base}/webhooks/twilio/taskrouter`, p) }, body: formBody(p) });
    expect(stripped.status).toBe(403);
    expect(await stripped.json()).toMatchObject({ error: { code: 'TAJO_WEBHOOK_SIGNATURE_INVALID' } });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(url, p) }, body: formBody(p) });
    expect(res.status).toBe(204);
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([sid('EV', 21)]);
    await handler.close();
  });

  it('in a router mounted under another path: signs over the whole originalUrl (query included)', async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const app = express();
    const api = express.Router();
    api.use('/tajo', handler);
    app.use('/api', api);
    const { server, base } = await listen(app);
    servers.push(server);
    const url = `${base}/api/tajo/webhooks/twilio/taskrouter?tenant=a`;
    const p = taskRouterParams(24);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(url, p) }, body: formBody(p) });
    expect(res.status).toBe(204);
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([sid('EV', 24)]);
    await handler.close();
  });

  it('with publicUrl: the public URL of the mount path + the route path', async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, publicUrl: 'https://example.com/tajo', pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const app = express();
    app.use('/tajo', handler);
    const { server, base } = await listen(app);
    servers.push(server);
    const p = taskRouterParams(22);
    const res = await fetch(`${base}/tajo/webhooks/twilio/taskrouter`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('https://example.com/tajo/webhooks/twilio/taskrouter', p) }, body: formBody(p) });
    expect(res.status).toBe(204);
    await handler.close();
  });

  it('a Tajo route whose body express.json() already read is answered at once with a coded 500, never left hanging', async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const app = express();
    app.use(express.json());
    app.use(handler);
    app.use(ownRoute);
    const { server, base } = await listen(app);
    servers.push(server);
    const body = JSON.stringify({ TaskSid: sid('WT', 23) });
    const started = Date.now();
    const res = await fetch(`${base}/webhooks/flex/task-complete`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, body, signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 'TAJO_WEBHOOK_BODY_CONSUMED' } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await inboxItems(store)).toEqual([]);
    await handler.close();
  });

  it("a parser reads only its own content type: after express.json() Twilio's form posts still verify, after express.urlencoded() they answer the 500", async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const app = express();
    app.use('/json', express.json());
    app.use('/form', express.urlencoded());
    app.use('/json/tajo', handler);
    app.use('/form/tajo', handler);
    const { server, base } = await listen(app);
    servers.push(server);
    const post = (mount: string, n: number) => {
      const url = `${base}${mount}/webhooks/twilio/taskrouter`;
      const p = taskRouterParams(n);
      return fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(url, p) }, body: formBody(p), signal: AbortSignal.timeout(5_000) });
    };
    expect((await post('/json/tajo', 25)).status).toBe(204);
    const consumed = await post('/form/tajo', 26);
    expect(consumed.status).toBe(500);
    expect(await consumed.json()).toMatchObject({ error: { code: 'TAJO_WEBHOOK_BODY_CONSUMED' } });
    const body = JSON.stringify({ TaskSid: sid('WT', 27) });
    const flex = await fetch(`${base}/json/tajo/webhooks/flex/task-complete`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, body, signal: AbortSignal.timeout(5_000) });
    expect(flex.status).toBe(500);
    expect(await flex.json()).toMatchObject({ error: { code: 'TAJO_WEBHOOK_BODY_CONSUMED' } });
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([sid('EV', 25)]);
    await handler.close();
  });

  it("mounted before express.json() (the README's order): the app's routes after it get parsed bodies, Tajo's the raw ones", async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const app = express();
    app.use('/tajo', handler);
    app.use(express.json());
    app.post('/tajo/mine', (req, res) => void res.json({ parsed: req.body as unknown }));
    const { server, base } = await listen(app);
    servers.push(server);
    const own = await fetch(`${base}/tajo/mine`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(await own.json()).toEqual({ parsed: { x: 1 } });
    const body = JSON.stringify({ TaskSid: sid('WT', 28) });
    const flex = await fetch(`${base}/tajo/webhooks/flex/task-complete`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tajo-signature': hmacHeader(body) }, body });
    expect(flex.status).toBe(200);
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([`flex:task-complete:${sid('WT', 28)}`]);
    await handler.close();
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

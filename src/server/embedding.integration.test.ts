import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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

/** What express does with `app.use(mountPath, handler)`: strips the mount path from req.url, keeps req.originalUrl, and
 * hands `next` to the middleware; requests it passes on (or that are not under the mount path) reach `fallback`. */
function expressLike(mountPath: string, middlewares: ((req: IncomingMessage, res: ServerResponse, next: () => void) => void)[], fallback: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const original = req.url ?? '/';
    (req as IncomingMessage & { originalUrl: string }).originalUrl = original;
    const under = mountPath === '' || original === mountPath || original.startsWith(`${mountPath}/`) || original.startsWith(`${mountPath}?`);
    const restore = () => {
      req.url = original;
      fallback(req, res);
    };
    if (!under) return restore();
    req.url = original.slice(mountPath.length) || '/';
    const run = (i: number): void => {
      const mw = middlewares[i];
      if (!mw) return restore();
      mw(req, res, () => run(i + 1));
    };
    run(0);
  };
}

/** The host app's own route: echoes its path and the body it could still read. */
function ownRoute(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ mine: req.url, body: Buffer.concat(chunks).toString() }));
  });
}

/** express.json()-like: reads the whole body and marks it read (`req._body`). */
function jsonParser(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    Object.assign(req, { _body: true, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as unknown });
    next();
  });
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('createNodeHandler mounted in an express-style app', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  });

  it("passes other paths on to next (the app's own routes still get their bodies); signs over originalUrl", async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const { server, base } = await listen(expressLike('/tajo', [handler], ownRoute));
    servers.push(server);
    const own = await fetch(`${base}/tajo/mine`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(own.status).toBe(200);
    expect(await own.json()).toEqual({ mine: '/tajo/mine', body: '{"x":1}' });
    const outside = await fetch(`${base}/health-of-my-app`);
    expect(await outside.json()).toEqual({ mine: '/health-of-my-app', body: '' });
    // Twilio signs the URL it calls, mount path included
    const url = `${base}/tajo/webhooks/twilio/taskrouter`;
    const p = taskRouterParams(21);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm(url, p) }, body: formBody(p) });
    expect(res.status).toBe(204);
    expect((await inboxItems(store)).map((i) => i.key)).toEqual([sid('EV', 21)]);
    await handler.close();
  });

  it('with publicUrl: the public URL of the mount path + the route path', async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, publicUrl: 'https://example.com/tajo', pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const { server, base } = await listen(expressLike('/tajo', [handler], ownRoute));
    servers.push(server);
    const p = taskRouterParams(22);
    const res = await fetch(`${base}/tajo/webhooks/twilio/taskrouter`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signForm('https://example.com/tajo/webhooks/twilio/taskrouter', p) }, body: formBody(p) });
    expect(res.status).toBe(204);
    await handler.close();
  });

  it('a Tajo route whose body a parser already read is answered at once with a coded 500, never left hanging', async () => {
    const handler = createNodeHandler({ store, twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, pluginAuth: 'hmac', pluginHmacSecret: HMAC_SECRET });
    const { server, base } = await listen(expressLike('', [jsonParser, handler], ownRoute));
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

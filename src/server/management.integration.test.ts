import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TajoError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import type { Store } from '../store/store.js';
import { buildServer } from './app.js';
import { createKey, hashKey, KEY_PREFIX } from './keys.js';
import type { ManagementHandlers } from './management.js';
import { ACCOUNT_SID, AUTH_TOKEN, tempStore, testConfig } from './test-helpers/fixtures.js';

let store: Store;
let cleanup: () => Promise<void>;
let app: FastifyInstance;
const calls: unknown[][] = [];

const handlers: ManagementHandlers = {
  connect: async (id, body) => (calls.push(['connect', id, body]), { connected: id }),
  sync: async (id, body) => (calls.push(['sync', id, body]), { status: 'ok', type: body.type ?? 'incremental' }),
  status: async (id) => {
    if (id !== 'twilio-flex') throw new TajoError('TAJO_CONNECTOR_UNKNOWN', `Unknown connector ${id}`);
    return { id, status: 'active' };
  },
  handleEvent: async (id, ev) => (calls.push(['event', id, ev]), { accepted: true }),
  dlqList: async (q) => (calls.push(['dlqList', q]), []),
  dlqReplay: async (id) => (calls.push(['replay', id]), undefined),
  dlqDiscard: async (id) => (calls.push(['discard', id]), { discarded: id }),
};

beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
  calls.length = 0;
  app = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, sdkHandlers: handlers });
  await app.ready();
});
afterEach(async () => {
  await app.close();
  await cleanup();
});

describe('API keys', () => {
  it('are tajo_ + 43 base64url chars, stored only as their sha256', async () => {
    const { id, key } = await createKey(store, 'ci');
    expect(key).toMatch(new RegExp(`^${KEY_PREFIX}[A-Za-z0-9_-]{43}$`));
    expect(await store.findApiKey(hashKey(key))).toMatchObject({ id, name: 'ci' });
    expect(JSON.stringify(await store.listApiKeys())).not.toContain(key);
  });
});

describe('/api/v1', () => {
  it('refuses a missing, wrong or revoked key with 401 TAJO_API_KEY_INVALID', async () => {
    const { id, key } = await createKey(store, 'ci');
    for (const authorization of [undefined, 'Bearer tajo_wrongwrongwrongwrongwrong', `Basic ${key}`, `Bearer ${key}x`]) {
      const r = await app.inject({ method: 'GET', url: '/api/v1/connectors/twilio-flex/status', headers: authorization ? { authorization } : {} });
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('TAJO_API_KEY_INVALID');
    }
    const ok = await app.inject({ method: 'GET', url: '/api/v1/connectors/twilio-flex/status', headers: { authorization: `Bearer ${key}` } });
    expect(ok.statusCode).toBe(200);
    await store.revokeApiKey(id);
    const revoked = await app.inject({ method: 'GET', url: '/api/v1/connectors/twilio-flex/status', headers: { authorization: `Bearer ${key}` } });
    expect(revoked.statusCode).toBe(401);
    expect(calls).toEqual([]);
  });

  it('routes every call to its handler and answers its result; TajoErrors keep their catalogue status', async () => {
    const { key } = await createKey(store, 'ci');
    const h = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    expect((await app.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/connect', headers: h, payload: '{"accountSid":"AC1"}' })).json()).toEqual({ connected: 'twilio-flex' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: { authorization: h.authorization } })).json()).toEqual({ status: 'ok', type: 'incremental' });
    expect((await app.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: h, payload: '{"type":"full"}' })).json()).toEqual({ status: 'ok', type: 'full' });
    const ev = await app.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/events', headers: h, payload: JSON.stringify({ type: 'task.completed', payload: { taskSid: 'WT1', customerEmail: 'a@b.co' } }) });
    expect(ev.json()).toEqual({ accepted: true });
    expect((await app.inject({ method: 'GET', url: '/api/v1/dlq?status=open&limit=10', headers: h })).json()).toEqual([]);
    expect((await app.inject({ method: 'POST', url: '/api/v1/dlq/7/replay', headers: h })).json()).toEqual({ ok: true });
    expect((await app.inject({ method: 'POST', url: '/api/v1/dlq/8/discard', headers: h })).json()).toEqual({ discarded: 8 });
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/connectors/zendesk/status', headers: h });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('TAJO_CONNECTOR_UNKNOWN');
    expect(calls).toEqual([
      ['connect', 'twilio-flex', { accountSid: 'AC1' }],
      ['sync', 'twilio-flex', {}],
      ['sync', 'twilio-flex', { type: 'full' }],
      ['event', 'twilio-flex', { type: 'task.completed', payload: { taskSid: 'WT1', customerEmail: 'a@b.co' } }],
      ['dlqList', { status: 'open', limit: '10' }], // as received: the SDK's shared validation takes it from there
      ['replay', 7],
      ['discard', 8],
    ]);
  });

  it('answers coded 400/415 for bodies it cannot decode before reaching a handler (arguments are the handlers\' to check)', async () => {
    const { key } = await createKey(store, 'ci');
    const auth = { authorization: `Bearer ${key}` };
    const cases: [string, string, Record<string, string>, string | undefined, string][] = [
      ['POST', '/api/v1/connectors/twilio-flex/events', { ...auth, 'content-type': 'application/json' }, '[1,2]', 'TAJO_WEBHOOK_MALFORMED'],
      ['POST', '/api/v1/connectors/twilio-flex/connect', { ...auth, 'content-type': 'application/json' }, '{nope', 'TAJO_WEBHOOK_MALFORMED'],
      ['POST', '/api/v1/connectors/twilio-flex/connect', { ...auth, 'content-type': 'text/plain' }, 'x', 'TAJO_WEBHOOK_CONTENT_TYPE'],
    ];
    for (const [method, url, headers, payload, code] of cases) {
      const r = await app.inject({ method: method as 'GET' | 'POST', url, headers, ...(payload !== undefined ? { payload } : {}) });
      expect(r.json().error.code, url).toBe(code);
    }
    expect(calls).toEqual([]);
    // ids reach the handler as given: a dead-letter id that is not a decimal integer as NaN (the SDK refuses it)
    await app.inject({ method: 'POST', url: '/api/v1/dlq/abc/replay', headers: auth });
    expect(calls).toEqual([['replay', Number.NaN]]);
  });

  it('checks the key before anything else: an unknown /api/v1 path is 401 without a key, 404 with one', async () => {
    const { key } = await createKey(store, 'ci');
    for (const [method, url] of [['GET', '/api/v1/nope'], ['POST', '/api/v1/connectors/twilio-flex/nope'], ['GET', '/api/v1/dlq/1']] as const) {
      const anon = await app.inject({ method, url });
      expect(anon.statusCode, url).toBe(401);
      expect(anon.json().error.code).toBe('TAJO_API_KEY_INVALID');
      // GET /api/v1/dlq/1 is a route, but these handlers do not serve dlqShow
      const authed = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` } });
      expect(authed.statusCode, url).toBe(404);
      expect(authed.json().error.code).toBe('TAJO_ROUTE_NOT_FOUND');
    }
  });

  it('sends a TajoError\'s details and hint (the SDK rebuilds them)', async () => {
    const { key } = await createKey(store, 'ci');
    const own = buildServer({
      store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID,
      sdkHandlers: { ...handlers, sync: async () => { throw new TajoError('TAJO_USAGE', 'Invalid sync arguments', { details: [{ path: 'type', message: 'must be full or incremental' }], hint: 'see --help' }); } },
    });
    const r = await own.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: { authorization: `Bearer ${key}` } });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ error: { code: 'TAJO_USAGE', message: 'Invalid sync arguments', details: [{ path: 'type', message: 'must be full or incremental' }], hint: 'see --help' } });
    // an internal error carries nothing of its own
    const boom = buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, sdkHandlers: { ...handlers, status: async () => { throw new Error('db password is hunter2'); } } });
    const b = await boom.inject({ method: 'GET', url: '/api/v1/connectors/twilio-flex/status', headers: { authorization: `Bearer ${key}` } });
    expect(b.json()).toEqual({ error: { code: 'TAJO_INTERNAL', message: 'Internal error' } });
    await own.close();
    await boom.close();
  });

  it('a sync named by X-Tajo-Sync-Id is aborted by POST /api/v1/syncs/:syncId/abort, even one asked before it started; a bad id is a coded 400', async () => {
    const { key } = await createKey(store, 'ci');
    const seen: boolean[] = [];
    const own = buildServer({
      store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID,
      sdkHandlers: {
        ...handlers,
        sync: async (_id, _body, opts) => {
          await new Promise((r) => setTimeout(r, 50));
          seen.push(opts?.signal?.aborted ?? false);
          return { status: opts?.signal?.aborted ? 'aborted' : 'ok' };
        },
      },
    });
    const auth = { authorization: `Bearer ${key}` };
    expect((await own.inject({ method: 'POST', url: '/api/v1/syncs/abcdefghijklmnop/abort' })).statusCode).toBe(401);
    const early = await own.inject({ method: 'POST', url: '/api/v1/syncs/abcdefghijklmnop/abort', headers: auth });
    expect(early.json()).toEqual({ syncId: 'abcdefghijklmnop', aborted: true, running: false });
    const a = await own.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: { ...auth, 'x-tajo-sync-id': 'abcdefghijklmnop' } });
    expect(a.json()).toEqual({ status: 'aborted' });
    const other = own.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: { ...auth, 'x-tajo-sync-id': 'qrstuvwxyz012345' } });
    await new Promise((r) => setTimeout(r, 10));
    expect((await own.inject({ method: 'POST', url: '/api/v1/syncs/qrstuvwxyz012345/abort', headers: auth })).json()).toMatchObject({ aborted: true });
    expect((await other).json()).toEqual({ status: 'aborted' });
    // the early abort was used once: the same id again runs
    expect((await own.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: { ...auth, 'x-tajo-sync-id': 'abcdefghijklmnop' } })).json()).toEqual({ status: 'ok' });
    const bad = await own.inject({ method: 'POST', url: '/api/v1/syncs/short/abort', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('TAJO_USAGE');
    expect(seen).toEqual([true, true, false]);
    await own.close();
  });

  it('store down → 503 on the key lookup', async () => {
    const { key } = await createKey(store, 'ci');
    await store.close();
    const r = await app.inject({ method: 'GET', url: '/api/v1/connectors/twilio-flex/status', headers: { authorization: `Bearer ${key}` } });
    expect(r.statusCode).toBe(503);
    expect(r.json().error.code).toBe('TAJO_STORE_UNAVAILABLE');
  });
});

describe('/api/v1 sync progress stream (Accept: application/x-ndjson)', () => {
  const progress = (n: number) => ({ kind: 'stream', progress: { stream: 'workers', records: n, pages: n, requests: n, done: false } });
  const withSync = (sync: ManagementHandlers['sync']) =>
    buildServer({ store, config: testConfig(), logger: silentLogger(), twilioAuthToken: AUTH_TOKEN, accountSid: ACCOUNT_SID, sdkHandlers: { ...handlers, sync } });
  const lines = (body: string) => body.trim().split('\n').map((l) => JSON.parse(l) as unknown);

  it('streams one line per progress event, then the result; a caller that does not ask gets the plain JSON answer', async () => {
    const { key } = await createKey(store, 'ci');
    const own = withSync(async (_id, _body, opts) => {
      opts?.onProgress?.(progress(1));
      opts?.onProgress?.({ kind: 'warning', message: 'careful' });
      opts?.onProgress?.(progress(2));
      return { status: 'ok' };
    });
    const streamed = await own.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: { authorization: `Bearer ${key}`, accept: 'application/x-ndjson, application/json' } });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(lines(streamed.body)).toEqual([{ progress: progress(1) }, { progress: { kind: 'warning', message: 'careful' } }, { progress: progress(2) }, { result: { status: 'ok' } }]);
    const plain = await own.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers: { authorization: `Bearer ${key}` } });
    expect(plain.headers['content-type']).toMatch(/^application\/json/);
    expect(plain.json()).toEqual({ status: 'ok' });
    await own.close();
  });

  it('a caller reading slower than events come gets the latest event of each stream, every warning, and the result', async () => {
    const { key } = await createKey(store, 'ci');
    const big = 'x'.repeat(1000);
    const own = withSync(async (_id, _body, opts) => {
      // emitted in one tick: nothing drains in between, so the socket's buffer is full after the first few
      for (let i = 1; i <= 2000; i++) {
        opts?.onProgress?.({ kind: 'stream', progress: { stream: i % 2 ? 'a' : 'b', records: i, requests: i, done: i >= 1999, note: big } });
        if (i === 1000) opts?.onProgress?.({ kind: 'warning', message: 'halfway' });
      }
      return { status: 'ok' };
    });
    await own.listen({ port: 0, host: '127.0.0.1' });
    const { port } = own.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/connectors/twilio-flex/sync`, { method: 'POST', headers: { authorization: `Bearer ${key}`, accept: 'application/x-ndjson' } });
    const got = lines(await res.text()) as { progress?: { kind: string; message?: string; progress?: { stream: string; records: number; done: boolean } }; result?: unknown }[];
    expect(got.length).toBeLessThan(2002);
    expect(got.at(-1)).toEqual({ result: { status: 'ok' } });
    expect(got.filter((l) => l.progress?.kind === 'warning')).toEqual([{ progress: { kind: 'warning', message: 'halfway' } }]);
    const last = (stream: string) => got.filter((l) => l.progress?.progress?.stream === stream).at(-1)?.progress?.progress;
    expect(last('a')).toMatchObject({ records: 1999, done: true });
    expect(last('b')).toMatchObject({ records: 2000, done: true });
    await own.close();
  });

  it("a failure after progress is the stream's last line, coded as a plain answer's body; before any progress it keeps its status", async () => {
    const { key } = await createKey(store, 'ci');
    const headers = { authorization: `Bearer ${key}`, accept: 'application/x-ndjson' };
    const late = withSync(async (_id, _body, opts) => {
      opts?.onProgress?.(progress(1));
      throw new TajoError('TAJO_TWILIO_UNAVAILABLE', 'Twilio is down', { hint: 'retry later' });
    });
    const r = await late.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers });
    expect(r.statusCode).toBe(200);
    expect(lines(r.body)).toEqual([{ progress: progress(1) }, { error: { code: 'TAJO_TWILIO_UNAVAILABLE', message: 'Twilio is down', hint: 'retry later' } }]);
    // an unexpected failure carries nothing of its own, as a plain answer
    const boom = withSync(async (_id, _body, opts) => {
      opts?.onProgress?.(progress(1));
      throw new Error('db password is hunter2');
    });
    expect(lines((await boom.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers })).body).at(-1)).toEqual({ error: { code: 'TAJO_INTERNAL', message: 'Internal error' } });
    const early = withSync(async () => {
      throw new TajoError('TAJO_USAGE', 'Invalid sync arguments');
    });
    const e = await early.inject({ method: 'POST', url: '/api/v1/connectors/twilio-flex/sync', headers });
    expect(e.statusCode).toBe(400);
    expect(e.json()).toEqual({ error: { code: 'TAJO_USAGE', message: 'Invalid sync arguments' } });
    await late.close();
    await boom.close();
    await early.close();
  });
});

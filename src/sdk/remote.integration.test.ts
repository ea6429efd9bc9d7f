/**
 * A remote TajoClient against what is not (or not only) `tajo serve`: a proxy's error page, a wrong baseUrl, a key
 * that cannot be sent. Every case is a coded TajoError that says what happened, never `undefined` as a result, never
 * "unreachable" for a mistake of the caller's, and never the credential it was given.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTajoError } from '../core/errors.js';
import { freePort } from '../server/test-helpers/freePort.js';
import { TajoClient, type SyncProgressEvent } from './index.js';
import { MAX_ANSWER_BYTES } from './remote.js';

const KEY = `tajo_${'k'.repeat(43)}`;
const SECRET = 'sekrit0123456789abcdef';
let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url?.endsWith('/status')) {
      // a 200 that is not Tajo's: a login page, a dashboard, a proxy's "it works"
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>hello</html>');
    } else if (req.url?.startsWith('/api/v1/dlq')) {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>502 Bad Gateway</html>');
    } else if (req.url?.endsWith('/forget')) {
      // a newer server's code, unknown to this client
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'TAJO_FROM_THE_FUTURE', message: 'Something newer', hint: 'upgrade' } }));
    } else if (req.url?.endsWith('/sync')) {
      // a server that cannot be asked to abort (its abort route answers 404 below): never answers
      req.resume();
    } else if (req.url?.endsWith('/test')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end();
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

async function failure(p: Promise<unknown>) {
  const err = await p.then(
    (v: unknown) => ({ resolved: v }),
    (e: unknown) => e,
  );
  expect(isTajoError(err), JSON.stringify(err)).toBe(true);
  return err as { code: string; message: string; retryable: boolean; hint?: string; toJSON(): unknown };
}

describe('remote answers that are not from tajo serve', () => {
  it('a 2xx without a JSON body is an error naming the status, not an undefined result', async () => {
    const c = new TajoClient({ apiKey: KEY, baseUrl: base });
    const html = await failure(c.connectors.status('twilio-flex'));
    expect(html).toMatchObject({ code: 'TAJO_INTERNAL', message: expect.stringContaining('answered 200 without a JSON body'), hint: expect.stringContaining('baseUrl') });
    expect(await failure(c.connectors.test('twilio-flex'))).toMatchObject({ code: 'TAJO_INTERNAL' });
    await c.close();
  });

  it("a proxy's 502 page is the server being unavailable (retryable), a bare 404 a missing route", async () => {
    const c = new TajoClient({ apiKey: KEY, baseUrl: base });
    const bad = await failure(c.dlq.list());
    expect(bad).toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', retryable: true, message: expect.stringContaining('answered 502') });
    expect(await failure(c.connectors.uninstall('twilio-flex'))).toMatchObject({ code: 'TAJO_ROUTE_NOT_FOUND', message: expect.stringContaining('answered 404') });
    // Tajo's error body with a code this client does not know: the server's message and hint, and its code named
    expect(await failure(c.connectors.forget('twilio-flex', 'a@b.co'))).toMatchObject({ code: 'TAJO_INTERNAL', message: 'Something newer (TAJO_FROM_THE_FUTURE)', hint: 'upgrade' });
    await c.close();
  });
});

describe('a remote sync whose server cannot be asked to abort', () => {
  it("is cut off at the caller's abort, and says it was aborted (not that the server is unreachable)", async () => {
    const c = new TajoClient({ apiKey: KEY, baseUrl: base });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const err = await failure(c.connectors.sync('twilio-flex', {}, { signal: ac.signal }));
    expect(err).toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', message: expect.stringContaining('was aborted before its answer') });
    expect(err.message).not.toContain('unreachable');
    expect(seen.some((u) => /^\/api\/v1\/syncs\/[A-Za-z0-9_-]{16,64}\/abort$/.test(u))).toBe(true);
    await c.close();
  });
});

describe("the caller's mistakes are refused before any request, without quoting the credential", () => {
  const cases: [string, string, string | undefined, string][] = [
    ['credentials in the base URL', `http://user:${SECRET}@BASE`, KEY, 'TAJO_USAGE'],
    ['no scheme', 'localhost:8787', KEY, 'TAJO_USAGE'],
    ['not http', 'ftp://127.0.0.1:8787', KEY, 'TAJO_USAGE'],
    ['a query string (the path would be appended to it)', `http://BASE/?token=${SECRET}`, KEY, 'TAJO_USAGE'],
    ['a key with a line break', 'http://BASE', `tajo_${SECRET}\nx`, 'TAJO_API_KEY_INVALID'],
  ];
  it.each(cases)('%s', async (_label, url, apiKey, code) => {
    const before = seen.length;
    // the test server's host:port, known once it listens
    const baseUrl = url.replace('BASE', base.slice('http://'.length));
    const c = new TajoClient({ baseUrl, ...(apiKey !== undefined ? { apiKey } : {}) });
    const err = await failure(c.connectors.status('twilio-flex'));
    expect(err.code).toBe(code);
    expect(JSON.stringify(err.toJSON())).not.toContain(SECRET);
    expect(err.message).not.toContain('unreachable');
    expect(seen.length).toBe(before);
    await c.close();
  });

  it('an apiKey without baseUrl (an unset variable) is refused, not run embedded on a store of its own', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'tajo-nobase-'));
    try {
      for (const baseUrl of [undefined, '']) {
        const c = new TajoClient({ apiKey: KEY, env: {}, cwd, ...(baseUrl !== undefined ? { baseUrl } : {}) });
        expect(await failure(c.connectors.status('twilio-flex'))).toMatchObject({ code: 'TAJO_USAGE', message: expect.stringContaining('without baseUrl') });
        await c.close();
      }
      expect(await readdir(cwd)).toEqual([]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('a timeoutMs no timer takes is TAJO_USAGE, not a RangeError', async () => {
    for (const timeoutMs of [-1, 0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e20]) {
      const c = new TajoClient({ apiKey: KEY, baseUrl: base, timeoutMs });
      expect(await failure(c.connectors.status('twilio-flex')), String(timeoutMs)).toMatchObject({ code: 'TAJO_USAGE', message: expect.stringContaining('timeoutMs') });
      await c.close();
    }
  });

  it('a base URL with a trailing slash is still taken', async () => {
    const c = new TajoClient({ apiKey: KEY, baseUrl: `${base}/` });
    await failure(c.connectors.status('twilio-flex'));
    expect(seen.at(-1)).toBe('/api/v1/connectors/twilio-flex/status');
    await c.close();
  });
});

/** A throwaway HTTP server on port 0 for one test; `close()` ends its connections too. */
async function fakeServer(handler: Parameters<typeof createServer>[1]) {
  const srv = createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))),
  };
}

describe('a remote call that gets no usable answer is TAJO_SERVER_UNAVAILABLE (retryable), naming the base URL', () => {
  it('connection refused (nothing listens on the port)', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const c = new TajoClient({ apiKey: KEY, baseUrl: url });
    const err = await failure(c.connectors.status('twilio-flex'));
    expect(err).toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', retryable: true, message: `Tajo server at ${url} is unreachable`, hint: expect.stringContaining('tajo serve') });
    expect(JSON.stringify(err.toJSON())).not.toContain(KEY);
    await c.close();
  });

  it('a server that accepts the call and never answers (its timeout)', async () => {
    const silent = await fakeServer((req) => void req.resume());
    const c = new TajoClient({ apiKey: KEY, baseUrl: silent.url, timeoutMs: 200 });
    expect(await failure(c.connectors.status('twilio-flex'))).toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', retryable: true, message: `Tajo server at ${silent.url} did not answer within 200 ms` });
    await c.close();
    await silent.close();
  });

  it('an endless answer is cut off past MAX_ANSWER_BYTES (its connection closed), plain or as one line of a progress stream', async () => {
    let closed = 0;
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    const endless = await fakeServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': req.url?.endsWith('/sync') ? 'application/x-ndjson' : 'application/json' });
      res.write('{"progress":{"kind":"warning","message":"first"}}\n');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      res.on('close', () => closed++);
      pump();
    });
    const c = new TajoClient({ apiKey: KEY, baseUrl: endless.url });
    const msg = `Tajo server at ${endless.url} answered more than ${MAX_ANSWER_BYTES / (1024 * 1024)} MB`;
    expect(await failure(c.connectors.status('twilio-flex'))).toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', message: expect.stringContaining(msg) });
    const events: SyncProgressEvent[] = [];
    expect(await failure(c.connectors.sync('twilio-flex', {}, { onProgress: (e) => events.push(e) }))).toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', message: expect.stringContaining(`${msg} in one line`) });
    expect(events).toEqual([{ kind: 'warning', message: 'first' }]);
    for (let i = 0; i < 100 && closed < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(2);
    await c.close();
    await endless.close();
  }, 30_000);

  it("a progress stream that ends without its result; a stream's coded error is rebuilt", async () => {
    const streams = await fakeServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"progress":{"kind":"warning","message":"one"}}\n');
      // the first call: the server went away mid-sync (its answer ends after progress); the second: its coded error
      if (seenCalls++ === 0) return void res.end();
      res.end(JSON.stringify({ error: { code: 'TAJO_TWILIO_UNAVAILABLE', message: 'Twilio is down', hint: 'retry later' } }));
    });
    let seenCalls = 0;
    const c = new TajoClient({ apiKey: KEY, baseUrl: streams.url });
    const events: SyncProgressEvent[] = [];
    expect(await failure(c.connectors.sync('twilio-flex', {}, { onProgress: (e) => events.push(e) }))).toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', message: expect.stringContaining('without its result') });
    expect(await failure(c.connectors.sync('twilio-flex', {}, { onProgress: (e) => events.push(e) }))).toMatchObject({ code: 'TAJO_TWILIO_UNAVAILABLE', status: 503, message: 'Twilio is down', hint: 'retry later' });
    expect(events).toHaveLength(2);
    await c.close();
    await streams.close();
  });
});

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
import { TajoClient } from './index.js';

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
    expect(bad).toMatchObject({ code: 'TAJO_STORE_UNAVAILABLE', retryable: true, message: expect.stringContaining('answered 502') });
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
    expect(err).toMatchObject({ code: 'TAJO_STORE_UNAVAILABLE', message: expect.stringContaining('was aborted before its answer') });
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

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RateBudget } from './budget.js';
import { RequestStats, VendorHttpError, httpRequest, pathTemplate } from './http.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
let server: Server | undefined;

async function serve(handler: Handler): Promise<string> {
  let n = 0;
  server = createServer((req, res) => {
    n++;
    req.resume();
    req.on('end', () => handler(req, res, n));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const fast = () => new RateBudget('t', { ratePerSecond: 1000 });

describe('httpRequest', () => {
  it('retries 503 then succeeds; counts requests per API', async () => {
    const url = await serve((_req, res, n) => {
      if (n < 3) {
        res.writeHead(503).end('{"message":"down"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const stats = new RequestStats();
    const r = await httpRequest({ vendor: 'brevo', method: 'GET', url: `${url}/v3/account`, budgets: [fast()], stats, random: () => 0 });
    expect(r).toMatchObject({ status: 200, json: { ok: true }, attempts: 3 });
    expect(stats.snapshot()).toEqual({ 'brevo GET /v3/account': { requests: 3, errors: 2, throttled: 0 } });
  });

  it('on 429 honours x-sib-ratelimit-reset and pauses the budget', async () => {
    const url = await serve((_req, res, n) => {
      if (n === 1) {
        res.writeHead(429, { 'x-sib-ratelimit-limit': '10', 'x-sib-ratelimit-remaining': '0', 'x-sib-ratelimit-reset': '1' }).end('{"code":"too_many_requests"}');
        return;
      }
      res.writeHead(204).end();
    });
    const budget = fast();
    const t0 = Date.now();
    const r = await httpRequest({ vendor: 'brevo', method: 'POST', url: `${url}/v3/events`, body: '{}', budgets: [budget], random: () => 0 });
    expect(r.status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(990);
    expect(budget.snapshot().pauses).toBeGreaterThanOrEqual(1);
  });

  it('a 429 with an hour-long reset fails at once and pauses the budget for the window', async () => {
    const url = await serve((_req, res) => res.writeHead(429, { 'x-sib-ratelimit-limit': '100', 'x-sib-ratelimit-remaining': '0', 'x-sib-ratelimit-reset': '3600' }).end('{}'));
    const budget = fast();
    const err = await httpRequest({ vendor: 'brevo', method: 'POST', url: `${url}/v3/events/batch`, body: '{}', budgets: [budget] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TAJO_BREVO_RATE_LIMITED', attempts: 1, httpStatus: 429 });
    expect(budget.snapshot().pausedUntil).toBeGreaterThanOrEqual(Date.now() + 3_590_000);
  });

  it('401 fails at once with the mapped code and no secrets in the message', async () => {
    const url = await serve((_req, res) => res.writeHead(401).end('{"code":"unauthorized","message":"Key not found"}'));
    const err = await httpRequest({
      vendor: 'brevo', method: 'GET', url: `${url}/v3/account?token=s3cr3t`, headers: { 'api-key': 'xkeysib-SECRET' }, budgets: [fast()],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorHttpError);
    const e = err as VendorHttpError;
    expect(e.code).toBe('TAJO_BREVO_AUTH');
    expect(e.httpStatus).toBe(401);
    expect(e.attempts).toBe(1);
    expect(e.message).not.toContain('SECRET');
    expect(e.message).not.toContain('s3cr3t');
    expect(JSON.stringify(e)).not.toContain('SECRET');
  });

  it('times out, retries, and gives up with the unavailable code', async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const err = await httpRequest({ vendor: 'twilio', method: 'GET', url: `${url}/v1/Tasks`, budgets: [fast()], timeoutMs: 50, maxAttempts: 2, random: () => 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TAJO_TWILIO_UNAVAILABLE', attempts: 2 });
  });

  it('logs api calls without secrets, with the path only', async () => {
    const url = await serve((_req, res) => res.writeHead(200).end('{}'));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
    await httpRequest({
      vendor: 'brevo', method: 'PUT', url: `${url}/v3/contacts/%2B14155550100?identifierType=ext_id`, headers: { 'api-key': 'xkeysib-SECRET' }, budgets: [fast()], logger, logApiCalls: true,
    });
    expect(lines).toHaveLength(1);
    const log = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(log).toMatchObject({ vendor: 'brevo', method: 'PUT', path: '/v3/contacts/:id', status: 200 });
    expect(lines[0]).not.toContain('SECRET');
    expect(lines[0]).not.toContain('4155550100');
  });

  it('aborts while waiting for the budget', async () => {
    const url = await serve((_req, res) => res.writeHead(200).end('{}'));
    const slow = new RateBudget('slow', { ratePerSecond: 0.1 });
    await slow.acquire();
    const ac = new AbortController();
    const p = httpRequest({ vendor: 'brevo', method: 'GET', url, budgets: [slow], signal: ac.signal });
    setTimeout(() => ac.abort(new Error('shutdown')), 20);
    await expect(p).rejects.toThrow('shutdown');
  });

  it('pathTemplate collapses ids', () => {
    expect(pathTemplate('https://taskrouter.twilio.com/v1/Workspaces/WS0123456789abcdef0123456789abcdef/Tasks?PageSize=50')).toBe('/v1/Workspaces/:id/Tasks');
    expect(pathTemplate('http://x/v3/processes/42')).toBe('/v3/processes/:id');
  });
});

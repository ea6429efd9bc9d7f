import { get as httpGet } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorClock } from '../common/clock.js';
import { FaultFileSchema, FaultInjector } from '../common/faults.js';
import { frozenClock, startBrevo, type Started } from './test-helpers/server.js';

const event = { event_name: 'SUPPORT_REQUESTED', identifiers: { ext_id: 'cust-1' } };

describe('Brevo emulator: auth, rate limits and faults', () => {
  const started: Started[] = [];
  const start = async (...args: Parameters<typeof startBrevo>) => {
    const s = await startBrevo(...args);
    started.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  it('rejects a missing or wrong api-key with 401 Key not found and spends no budget', async () => {
    const clock = frozenClock();
    const s = await start({ clock });
    for (const headers of [{ 'api-key': 'xkeysib-wrong' }, { 'api-key': '' }]) {
      const r = await s.call('GET', '/contacts/attributes', undefined, headers);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 'unauthorized', message: 'Key not found' });
    }
    const ok = await s.call('GET', '/contacts/attributes');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-sib-ratelimit-remaining')).toBe('9');
    // the inspection endpoints need no key
    const state = await fetch(`${s.origin}/_emulator/brevo/state`);
    expect(state.status).toBe(200);
  });

  it('11th /contacts request within a second → 429 with headers, no Retry-After; budget refills', async () => {
    const clock = frozenClock();
    const s = await start({ clock });
    const remaining: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await s.call('GET', '/contacts/lists');
      expect(r.status).toBe(200);
      remaining.push(r.headers.get('x-sib-ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    const limited = await s.call('POST', '/contacts', { email: 'a@example.com' });
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ code: 'too_many_requests', message: 'The expected rate limit is exceeded.' });
    expect(limited.headers.get('x-sib-ratelimit-limit')).toBe('10');
    expect(limited.headers.get('x-sib-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-sib-ratelimit-reset')).toBe('1');
    expect(limited.headers.get('retry-after')).toBeNull();
    // POST /events has its own bucket
    expect((await s.call('POST', '/events', event)).status).toBe(204);
    clock.advance(1000);
    expect((await s.call('POST', '/contacts', { email: 'a@example.com' })).status).toBe(201);
    const log = s.emu.requestLog();
    expect(log.rateLimited.byBucket).toEqual({ contacts: 1, events: 0, hourly: 0 });
    expect(log.endpoints['POST /contacts']?.statuses).toEqual({ '201': 1, '429': 1 });
  });

  it('POST /events: 10 per second, separate from contacts', async () => {
    const clock = frozenClock();
    const s = await start({ clock });
    for (let i = 0; i < 10; i++) expect((await s.call('POST', '/events', event)).status).toBe(204);
    const r = await s.call('POST', '/events', event);
    expect(r.status).toBe(429);
    expect(r.headers.get('x-sib-ratelimit-limit')).toBe('10');
    expect((await s.call('GET', '/contacts/attributes')).status).toBe(200);
    expect(s.emu.requestLog().rateLimited.byBucket.events).toBe(1);
  });

  it('everything else shares 100 requests per hour (events/batch, processes, account) → 429 with reset', async () => {
    const clock = frozenClock();
    const s = await start({ clock });
    for (let i = 0; i < 50; i++) expect((await s.call('GET', '/account')).status).toBe(200);
    clock.advance(600_000);
    for (let i = 0; i < 49; i++) expect((await s.call('GET', '/processes')).status).toBe(200);
    const last = await s.call('POST', '/events/batch', { events: [event] });
    expect(last.status).toBe(202);
    expect(last.headers.get('x-sib-ratelimit-remaining')).toBe('0');
    const r = await s.call('GET', '/processes/1');
    expect(r.status).toBe(429);
    expect(r.headers.get('x-sib-ratelimit-limit')).toBe('100');
    expect(r.headers.get('x-sib-ratelimit-reset')).toBe('3000');
    expect(r.headers.get('retry-after')).toBeNull();
    // contacts are unaffected
    expect((await s.call('GET', '/contacts/attributes')).status).toBe(200);
    clock.advance(3_000_000);
    expect((await s.call('GET', '/account')).status).toBe(200);
    expect(s.emu.requestLog().rateLimited.byBucket.hourly).toBe(1);
  });

  it('limits are configurable', async () => {
    const s = await start({ clock: frozenClock(), limits: { contactsPerSecond: 2, otherPerHour: 1 } });
    expect((await s.call('GET', '/contacts/lists')).status).toBe(200);
    expect((await s.call('GET', '/contacts/lists')).status).toBe(200);
    expect((await s.call('GET', '/contacts/lists')).status).toBe(429);
    expect((await s.call('GET', '/account')).status).toBe(200);
    expect((await s.call('GET', '/account')).status).toBe(429);
    const off = await start({ clock: frozenClock(), limits: { otherPerHour: 1, enabled: false } });
    for (let i = 0; i < 3; i++) expect((await off.call('GET', '/account')).status).toBe(200);
  });

  it('a body over the 16 MB parser limit → 413, Brevo-shaped, with budget headers', async () => {
    const s = await start({ clock: frozenClock() });
    const r = await s.call('POST', '/contacts/import', { fileBody: 'x'.repeat(17 * 1024 * 1024), listIds: [1] });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'invalid_parameter' });
    expect(r.headers.get('x-sib-ratelimit-limit')).toBe('10');
  });

  it('outage window → configured status, then back to normal', async () => {
    const clock = frozenClock();
    const faults = new FaultInjector(clock.nowMs(), FaultFileSchema.parse({ rules: [{ vendor: 'brevo', outageStatus: 503, from: '+0', to: '+60' }] }));
    const s = await start({ clock, faults });
    const r = await s.call('POST', '/contacts', { email: 'a@example.com' });
    expect(r.status).toBe(503);
    expect(r.headers.get('x-sib-ratelimit-limit')).toBe('10');
    clock.advance(61_000);
    expect((await s.call('POST', '/contacts', { email: 'a@example.com' })).status).toBe(201);
    expect(s.emu.requestLog().faults.byReason).toEqual({ outage: 1 });
  });

  it('errorRate 1 → 503 on the matching path only (Brevo paths are /v3/...)', async () => {
    const faults = new FaultInjector(Date.now(), FaultFileSchema.parse({ rules: [{ vendor: 'brevo', path: '^/v3/events$', errorRate: 1 }] }));
    const s = await start({ faults });
    const r = await s.call('POST', '/events', event);
    expect(r.status).toBe(503);
    expect((await s.call('POST', '/events/batch', { events: [event] })).status).toBe(202);
    expect(s.emu.state().events).toHaveLength(1);
  });

  it('429 storm with retryAfterSeconds sends Retry-After; budget 429s then carry it too', async () => {
    const faults = new FaultInjector(Date.now(), FaultFileSchema.parse({ rules: [{ vendor: 'brevo', path: '^/v3/account', rate429: 1, retryAfterSeconds: 7 }] }));
    const s = await start({ faults, clock: frozenClock(), limits: { contactsPerSecond: 1 } });
    const r = await s.call('GET', '/account');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    await s.call('GET', '/contacts/lists');
    const budget = await s.call('GET', '/contacts/lists');
    expect(budget.status).toBe(429);
    expect(budget.headers.get('retry-after')).toBe('7');
    expect(s.emu.requestLog().rateLimited).toMatchObject({ injected: 1, byBucket: { contacts: 1 } });
  });

  it('latency is emulated milliseconds scaled by the clock', async () => {
    const clock = new EmulatorClock(Date.now(), 10);
    const faults = new FaultInjector(clock.nowMs(), FaultFileSchema.parse({ rules: [{ vendor: 'brevo', latencyMs: 2000 }] }));
    const s = await start({ clock, faults });
    const t0 = Date.now();
    expect((await s.call('GET', '/account')).status).toBe(200);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(180);
    expect(took).toBeLessThan(1500);
  });

  it('timeout fault never answers: the client gives up, the socket is released', async () => {
    const faults = new FaultInjector(Date.now(), FaultFileSchema.parse({ rules: [{ vendor: 'brevo', timeoutRate: 1 }] }));
    const s = await start({ faults });
    // one plain socket per request (no pooled client connections to wait for on close)
    const rawGet = (url: string, giveUpMs?: number) =>
      new Promise<number | string>((resolve) => {
        const req = httpGet(url, { agent: false }, (res) => resolve(res.statusCode ?? 0));
        if (giveUpMs) req.setTimeout(giveUpMs, () => req.destroy(new Error('gave up')));
        req.on('error', (e) => resolve(e.message === 'gave up' ? 'client timeout' : 'dropped'));
      });
    expect(await rawGet(`${s.base}/account`, 300)).toBe('client timeout');
    expect(s.emu.requestLog().endpoints['GET /account']?.statuses).toEqual({ timeout: 1 });
    // close() must not wait for a held request
    const pending = rawGet(`${s.base}/account`);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await s.close();
    started.splice(started.indexOf(s), 1);
    expect(await pending).toBe('dropped');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

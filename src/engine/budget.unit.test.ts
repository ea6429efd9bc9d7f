import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateBudget, brevoBudgetFor, budgetsForBrevo, budgetsForTwilio } from './budget.js';

describe('RateBudget', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves one second of burst at once, then paces at the rate', async () => {
    const b = new RateBudget('t', { ratePerSecond: 10, now: () => Date.now() });
    const waits: number[] = [];
    const all = Array.from({ length: 15 }, () => b.acquire().then((w) => waits.push(w)));
    await vi.advanceTimersByTimeAsync(0);
    expect(waits).toHaveLength(10);
    expect(waits.every((w) => w === 0)).toBe(true);
    await vi.advanceTimersByTimeAsync(499);
    expect(waits.length).toBeLessThan(15);
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(all);
    expect(waits).toHaveLength(15);
    // 5 more at 100 ms each
    expect(Math.max(...waits)).toBeGreaterThanOrEqual(490);
    expect(Math.max(...waits)).toBeLessThanOrEqual(510);
    expect(b.snapshot()).toMatchObject({ name: 't', ratePerSecond: 10, used: 15, throttled: 5, pauses: 0 });
    expect(b.snapshot().waitedMs).toBeGreaterThan(0);
  });

  it('serves priority 0 before priority 1 when both wait', async () => {
    const b = new RateBudget('t', { ratePerSecond: 1, now: () => Date.now() });
    await b.acquire();
    const order: string[] = [];
    const p1 = b.acquire({ priority: 1 }).then(() => order.push('backfill-1'));
    const p2 = b.acquire({ priority: 1 }).then(() => order.push('backfill-2'));
    const p0 = b.acquire({ priority: 0 }).then(() => order.push('live'));
    await vi.advanceTimersByTimeAsync(3_100);
    await Promise.all([p0, p1, p2]);
    expect(order).toEqual(['live', 'backfill-1', 'backfill-2']);
  });

  it('enforces the hourly window', async () => {
    const b = new RateBudget('h', { perHour: 3, now: () => Date.now() });
    let done = 0;
    for (let i = 0; i < 4; i++) void b.acquire().then(() => done++);
    await vi.advanceTimersByTimeAsync(1000);
    expect(done).toBe(3);
    expect(b.capacity().availableNow).toBe(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(done).toBe(4);
  });

  it('time scale shortens the hourly window', async () => {
    const b = new RateBudget('h', { perHour: 2, timeScale: 60, now: () => Date.now() });
    let done = 0;
    for (let i = 0; i < 3; i++) void b.acquire().then(() => done++);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(done).toBe(3);
  });

  it('pauseFor stops everyone and counts a throttle; never shortens', async () => {
    const b = new RateBudget('t', { ratePerSecond: 100, now: () => Date.now() });
    b.pauseFor(2000);
    b.pauseFor(500);
    expect(b.snapshot().pausedUntil).toBe(Date.now() + 2000);
    let waited = -1;
    void b.acquire().then((w) => (waited = w));
    await vi.advanceTimersByTimeAsync(1999);
    expect(waited).toBe(-1);
    await vi.advanceTimersByTimeAsync(2);
    expect(waited).toBeGreaterThanOrEqual(2000);
    expect(b.snapshot()).toMatchObject({ throttled: 1, pauses: 1 });
  });

  it('observe adopts an hourly limit from x-sib-ratelimit headers and pauses on remaining 0', async () => {
    const b = new RateBudget('o', { perHour: 100, ratePerSecond: 10, now: () => Date.now() });
    b.observe({ limit: 1000, remaining: 990, resetSeconds: 1800 });
    expect(b.snapshot().perHour).toBe(1000);
    expect(b.capacity().availableNow).toBe(10);
    b.observe({ limit: 1000, remaining: 0, resetSeconds: 60 });
    expect(b.capacity().availableNow).toBe(0);
    expect(b.delayMs()).toBe(60_000);
  });

  it('observe of a per-second window lowers the tokens only', () => {
    const b = new RateBudget('c', { ratePerSecond: 10, now: () => Date.now() });
    b.observe({ limit: 10, remaining: 3, resetSeconds: 1 });
    expect(b.capacity().availableNow).toBe(3);
    expect(b.snapshot().perHour).toBeUndefined();
  });

  it('observe of a per-second limit above ours raises the rate (a higher Brevo tier), never lowers it', async () => {
    const b = new RateBudget('c', { ratePerSecond: 10 * 4, burst: 5, timeScale: 4, now: () => Date.now() });
    b.observe({ limit: 60, remaining: 59, resetSeconds: 1 });
    expect(b.snapshot().ratePerSecond).toBe(60 * 4);
    expect(b.capacity().sustainedPerSecond).toBe(240);
    // 240 requests/s real: in 260 ms the 5 tokens held plus 62 more (at the General tier's 40/s: 5 + 10)
    let served = 0;
    for (let i = 0; i < 90; i++) void b.acquire().then(() => served++);
    await vi.advanceTimersByTimeAsync(260);
    expect(served).toBe(67);
    b.observe({ limit: 10, remaining: 9, resetSeconds: 1 });
    expect(b.snapshot().ratePerSecond).toBe(240);
  });

  it('acquire rejects when aborted while waiting and frees the slot for others', async () => {
    const b = new RateBudget('t', { ratePerSecond: 1, now: () => Date.now() });
    await b.acquire();
    const ac = new AbortController();
    const aborted = b.acquire({ signal: ac.signal });
    const next = b.acquire();
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await vi.advanceTimersByTimeAsync(1000);
    await expect(next).resolves.toBeGreaterThanOrEqual(999);
  });

  it('tryAcquire takes only free slots', () => {
    const b = new RateBudget('t', { ratePerSecond: 2, now: () => Date.now() });
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
  });
});

describe('vendor budgets', () => {
  it('Twilio: documented rates, scaled', () => {
    const t = budgetsForTwilio('WS' + '0'.repeat(32));
    expect([t.flex, t.conversations, t.taskrouter, t.events].map((b) => b.snapshot().ratePerSecond)).toEqual([100, 100, 30, 20]);
    const s = budgetsForTwilio('WSx', 10);
    expect(s.taskrouter.snapshot().ratePerSecond).toBe(300);
  });

  it('time scale multiplies rates but the burst stays half an emulated second (Brevo\'s bucket absorbs jitter)', () => {
    const b = budgetsForBrevo(60);
    expect(b.contacts.snapshot().ratePerSecond).toBe(600);
    expect(b.contacts.capacity()).toMatchObject({ availableNow: 5, sustainedPerSecond: 600 });
    expect(b.other.capacity().sustainedPerSecond).toBeCloseTo(100 / 60);
  });

  it('Brevo: contacts and events 10 rps, other 100 per hour; paths route to the right budget', () => {
    const b = budgetsForBrevo();
    expect(b.contacts.snapshot().ratePerSecond).toBe(10);
    expect(b.events.snapshot().ratePerSecond).toBe(10);
    expect(b.other.snapshot().perHour).toBe(100);
    expect(brevoBudgetFor(b, 'POST', '/contacts/import')).toBe(b.contacts);
    expect(brevoBudgetFor(b, 'PUT', '/contacts/abc?identifierType=ext_id')).toBe(b.contacts);
    expect(brevoBudgetFor(b, 'POST', '/events')).toBe(b.events);
    expect(brevoBudgetFor(b, 'POST', '/events/batch')).toBe(b.other);
    expect(brevoBudgetFor(b, 'GET', '/processes/7')).toBe(b.other);
    expect(brevoBudgetFor(b, 'GET', '/account')).toBe(b.other);
  });
});

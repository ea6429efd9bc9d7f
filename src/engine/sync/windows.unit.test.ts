import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefetch } from './prefetch.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, RETENTION_MARGIN_MS, RETENTION_MS, syncRange, windowSizer } from './windows.js';

const NOW = Date.UTC(2026, 5, 30, 12);
const FLOOR = NOW - RETENTION_MS + RETENTION_MARGIN_MS;

describe('syncRange', () => {
  it('full: from the retention start by default, from --since when given', () => {
    expect(syncRange({ type: 'full', nowMs: NOW, lookbackMinutes: 10 })).toEqual({ startMs: FLOOR, endMs: NOW, warnings: [] });
    expect(syncRange({ type: 'full', nowMs: NOW, sinceMs: NOW - 2 * DAY_MS, lookbackMinutes: 10 }).startMs).toBe(NOW - 2 * DAY_MS);
  });

  it('clamps a --since older than 30 days with a warning', () => {
    const r = syncRange({ type: 'full', nowMs: NOW, sinceMs: NOW - 90 * DAY_MS, lookbackMinutes: 10 });
    expect(r.startMs).toBe(FLOOR);
    expect(r.warnings[0]).toMatch(/30-day/);
  });

  it('incremental: from the cursor minus the lookback; without a cursor like a full', () => {
    expect(syncRange({ type: 'incremental', nowMs: NOW, cursorEndMs: NOW - HOUR_MS, lookbackMinutes: 10 }).startMs).toBe(NOW - HOUR_MS - 10 * MINUTE_MS);
    expect(syncRange({ type: 'incremental', nowMs: NOW, lookbackMinutes: 10 }).startMs).toBe(FLOOR);
    // a cursor older than the retention still starts inside it
    expect(syncRange({ type: 'incremental', nowMs: NOW, cursorEndMs: NOW - 60 * DAY_MS, lookbackMinutes: 10 }).startMs).toBe(FLOOR);
  });

  it('warns when task events were lost to the retention: a first incremental --since, or a cursor older than 30 days', () => {
    const since = syncRange({ type: 'incremental', nowMs: NOW, sinceMs: NOW - 90 * DAY_MS, lookbackMinutes: 10 });
    expect(since.startMs).toBe(FLOOR);
    expect(since.warnings).toHaveLength(1);
    expect(since.warnings[0]).toMatch(/30-day/);
    const stale = syncRange({ type: 'incremental', nowMs: NOW, cursorEndMs: NOW - 45 * DAY_MS, lookbackMinutes: 10 });
    expect(stale.startMs).toBe(FLOOR);
    expect(stale.warnings).toHaveLength(1);
    expect(stale.warnings[0]).toMatch(/30-day/);
    expect(stale.warnings[0]).toContain(new Date(NOW - 45 * DAY_MS).toISOString());
    // only the lookback reaches past the retention: nothing was missed
    expect(syncRange({ type: 'incremental', nowMs: NOW, cursorEndMs: FLOOR + MINUTE_MS, lookbackMinutes: 10 }).warnings).toEqual([]);
    // a cursor wins over --since in an incremental run: no warning about a --since that is not used
    expect(syncRange({ type: 'incremental', nowMs: NOW, sinceMs: NOW - 90 * DAY_MS, cursorEndMs: NOW - HOUR_MS, lookbackMinutes: 10 }).warnings).toEqual([]);
  });

  it('never starts after now', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100 * DAY_MS, max: 10 * DAY_MS }), fc.integer({ min: 0, max: 600 }), (offset, lb) => {
        const r = syncRange({ type: 'incremental', nowMs: NOW, cursorEndMs: NOW + offset, lookbackMinutes: lb });
        expect(r.startMs).toBeLessThanOrEqual(NOW);
        expect(r.startMs).toBeGreaterThanOrEqual(FLOOR);
      }),
    );
  });
});

describe('windowSizer', () => {
  it('keeps windows near the target pages: shrinks above twice it, grows at half of it, within bounds', () => {
    const s = windowSizer(HOUR_MS, 5 * MINUTE_MS, DAY_MS, 2);
    s.observe(5, 5000, 1000);
    expect(s.sizeMs).toBe(HOUR_MS / 2);
    for (let i = 0; i < 10; i++) s.observe(9, 9000, 1000);
    expect(s.sizeMs).toBe(5 * MINUTE_MS);
    for (let i = 0; i < 20; i++) s.observe(1, 0, 1000);
    expect(s.sizeMs).toBe(DAY_MS);
    s.observe(3, 2500, 1000);
    expect(s.sizeMs).toBe(DAY_MS);
  });

  it('defaults: from one hour up to a week, about 8 pages a window', () => {
    const s = windowSizer();
    expect(s.sizeMs).toBe(HOUR_MS);
    const perHour = 200;
    for (let i = 0; i < 12; i++) {
      const records = Math.round((s.sizeMs / HOUR_MS) * perHour);
      s.observe(Math.max(1, Math.ceil(records / 1000)), records, 1000);
    }
    // 200 events an hour: 16 h hold 3,200 (≤ 4 pages: doubled), 32 h hold 6,400 (7 pages: kept).
    expect(s.sizeMs).toBe(32 * HOUR_MS);
    for (let i = 0; i < 20; i++) s.observe(1, 10, 1000);
    expect(s.sizeMs).toBe(7 * DAY_MS);
  });
});

describe('prefetch', () => {
  it('asks for the next item while the consumer works on the current one', async () => {
    const log: string[] = [];
    async function* src() {
      for (let i = 0; i < 3; i++) {
        log.push(`fetch ${i}`);
        yield i;
      }
    }
    for await (const i of prefetch(src())) {
      await new Promise((r) => setTimeout(r, 5));
      log.push(`use ${i}`);
    }
    expect(log).toEqual(['fetch 0', 'fetch 1', 'use 0', 'fetch 2', 'use 1', 'use 2']);
  });

  it('surfaces a failure of the prefetched step to the consumer', async () => {
    async function* src() {
      yield 1;
      throw new Error('boom');
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const i of prefetch(src())) got.push(i);
      })(),
    ).rejects.toThrow('boom');
    expect(got).toEqual([1]);
  });
});

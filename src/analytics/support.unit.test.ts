import { describe, expect, it } from 'vitest';
import { isTajoError } from '../core/errors.js';
import { SwrCache } from './cache.js';
import { BudgetHistory, cursorPosition } from './health.js';
import { reportCsv, sparkline, table } from './text.js';
import { parseRange, parseTime } from './time.js';
import type { Report } from './types.js';

describe('time arguments', () => {
  const now = Date.UTC(2026, 10, 24, 12);
  it('ISO dates are UTC midnight; date-times, epoch ms and durations ago', () => {
    expect(parseTime('2026-11-01', now)).toBe(Date.UTC(2026, 10, 1));
    expect(parseTime('2026-11-01T10:30:00+01:00', now)).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseTime('1795539684500', now)).toBe(1795539684500);
    expect(parseTime('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseTime('12h', now)).toBe(now - 12 * 3_600_000);
    expect(parseTime('30m', now)).toBe(now - 1_800_000);
    expect(() => parseTime('yesterday', now)).toThrow(/not a time/);
    let err: unknown;
    try {
      parseRange('2026-11-02', '2026-11-01', now);
    } catch (e) {
      err = e;
    }
    expect(isTajoError(err, 'TAJO_USAGE')).toBe(true);
    expect(parseRange(undefined, '', now)).toEqual({});
  });

  it('a date-time without an offset is UTC whatever the machine time zone says', () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(parseTime('2026-11-01T10:00:00', now)).toBe(Date.UTC(2026, 10, 1, 10));
      expect(parseTime('2026-11-01 10:00', now)).toBe(Date.UTC(2026, 10, 1, 10));
      expect(parseTime('2026-11-01T10:00:00.250', now)).toBe(Date.UTC(2026, 10, 1, 10, 0, 0, 250));
      expect(parseTime('2026-11-01T10:00Z', now)).toBe(Date.UTC(2026, 10, 1, 10));
      expect(parseTime('2026-11-01T10:00:00-0500', now)).toBe(Date.UTC(2026, 10, 1, 15));
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  it('refuses what is not an ISO date, date-time, epoch ms or duration (instead of a guess or a crash)', () => {
    // Date.parse would read these as 2001-11-03, 2001-01-01, the year 12345 and 2026-03-02
    for (const v of ['Nov 3', '1', '12345', '2026-02-30', '2026-11-01T24:30', 'Tue, 03 Nov 2026 10:00:00 GMT']) {
      expect(() => parseTime(v, now), v).toThrow(/not a time/);
    }
    // outside what a date can hold: a coded error, not a RangeError when the report prints the range
    for (const v of ['200000000d', '99999999999999999999']) {
      let err: unknown;
      try {
        parseTime(v, now, 'since');
      } catch (e) {
        err = e;
      }
      expect(isTajoError(err, 'TAJO_USAGE'), v).toBe(true);
    }
  });
});

describe('renderings', () => {
  it('sparklines scale between min and max; gaps stay blank', () => {
    expect(sparkline([0, 7, 14])).toBe('▁▅█');
    expect(sparkline([5, null, 5])).toBe('▄ ▄');
    expect(sparkline([])).toBe('');
  });

  it('tables pad columns and right-align numbers', () => {
    expect(table(['queue', 'entered'], [['Voice', 1200], ['Messaging Support', 7]])).toEqual([
      'queue              entered',
      'Voice                1,200',
      'Messaging Support        7',
    ]);
  });

  it('CSV quotes what needs quoting and leaves nulls empty', () => {
    const r = { queues: [{ queue_name: 'Sales, "EU"', entered: 3, wait_p50: null }] } as unknown as Report;
    expect(reportCsv(r, 'queues')).toBe('queue_name,entered,wait_p50\n"Sales, ""EU""",3,');
  });
});

describe('stale-while-revalidate cache', () => {
  it('computes a new key, serves a stale value at once while one refresh runs, then the refreshed one', async () => {
    let t = 0;
    let n = 0;
    const cache = new SwrCache<number>({ freshMs: 100, now: () => t });
    const compute = async () => ++n;
    expect(await cache.get('k', compute)).toBe(1);
    t = 50;
    expect(await cache.get('k', compute)).toBe(1);
    t = 150;
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    expect([a, b]).toEqual([1, 1]);
    await new Promise((r) => setTimeout(r, 0));
    expect(n).toBe(2);
    expect(await cache.get('k', compute)).toBe(2);
    expect(await new SwrCache<number>({ freshMs: 0 }).get('k', compute)).toBe(3);
  });

  it('a failed first computation is not cached', async () => {
    const cache = new SwrCache<number>({ freshMs: 1000 });
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => 7)).toBe(7);
  });
});

describe('health helpers', () => {
  it('cursor positions from the known time fields', () => {
    expect(cursorPosition({ windowEndMs: 5, lastEventSid: 'EV1' })).toBe(5);
    expect(cursorPosition({ refreshedThroughMs: 9 })).toBe(9);
    expect(cursorPosition({ hash: 'x' })).toBeNull();
    expect(cursorPosition('2026')).toBeNull();
  });

  it('budget history: requests per second and share of the documented rate between samples', () => {
    let used = 0;
    const h = new BudgetHistory(() => [{ name: 'b', ratePerSecond: 10, used, waitedMs: 0, throttled: 0, pauses: 0 }], 2);
    h.sample(0);
    used = 20;
    h.sample(4000);
    expect(h.history()).toEqual([{ at: new Date(4000).toISOString(), rates: { b: 5 }, use_pct: { b: 50 } }]);
    used = 200;
    h.sample(5000);
    used = 200;
    h.sample(6000);
    expect(h.history().map((s) => s.use_pct.b)).toEqual([100, 0]);
  });
});

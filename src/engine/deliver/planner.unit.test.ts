import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventsPerBatch, planBackfillEvents, planContacts, planEvents, timeForCalls, type Capacity } from './planner.js';

const fresh10: Capacity = { availableNow: 10, sustainedPerSecond: 10 };
const hourlyFree: Capacity = { availableNow: 100, sustainedPerSecond: 100 / 3600 };
const hourlySpent: Capacity = { availableNow: 0, sustainedPerSecond: 100 / 3600 };

describe('timeForCalls', () => {
  it('free calls start at once, the rest at the sustained rate', () => {
    expect(timeForCalls(10, fresh10)).toBe(0);
    expect(timeForCalls(150, fresh10)).toBe(14_000);
    expect(timeForCalls(2, hourlySpent)).toBe(72_000);
    expect(timeForCalls(1, { availableNow: 0, sustainedPerSecond: 0 })).toBe(Infinity);
    expect(timeForCalls(0, hourlySpent)).toBe(0);
  });
});

describe('planContacts', () => {
  it('one by one below the threshold', () => {
    const p = planContacts({ importable: 49, singlesOnly: 2, contacts: fresh10, other: hourlyFree });
    expect(p).toMatchObject({ importCalls: 0, importContacts: 0, singles: 51 });
  });
  it('imports from 50 contacts when the catch-all can pay for polling; consent-flagged ones stay single', () => {
    const p = planContacts({ importable: 50, singlesOnly: 3, contacts: fresh10, other: hourlyFree });
    expect(p).toMatchObject({ importCalls: 1, importContacts: 50, singles: 3 });
  });
  it('splits big imports', () => {
    expect(planContacts({ importable: 12_000, singlesOnly: 0, contacts: fresh10, other: hourlyFree, maxPerImport: 5_000 })).toMatchObject({ importCalls: 3 });
  });
  it('falls back to one by one when the catch-all cannot pay the polls', () => {
    const p = planContacts({ importable: 500, singlesOnly: 0, contacts: fresh10, other: { availableNow: 6, sustainedPerSecond: 0.03 } });
    expect(p).toMatchObject({ importCalls: 0, singles: 500 });
    expect(p.reason).toMatch(/polling/);
  });
  it('notifyUrl makes polling unnecessary', () => {
    expect(planContacts({ importable: 500, singlesOnly: 0, contacts: fresh10, other: hourlySpent, notify: true })).toMatchObject({ importCalls: 1 });
  });
});

describe('planEvents', () => {
  it('few events go as singles (a batch would not save a second)', () => {
    expect(planEvents({ count: 12, single: fresh10, batch: hourlyFree })).toMatchObject({ batchCalls: 0, singleEvents: 12 });
  });
  it('150 events: one batch call beats 14 s of singles', () => {
    expect(planEvents({ count: 150, single: fresh10, batch: hourlyFree })).toMatchObject({ batchCalls: 1, batchEvents: 150, singleEvents: 0, etaMs: 0 });
  });
  it('1,000 events with a fresh catch-all: 5 batch calls', () => {
    expect(planEvents({ count: 1000, single: fresh10, batch: hourlyFree })).toMatchObject({ batchCalls: 5, batchEvents: 1000 });
  });
  it('spent catch-all: a mix finishes soonest (1 batch at 36 s, 200 singles in 19 s)', () => {
    const p = planEvents({ count: 400, single: fresh10, batch: hourlySpent });
    expect(p).toMatchObject({ batchCalls: 1, batchEvents: 200, singleEvents: 200, etaMs: 36_000 });
  });
  it('a higher observed batch limit shifts work to batches', () => {
    const dedicated: Capacity = { availableNow: 10, sustainedPerSecond: 10 };
    const p = planEvents({ count: 5000, single: fresh10, batch: dedicated });
    expect(p.batchEvents).toBe(5000);
    expect(p.batchCalls).toBe(25);
  });
  it('respects the per-batch size from the 512 KB limit', () => {
    expect(eventsPerBatch(500)).toBe(200);
    expect(eventsPerBatch(10_000)).toBe(52);
    expect(planEvents({ count: 104, single: { availableNow: 0, sustainedPerSecond: 10 }, batch: hourlyFree, perBatch: 52 })).toMatchObject({ batchCalls: 2, batchEvents: 104 });
  });

  it('property: covers every event exactly, never slower than all singles, batch events fit in the calls', () => {
    const cap = fc.record({ availableNow: fc.integer({ min: 0, max: 200 }), sustainedPerSecond: fc.double({ min: 0.001, max: 100, noNaN: true }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), cap, cap, fc.integer({ min: 1, max: 200 }), (count, single, batch, per) => {
        const p = planEvents({ count, single, batch, perBatch: per });
        return (
          p.batchEvents + p.singleEvents === count &&
          p.batchEvents <= p.batchCalls * per &&
          p.etaMs <= timeForCalls(count, single) &&
          (p.batchCalls === 0 || p.batchEvents > (p.batchCalls - 1) * per)
        );
      }),
    );
  });
});

describe('planBackfillEvents', () => {
  it('singles first, then only full batches within the tokens, the rest singles', () => {
    expect(planBackfillEvents({ count: 500, perBatch: 200, batchTokens: 50, singlesFirst: 600 })).toMatchObject({ batchCalls: 0, singleEvents: 500 });
    expect(planBackfillEvents({ count: 2000, perBatch: 200, batchTokens: 50, singlesFirst: 600 })).toMatchObject({ batchCalls: 7, batchEvents: 1400, singleEvents: 600 });
    expect(planBackfillEvents({ count: 2000, perBatch: 200, batchTokens: 3, singlesFirst: 600 })).toMatchObject({ batchCalls: 3, batchEvents: 600, singleEvents: 1400 });
    expect(planBackfillEvents({ count: 799, perBatch: 200, batchTokens: 9, singlesFirst: 600 })).toMatchObject({ batchCalls: 0, singleEvents: 799 });
    expect(planBackfillEvents({ count: 2000, perBatch: 120, batchTokens: 0, singlesFirst: 0 })).toMatchObject({ batchCalls: 0, singleEvents: 2000 });
  });

  it('property: every event planned once, batches are full, never more batches than tokens', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.integer({ min: 1, max: 200 }), fc.integer({ min: -5, max: 120 }), fc.nat(3000), (count, perBatch, batchTokens, singlesFirst) => {
        const p = planBackfillEvents({ count, perBatch, batchTokens, singlesFirst });
        expect(p.batchEvents + p.singleEvents).toBe(count);
        expect(p.batchEvents).toBe(p.batchCalls * perBatch);
        expect(p.batchCalls).toBeLessThanOrEqual(Math.max(0, batchTokens));
        expect(p.singleEvents).toBeGreaterThanOrEqual(Math.min(count, singlesFirst));
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { readyInMs, spendBudget, type BudgetSpend } from './scale.js';

const req = (over: Partial<BudgetSpend> = {}): BudgetSpend => ({ name: 'b', ratePerSecond: 10, burst: 10, want: 1, ...over });

describe('spendBudget (shared token bucket arithmetic)', () => {
  it('starts full, refills at the rate up to the burst, and reports the wait for the next token', () => {
    let r = spendBudget(undefined, req({ want: 10 }), 0);
    expect(r.grant).toMatchObject({ granted: 10, tokens: 0, waitMs: 100 });
    r = spendBudget(r.row, req({ want: 3 }), 250); // 2.5 tokens refilled
    expect(r.grant).toMatchObject({ granted: 2, waitMs: 50 });
    r = spendBudget(r.row, req({ want: 0 }), 60_000);
    expect(r.grant.tokens).toBe(10); // capped at the burst
  });

  it('never grants more than rate × elapsed + burst over any run of spends', () => {
    let row;
    let granted = 0;
    let t = 0;
    for (let i = 0; i < 500; i++) {
      t += Math.floor(Math.random() * 40);
      const r = spendBudget(row, req({ want: 1 + Math.floor(Math.random() * 4) }), t);
      row = r.row;
      granted += r.grant.granted;
    }
    expect(granted).toBeLessThanOrEqual(10 + Math.floor((t * 10) / 1000));
  });

  it('a fixed window caps spends and rolls over', () => {
    const w = { perWindow: 3, windowMs: 1000 };
    let r = spendBudget(undefined, req({ ...w, want: 5, ratePerSecond: 1000 }), 0);
    expect(r.grant).toMatchObject({ granted: 3, windowUsed: 3, waitMs: 1000 });
    r = spendBudget(r.row, req({ ...w, want: 1, ratePerSecond: 1000 }), 999);
    expect(r.grant.granted).toBe(0);
    r = spendBudget(r.row, req({ ...w, want: 1, ratePerSecond: 1000 }), 1000);
    expect(r.grant).toMatchObject({ granted: 1, windowUsed: 1 });
  });

  it('observations lower the tokens and never lower the window count within the same window', () => {
    let r = spendBudget(undefined, req({ want: 0, observed: { tokensAtMost: 2 } }), 0);
    expect(r.grant.tokens).toBe(2);
    const w = { perWindow: 100, windowMs: 3_600_000 };
    r = spendBudget(undefined, req({ ...w, want: 5 }), 0);
    r = spendBudget(r.row, req({ ...w, want: 0, observed: { windowUsed: 2, windowEndsInMs: 3_600_000 - 10 } }), 10);
    expect(r.grant.windowUsed).toBe(5);
    r = spendBudget(r.row, req({ ...w, want: 0, observed: { windowUsed: 97, windowEndsInMs: 3_000_000 } }), 20);
    expect(r.grant.windowUsed).toBe(97);
  });

  it('pauses hold every grant until they end', () => {
    let r = spendBudget(undefined, req({ want: 0, pauseMs: 500 }), 0);
    r = spendBudget(r.row, req({ want: 1 }), 499);
    expect(r.grant).toMatchObject({ granted: 0, waitMs: 1 });
    r = spendBudget(r.row, req({ want: 1 }), 500);
    expect(r.grant.granted).toBe(1);
  });

  it('reservations ahead: grants what refills within the horizon, each token ready when it has refilled', () => {
    let r = spendBudget(undefined, req({ want: 12, burst: 2, horizonMs: 500 }), 0); // 2 now + 5 within 500 ms
    expect(r.grant).toMatchObject({ granted: 7, tokens: -5 });
    expect([1, 2, 3, 4, 7].map((k) => readyInMs(r.grant, k, 10))).toEqual([0, 0, 100, 200, 500]);
    // the next spender waits for the debt to refill
    r = spendBudget(r.row, req({ want: 1, burst: 2 }), 300);
    expect(r.grant).toMatchObject({ granted: 0, waitMs: 300 });
    // release times never exceed burst + rate × elapsed
    let row;
    let t = 0;
    const releases: number[] = [];
    for (let i = 0; i < 300; i++) {
      t += Math.floor(Math.random() * 30);
      const g = spendBudget(row, req({ want: 1 + Math.floor(Math.random() * 6), burst: 3, horizonMs: 200 }), t);
      row = g.row;
      for (let k = 1; k <= g.grant.granted; k++) releases.push(t + readyInMs(g.grant, k, 10));
    }
    releases.sort((a, b) => a - b);
    for (let i = 0; i < releases.length; i++) {
      for (let j = i; j < releases.length; j++) expect(j - i + 1).toBeLessThanOrEqual(3 + Math.floor(((releases[j]! - releases[i]!) * 10) / 1000) + 1);
    }
  });

  it('refuses a budget without a finite rate', () => {
    expect(() => spendBudget(undefined, req({ ratePerSecond: Number.POSITIVE_INFINITY }), 0)).toThrow(RangeError);
  });
});

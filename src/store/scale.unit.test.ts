import { describe, expect, it } from 'vitest';
import { spendBudget, type BudgetSpend } from './scale.js';

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

  it('refuses a budget without a finite rate', () => {
    expect(() => spendBudget(undefined, req({ ratePerSecond: Number.POSITIVE_INFINITY }), 0)).toThrow(RangeError);
  });
});

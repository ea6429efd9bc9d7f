import { describe, expect, it } from 'vitest';
import { Rng, SidFactory, TICK_MS, fmix32 } from './ids.js';

describe('SidFactory', () => {
  it('makes 34-character SIDs, unique and reproducible', () => {
    const a = new SidFactory(7);
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const sid = a.next('EV');
      expect(sid).toMatch(/^EV[0-9a-f]{32}$/);
      seen.add(sid);
    }
    expect(seen.size).toBe(50_000);
    const b = new SidFactory(7);
    expect(b.next('EV')).toBe(new SidFactory(7).next('EV'));
    expect(new SidFactory(8).next('EV')).not.toBe(new SidFactory(7).next('EV'));
  });

  it('continues from a snapshot', () => {
    const a = new SidFactory(3);
    a.next('WT');
    const snap = a.snapshot();
    const next = a.next('WT');
    expect(new SidFactory(3, snap).next('WT')).toBe(next);
  });

  it('fmix32 is a bijection on a sample', () => {
    const out = new Set<number>();
    for (let i = 0; i < 100_000; i++) out.add(fmix32(i));
    expect(out.size).toBe(100_000);
  });
});

describe('Rng', () => {
  it('durations lie on the tick grid and within bounds', () => {
    const r = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const d = r.durationMs(5000, 1, 1000, 20_000);
      expect(d % TICK_MS).toBe(0);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(20_000);
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DistinctCounter } from './keyCount.js';

describe('DistinctCounter', () => {
  it('counts what a Set counts, through many growths', () => {
    const c = new DistinctCounter();
    const s = new Set<string>();
    for (let i = 0; i < 200_000; i++) {
      // repeats, near-identical keys, unicode and the empty string
      const k = i % 3 === 0 ? `contact:+1415555${i % 7_000}` : i % 3 === 1 ? `contact:user${i}@example.com` : `chat:José😀${i % 50_000}`;
      expect(c.add(k)).toBe(!s.has(k));
      s.add(k);
    }
    expect(c.add('')).toBe(true);
    expect(c.add('')).toBe(false);
    expect(c.size).toBe(s.size + 1);
  });

  it('agrees with a Set on arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3_000 }), (keys) => {
        const c = new DistinctCounter();
        for (const k of keys) c.add(k);
        expect(c.size).toBe(new Set(keys).size);
      }),
      { numRuns: 200 },
    );
  });
});

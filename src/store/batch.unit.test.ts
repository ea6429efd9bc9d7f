import { describe, expect, it } from 'vitest';
import { isCoarserCopy, pickCopy, rawEventCopies } from './batch.js';

const S = 1_714_564_800_000;
const copy = (key: string, ms: number, from: string) => ({ key, occurredMs: ms, from });

describe('copies of one TaskRouter event', () => {
  it('the whole-second copy is the coarser one only within its own second', () => {
    expect(isCoarserCopy({ occurredMs: S }, { occurredMs: S + 734 })).toBe(true);
    expect(isCoarserCopy({ occurredMs: S + 734 }, { occurredMs: S })).toBe(false);
    expect(isCoarserCopy({ occurredMs: S }, { occurredMs: S })).toBe(false);
    expect(isCoarserCopy({ occurredMs: S + 1000 }, { occurredMs: S + 734 })).toBe(false);
    expect(isCoarserCopy({ occurredMs: S + 5 }, { occurredMs: S + 734 })).toBe(false);
  });

  it('keeps the newer copy unless it is the coarser one; one copy per key in order of first appearance', () => {
    expect(pickCopy(copy('a', S + 734, 'streams'), copy('a', S, 'callback')).from).toBe('streams');
    expect(pickCopy(copy('a', S, 'callback'), copy('a', S + 734, 'streams')).from).toBe('streams');
    expect(pickCopy(copy('a', S + 1, 'first'), copy('a', S + 2, 'second')).from).toBe('second');
    expect(rawEventCopies([copy('b', S, 'callback'), copy('a', S, 'x'), copy('b', S + 9, 'streams'), copy('b', S, 'retry')]).map((c) => [c.key, c.from])).toEqual([
      ['b', 'streams'],
      ['a', 'x'],
    ]);
  });
});

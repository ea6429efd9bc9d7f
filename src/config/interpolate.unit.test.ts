import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.js';

describe('interpolate', () => {
  const env = { A: 'alpha', EMPTY: '', N: '42' };
  it.each([
    ['${A}', 'alpha', []],
    ['x-${A}-${N}', 'x-alpha-42', []],
    ['${EMPTY}', '', []],
    ['${MISSING:-dflt}', 'dflt', []],
    ['${EMPTY:-dflt}', 'dflt', []],
    ['${A:-dflt}', 'alpha', []],
    ['${MISSING:-}', '', []],
    ['${MISSING}/${ALSO}', '/', ['MISSING', 'ALSO']],
    ['$${A} costs $5', '${A} costs $5', []],
    ['no refs ${ lower', 'no refs ${ lower', []],
  ])('%j → %j', (input, value, missing) => {
    expect(interpolate(input, env)).toEqual({ value, missing });
  });
});

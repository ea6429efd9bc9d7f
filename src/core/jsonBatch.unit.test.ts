import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrayElementRanges, hasSpecFields } from './jsonBatch.js';

const asBuffer = (text: string) => Buffer.from(text, 'utf8');

/** The function rebuilt from its source text alone, as the inbox writer thread runs it. */
function fromSource<F extends (...args: never[]) => unknown>(f: F): F {
  const source = f.toString();
  // no inner functions: a transpiler would wrap them in helpers the thread does not have (esbuild's `__name` under tsx)
  expect(source.slice(source.indexOf('{'))).not.toMatch(/=>|\bfunction\b/);
  return new Function(`return (${source})`)() as F;
}

it('both functions are self-contained: rebuilt from their source text alone they give the same answers', () => {
  const buf = asBuffer('[{"a":"]"}, 1, "x" ,[2]]');
  expect(fromSource(arrayElementRanges)(buf)).toEqual(arrayElementRanges(buf));
  expect(fromSource(arrayElementRanges)(buf)).toHaveLength(4);
  const spec = { required: [['id', 3]] as const, optional: [['time', 2]] as const };
  for (const e of [{ id: 'abc' }, { id: 'abcd' }, { id: 'a', time: 'xyz' }, { id: 'a', time: 1 }, null, [], 'id']) {
    expect(fromSource(hasSpecFields)(e, spec)).toBe(hasSpecFields(e, spec));
  }
  expect(hasSpecFields({ id: 'abc', time: 'xy', other: 1 }, spec)).toBe(true);
  expect(hasSpecFields({ time: 'xy' }, spec)).toBe(false);
});

describe('arrayElementRanges', () => {
  const texts = (text: string) => {
    const buf = asBuffer(text);
    return arrayElementRanges(buf)?.map(([a, b]) => buf.toString('utf8', a, b));
  };

  it('gives each element of a top-level array exactly as sent', () => {
    expect(texts('[ {"a":"x]}\\"y","b":[1,{"c":"}"}]} ,\n"s\\u00e9",-1.5e3 ,true,null,[],{}]')).toEqual([
      '{"a":"x]}\\"y","b":[1,{"c":"}"}]}', '"s\\u00e9"', '-1.5e3', 'true', 'null', '[]', '{}',
    ]);
    expect(texts(' [] ')).toEqual([]);
    expect(texts('[{"emoji":"😀 ünïcödé ]["}]')).toEqual(['{"emoji":"😀 ünïcödé ]["}']);
  });


  it('is undefined for anything that is not an array', () => {
    for (const t of ['{"a":[1,2]}', '"[1]"', '42', '']) expect(texts(t)).toBeUndefined();
  });

  it('every element range parses to the element JSON.parse gives (fast-check, any JSON array, any spacing)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), fc.constantFrom(undefined, 1, '\t'), (arr, space) => {
        const text = JSON.stringify(arr, null, space);
        const buf = asBuffer(text);
        const ranges = arrayElementRanges(buf);
        expect(ranges).toHaveLength(arr.length);
        expect(ranges!.map(([a, b]) => JSON.parse(buf.toString('utf8', a, b)) as unknown)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });
});

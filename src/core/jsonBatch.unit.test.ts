import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrayElementRanges, batchKeys, hasSpecFields } from './jsonBatch.js';

const asBuffer = (text: string) => Buffer.from(text, 'utf8');

it('hasSpecFields: required fields are strings within their limit, optional ones when present', () => {
  const spec = { required: [['id', 3]] as const, optional: [['time', 2]] as const };
  const results = [{ id: 'abc' }, { id: 'abcd' }, { id: 'a', time: 'xyz' }, { id: 'a', time: 1 }, { id: '' }, null, [], 'id'].map((e) => hasSpecFields(e, spec));
  expect(results).toEqual([true, false, false, false, false, false, false, false]);
  expect(hasSpecFields({ id: 'abc', time: 'xy', other: 1 }, spec)).toBe(true);
  expect(hasSpecFields({ time: 'xy' }, spec)).toBe(false);
});

it('batchKeys: the keys of a batch the spec takes as is, in order with repeats; undefined for anything else', () => {
  const spec = { keyField: 'id', typeField: 'type', required: [['id', 4], ['type', 8]] as const, optional: [], fallbackTypes: ['test'], maxItems: 3 };
  const keys = (v: unknown) => batchKeys(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), spec);
  expect(keys([{ id: 'a', type: 't' }, { id: 'b', type: 't', data: {} }, { id: 'a', type: 't' }])).toEqual(['a', 'b', 'a']);
  for (const bad of ['[{"id":"a","type":"t"}', [], [{ id: 'a', type: 't' }, { id: 'b', type: 't' }, { id: 'c', type: 't' }, { id: 'd', type: 't' }],
    [{ id: 'a', type: 'test' }], [{ id: 'toolong', type: 't' }], [{ id: 'a' }], [1], { id: 'a', type: 't' }, 'null']) {
    expect(keys(bad), JSON.stringify(bad)).toBeUndefined();
  }
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

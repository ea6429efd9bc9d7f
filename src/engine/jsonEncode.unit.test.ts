import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringifyToBuffer } from './jsonEncode.js';
import { largestAllocation } from './test-helpers/largestAllocation.js';

const stringify = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

describe('stringifyToBuffer', () => {
  it('writes the bytes JSON.stringify writes, for every kind of member', () => {
    const contacts = Array.from({ length: 3_000 }, (_, i) => ({ ext_id: `+1415555${String(i).padStart(4, '0')}`, email: i % 3 ? undefined : `c${i}@example.com`, attributes: { NAME: 'José 😀 中文 "q" \\ \n', N: i / 7, OK: i % 2 === 0, NIL: null } }));
    const docs: unknown[] = [
      { jsonBody: contacts, listIds: [3, 4], updateExistingContacts: true, notifyUrl: undefined, fn: () => 1 },
      { events: [1, undefined, () => 2, Symbol('s'), null, 'x', new Date(0), { toJSON: () => 'custom' }, [1, [2]]], when: new Date(86_400_000) },
      { a: [], b: {}, c: '', d: 0, e: -0, f: Number.NaN, g: Number.POSITIVE_INFINITY, h: Object.assign(new Array<unknown>(2), { 1: 1 }) },
      Object.assign(Object.create(null) as object, { nullProto: [1, 2] }),
      {},
      [1, { a: [2] }],
      'top-level string',
      42,
      null,
      new Date(5),
      { toJSON: () => ({ replaced: [1] }) },
    ];
    for (const d of docs) expect(stringifyToBuffer(d).equals(stringify(d))).toBe(true);
  });

  it('agrees with JSON.stringify on arbitrary JSON values (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 50 }))), (doc) => {
        expect(stringifyToBuffer(doc).equals(stringify(doc))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('throws where JSON.stringify throws, and for a value with no JSON form', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = [cyclic];
    expect(() => stringifyToBuffer(cyclic)).toThrow(TypeError);
    expect(() => stringifyToBuffer({ n: [1n] })).toThrow(TypeError);
    expect(() => stringifyToBuffer(undefined)).toThrow(TypeError);
  });

  it('writes a large import body without allocating a large string (V8 sampling heap profiler)', async () => {
    const body = { jsonBody: Array.from({ length: 5_000 }, (_, i) => ({ ext_id: `+1415555${String(i).padStart(4, '0')}`, attributes: { NOTE: 'é'.repeat(300) } })), listIds: [1] };
    // JSON.stringify itself returns a tree of small parts; encoding it (what fetch does with a string body) flattens it
    const whole = await largestAllocation(() => Buffer.from(JSON.stringify(body), 'utf8'));
    expect(whole.bytes).toBeGreaterThan(1_000_000);
    const chunked = await largestAllocation(() => stringifyToBuffer(body));
    expect(chunked.bytes).toBeLessThan(128 * 1024);
    expect((chunked.value as Buffer).equals(stringify(body))).toBe(true);
  });
});

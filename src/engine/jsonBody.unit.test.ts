import { describe, expect, it } from 'vitest';
import { parseJsonBuffer, SPLIT_FROM_BYTES } from './jsonBody.js';
import { largestAllocation } from './test-helpers/largestAllocation.js';

/** Pads a document past the split threshold with a large array member. */
const large = (doc: Record<string, unknown>) => ({ ...doc, pad: Array.from({ length: Math.ceil(SPLIT_FROM_BYTES / 40) }, (_, i) => ({ i, s: 'x'.repeat(30) })) });
const asBuffer = (text: string) => Buffer.from(text, 'utf8');

/** Outcome of a parse: the value, or the error's class and message. */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (err) {
    return { error: err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err) };
  }
}

describe('parseJsonBuffer', () => {
  it('equals JSON.parse on large documents with every kind of member', () => {
    const doc = large({
      events: [
        { sid: 'EV1', data: { note: 'quote " and brackets ] } [ { , : inside', esc: 'back\\slash \\" \n tab\t', uni: 'José 😀 中文' }, n: -1.5e3 },
        [],
        {},
        'plain string',
        42,
        true,
        null,
        [[1, [2, [3]]], { a: [{ b: '}' }] }],
      ],
      meta: { page: 0, page_size: 1000, next_page_url: 'https://x/y?PageToken=PT%5B%5D', key: 'events' },
      empty: [],
      nothing: null,
      number: 0.1,
      text: '"',
    });
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2), `  \n${JSON.stringify(doc, null, '\t')}\r\n `]) {
      expect(asBuffer(text).length).toBeGreaterThanOrEqual(SPLIT_FROM_BYTES);
      expect(parseJsonBuffer(asBuffer(text))).toStrictEqual(JSON.parse(text));
    }
  });

  it('keeps JSON.parse semantics for duplicate keys, "__proto__" and key order', () => {
    const pad = JSON.stringify(large({}).pad);
    const text = `{"b":1,"__proto__":{"polluted":true},"a":[1],"b":2,"pad":${pad}}`;
    const got = parseJsonBuffer(asBuffer(text)) as Record<string, unknown>;
    const want = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(got)).toEqual(Object.keys(want));
    expect(got).toStrictEqual(want);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('gives JSON.parse’s result or error for anything it does not split', () => {
    const pad = JSON.stringify(large({}).pad);
    const cases = [
      pad, // a top-level array
      `"${'s'.repeat(SPLIT_FROM_BYTES)}"`,
      `{"a":${pad}`, // unterminated object
      `{"a":${pad},}`, // trailing comma
      `{"a":${pad} "b":1}`, // missing comma
      `{"a":[1}, "pad":${pad}}`, // mismatched bracket
      `{"a":tru, "pad":${pad}}`,
      `{"a":1, "pad":${pad}} x`, // trailing garbage
      `{a:1, "pad":${pad}}`,
      `{"a":"unterminated, "pad":${pad}}`,
      '{}',
      '',
    ];
    for (const text of cases) expect(outcome(() => parseJsonBuffer(asBuffer(text)))).toStrictEqual(outcome(() => JSON.parse(text)));
  });

  it('parses a large list page without allocating a large string (V8 sampling heap profiler)', async () => {
    const page = asBuffer(JSON.stringify({ events: Array.from({ length: 1000 }, (_, i) => ({ sid: `EV${i}`, event_data: { note: 'é'.repeat(800) } })), meta: { key: 'events' } }));
    expect(page.length).toBeGreaterThan(1_000_000);
    expect((await largestAllocation(() => JSON.parse(page.toString('utf8')))).bytes).toBeGreaterThan(4 * SPLIT_FROM_BYTES);
    const split = await largestAllocation(() => parseJsonBuffer(page));
    expect(split.value).toBeTruthy();
    expect(split.bytes).toBeLessThan(SPLIT_FROM_BYTES);
    expect(parseJsonBuffer(page)).toStrictEqual(JSON.parse(page.toString('utf8')));
  });
});

import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { decodeBody } from './http.js';

const largeObjects = () => getHeapSpaceStatistics().filter((s) => s.space_name.includes('large_object')).reduce((n, s) => n + s.space_used_size, 0);

describe('decodeBody', () => {
  it('decodes UTF-8 bodies exactly, ASCII or not', () => {
    for (const s of ['{"a":1}', '{"name":"José Müller","e":"😀"}', '', '{"escaped":"\\u00e9"}']) expect(decodeBody(Buffer.from(s, 'utf8'))).toBe(s);
    const big = (s: string) => Buffer.from(`{"p":"${s.repeat(Math.ceil(1_100_000 / s.length))}"}`, 'utf8');
    for (const s of ['a', 'é', '😀']) expect(decodeBody(big(s))).toBe(big(s).toString('utf8'));
  });

  it('decodes invalid UTF-8 like the plain decode (replacement characters), large or small', () => {
    for (const n of [10, 1_100_000]) {
      const buf = Buffer.concat([Buffer.from('"'), Buffer.alloc(n, 0x61), Buffer.from([0xff, 0xc3]), Buffer.from('é"')]);
      expect(decodeBody(buf)).toBe(buf.toString('utf8'));
    }
  });

  it.each([
    ['ASCII', 'x'],
    ['non-ASCII', 'é😀'],
  ])('keeps a large %s body out of the V8 heap (an external string), unlike a plain UTF-8 decode', (_kind, sample) => {
    const body = Buffer.from(JSON.stringify({ events: Array.from({ length: 20_000 }, (_, i) => ({ sid: `EV${i}`, pad: sample.repeat(60) })) }));
    expect(body.length).toBeGreaterThan(1_100_000);
    const keep: string[] = [];
    const before = largeObjects();
    keep.push(decodeBody(body));
    const external = largeObjects() - before;
    keep.push(body.toString('utf8'));
    const inHeap = largeObjects() - before - external;
    expect(external).toBeLessThan(100_000);
    expect(inHeap).toBeGreaterThan(1_000_000);
    expect(keep[0]).toBe(keep[1]);
  });
});

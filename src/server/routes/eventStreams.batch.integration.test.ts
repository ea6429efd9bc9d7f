/**
 * The Event Streams fast path (`Store.ingestJsonBatch` with `CLOUD_EVENT_BATCH`: the SQLite writer thread decodes,
 * checks and stores a batch) against the main-thread path it stands in for (`validateEventStreamsBatch`, test events
 * handled by the route): it may only ever store what that path would, exactly as sent (one inbox row per delivery,
 * migration 0005), and hands everything else back.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { arrayElementRanges } from '../../core/jsonBatch.js';
import { TEST_EVENT_TYPE } from '../../engine/ingest/sinkHandshake.js';
import type { Store } from '../../store/store.js';
import { tempStore } from '../test-helpers/fixtures.js';
import { CLOUD_EVENT_BATCH, validateEventStreamsBatch } from './eventStreams.validate.js';

let store: Store;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ store, dir, cleanup } = await tempStore());
});
afterAll(async () => cleanup());

/** Short strings, strings at the field's length limit (±1), and values of other types. */
const str = (max: number) =>
  fc.oneof(fc.string({ maxLength: 12 }), fc.string({ minLength: max - 1, maxLength: max + 1 }), fc.constant(''), fc.integer(), fc.constant(null));
const id = fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ minLength: 255, maxLength: 257 }), fc.constant(''), fc.integer());
const event = fc.record(
  {
    specversion: str(16), type: fc.oneof(str(256), fc.constant(TEST_EVENT_TYPE)), source: str(1024), id, time: str(64), dataschema: str(1024),
    datacontenttype: str(256), data: fc.jsonValue(), other: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  { weight: 4, arbitrary: fc.array(event, { maxLength: 6 }) },
  { weight: 1, arbitrary: event },
  { weight: 1, arbitrary: fc.jsonValue() },
);

it('property: stores exactly the batches the main-thread path accepts (less test events), each event as sent; else nothing', async () => {
  const db = new Database(join(dir, 'tajo.db'), { readonly: true });
  // the batch row (migration 0005) that holds a key
  const rowOf = db.prepare('SELECT i.payload, i.item_keys FROM inbox_keys k JOIN inbox i ON i.id = k.inbox_id WHERE k.key = ?');
  const stored = new Set<string>();
  try {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(undefined, 2, '\t'), async (value, space) => {
        const text = JSON.stringify(value, null, space);
        const r = await store.ingestJsonBatch!(Buffer.from(text), 'event-streams', CLOUD_EVENT_BATCH);
        const main = validateEventStreamsBatch(value);
        const takes = main.ok && Array.isArray(value) && main.value.every((e) => e.type !== TEST_EVENT_TYPE);
        if (!takes) {
          expect(r).toBeUndefined();
          return;
        }
        const events = main.value;
        const fresh = [...new Set(events.map((e) => e.id))].filter((k) => !stored.has(k));
        expect(r).toEqual({ accepted: fresh.length, duplicates: events.length - fresh.length });
        if (fresh.length === 0) return;
        // one row holds the delivery's new events, in order: the body itself when all were new
        const row = rowOf.get(fresh[0]) as { payload: string; item_keys: string };
        const keys = JSON.parse(row.item_keys) as string[];
        expect(keys).toEqual(fresh);
        if (fresh.length === events.length) expect(row.payload).toBe(text);
        const buf = Buffer.from(row.payload);
        const ranges = arrayElementRanges(buf)!;
        expect(ranges).toHaveLength(fresh.length);
        fresh.forEach((k, i) => {
          stored.add(k);
          // the first event carrying the key, exactly as it was sent
          const got = buf.toString('utf8', ...ranges[i]!);
          expect(JSON.parse(got)).toEqual(events.find((e) => e.id === k));
          expect(text).toContain(got);
        });
      }),
      { numRuns: 400 },
    );
  } finally {
    db.close();
  }
});

it('takes each field at its length limit and hands back one character over it', async () => {
  const fields = [...CLOUD_EVENT_BATCH.required, ...CLOUD_EVENT_BATCH.optional];
  let n = 0;
  for (const [field, max] of fields) {
    for (const len of [max, max + 1]) {
      const e = { type: 't', id: `limit-${n++}`, [field]: 'x'.repeat(len) };
      const r = await store.ingestJsonBatch!(Buffer.from(JSON.stringify([e])), 'event-streams', CLOUD_EVENT_BATCH);
      expect(validateEventStreamsBatch([e]).ok).toBe(len === max);
      expect(r, `${field} at ${len}`).toEqual(len === max ? { accepted: 1, duplicates: 0 } : undefined);
    }
  }
});

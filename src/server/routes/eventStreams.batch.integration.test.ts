/**
 * The Event Streams fast path (`Store.ingestJsonBatch` with `CLOUD_EVENT_BATCH`: the SQLite writer thread decodes,
 * checks and stores a batch) against the main-thread path it stands in for (`validateEventStreamsBatch`, test events
 * handled by the route): it may only ever store what that path would, exactly as sent, and hands everything else back.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
  const payloadOf = db.prepare('SELECT payload FROM inbox WHERE key = ?').pluck();
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
        for (const k of fresh) {
          stored.add(k);
          // the first event carrying the key, exactly as it was sent
          const first = events.find((e) => e.id === k);
          const got = payloadOf.get(k) as string;
          expect(JSON.parse(got)).toEqual(first);
          expect(text).toContain(got);
        }
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

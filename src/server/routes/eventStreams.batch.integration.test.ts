/**
 * The Event Streams fast path (`Store.ingestJsonBatch` with `CLOUD_EVENT_BATCH`: the SQLite writer thread decodes,
 * checks and stores a batch) against the main-thread path it stands in for (`validateEventStreamsBatch`, test events
 * handled by the route): it may only ever store what that path would, exactly as sent (one inbox row per delivery,
 * migration 0005, once imported from the journal), and hands everything else back. A CloudEvent another unclaimed row holds is stored again and
 * flagged by the claim: the first delivery's copy is the one processed.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { arrayElementRanges } from '../../core/jsonBatch.js';
import { TEST_EVENT_TYPE } from '../../engine/ingest/sinkHandshake.js';
import type { SqliteStore } from '../../store/sqlite/sqliteStore.js';
import type { Store } from '../../store/store.js';
import { tempStore } from '../test-helpers/fixtures.js';
import { CLOUD_EVENT_BATCH, validateEventStreamsBatch } from './eventStreams.validate.js';

let store: SqliteStore;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  let s: Store;
  ({ store: s, dir, cleanup } = await tempStore());
  store = s as SqliteStore;
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
// Valid events over a small pool of ids (the mixed ones above are rarely all valid): deliveries repeat each other.
const validEvent = fc.record(
  { type: fc.constantFrom('com.twilio.taskrouter.task.created', 't'), id: fc.constantFrom('EV1', 'EV2', 'EV3', 'EV4', 'EV5', 'EV6', 'EV7', 'EV8'), time: fc.string({ maxLength: 12 }), data: fc.jsonValue() },
  { requiredKeys: ['type', 'id'] },
);
const body = fc.oneof(
  { weight: 4, arbitrary: fc.array(validEvent, { minLength: 1, maxLength: 6 }) },
  { weight: 4, arbitrary: fc.array(event, { maxLength: 6 }) },
  { weight: 1, arbitrary: event },
  { weight: 1, arbitrary: fc.jsonValue() },
);

it('property: stores exactly the batches the main-thread path accepts (less test events), each event as sent; else nothing; a claim keeps the first copy of each', async () => {
  const db = new Database(join(dir, 'tajo.db'), { readonly: true });
  const lastRow = db.prepare('SELECT id, payload, item_keys FROM inbox ORDER BY id DESC LIMIT 1');
  /** The first copy of each event stored (the one a claim must keep). */
  const first = new Map<string, unknown>();
  let accepted = 0;
  try {
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(undefined, 2, '\t'), async (value, space) => {
        const text = JSON.stringify(value, null, space);
        const before = lastRow.get() as { id: number } | undefined;
        const r = await store.ingestJsonBatch!(Buffer.from(text), 'event-streams', CLOUD_EVENT_BATCH);
        // what the next claim would import from the journal (SQLite: inboxJournal.ts)
        const imported = store.importInboxJournal();
        const main = validateEventStreamsBatch(value);
        const takes = main.ok && Array.isArray(value) && main.value.every((e) => e.type !== TEST_EVENT_TYPE);
        if (!takes) {
          expect(r).toBeUndefined();
          expect(imported.deliveries).toBe(0);
          expect((lastRow.get() as { id: number } | undefined)?.id).toBe(before?.id);
          return;
        }
        accepted += 1;
        // nothing is claimed here: only repeats inside the body are known at once. The events as sent: the body's text
        // decoded (JSON has no -0, say, which the generated values may hold)
        const events = JSON.parse(text) as { id: string }[];
        const unique = [...new Set(events.map((e) => e.id))];
        expect(r).toEqual({ accepted: unique.length, duplicates: events.length - unique.length });
        expect(imported).toMatchObject({ deliveries: 1, items: unique.length });
        // one row holds the delivery's events, in order, the first of a repeated id: the body itself when none repeats
        const row = lastRow.get() as { id: number; payload: string; item_keys: string };
        expect(row.id).not.toBe(before?.id);
        expect(JSON.parse(row.item_keys)).toEqual(unique);
        if (unique.length === events.length) expect(row.payload).toBe(text);
        const buf = Buffer.from(row.payload);
        const ranges = arrayElementRanges(buf)!;
        expect(ranges).toHaveLength(unique.length);
        unique.forEach((k, i) => {
          // the first event carrying the key, exactly as it was sent
          const got = buf.toString('utf8', ...ranges[i]!);
          const sent = events.find((e) => e.id === k);
          expect(JSON.parse(got)).toEqual(sent);
          expect(text).toContain(got);
          if (!first.has(k)) first.set(k, sent);
        });
      }),
      { numRuns: 400 },
    );
  } finally {
    db.close();
  }
  // the generator must reach the stored path often, and repeat events across deliveries
  expect(accepted).toBeGreaterThan(100);
  const claimed = await store.claimInbox({ workerId: 't', limit: 1_000_000, leaseMs: 60_000, nowMs: Date.now() });
  expect(claimed.length).toBeGreaterThan(first.size);
  const kept = claimed.filter((i) => !i.duplicate);
  expect(kept.map((i) => i.key).sort()).toEqual([...first.keys()].sort());
  for (const i of kept) expect(i.payload).toEqual(first.get(i.key));
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

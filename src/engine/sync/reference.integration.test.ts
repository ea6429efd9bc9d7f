/**
 * The product doc's reference scale (12,400 interactions, 8,900 customers, 30 days): a full sync equals the ground
 * truth and a second one enqueues nothing. Slow (a minute or two): runs only with TAJO_SLOW_TESTS=1.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ContactPayload } from '../derive/contact.js';
import type { BrevoEventItem } from '../derive/events.js';
import { expectedContact, observableDate, sortKeys } from './test-helpers/compare.js';
import { startHarness, type Harness } from './test-helpers/harness.js';

describe.skipIf(!process.env.TAJO_SLOW_TESTS)('reference scale full sync', () => {
  let h: Harness | undefined;
  afterAll(async () => h?.close());

  it('equals the ground truth, and a re-run is a no-op', async () => {
    h = await startHarness({ scale: 'reference', timeScale: 1 });
    const truth = h.emulator.truth();
    const r = await h.sync({ type: 'full' });
    expect(r.status, r.statusReason).toBe('ok');
    const items = await h.drainOutbox();
    const contacts = new Map(items.filter((o) => o.kind === 'contact').map((o) => [(o.payload as ContactPayload).ext_id, o.payload]));
    const lists = h.lists;
    const wrong = truth.contacts.filter((c) => JSON.stringify(sortKeys(contacts.get(c.ext_id))) !== JSON.stringify(sortKeys(expectedContact(c, lists))));
    expect(wrong.slice(0, 2)).toEqual([]);
    expect(contacts.size).toBe(truth.contacts.length);
    const got = new Set(items.filter((o) => o.kind === 'event').map((o) => `${String((o.payload as BrevoEventItem).event_properties.tajo_id)}|${(o.payload as BrevoEventItem).event_date}`));
    expect(truth.events.filter((e) => !got.has(`${e.name}:${e.source_sid}|${observableDate(e)}`)).slice(0, 3)).toEqual([]);
    expect(got.size).toBe(truth.events.length);
    const again = await h.sync({ type: 'full' });
    expect(again.outbox).toMatchObject({ contact: 0, event: 0 });
  }, 900_000);
});

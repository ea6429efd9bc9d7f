import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroundTruth } from '../../emulators/index.js';
import type { ContactPayload } from '../derive/contact.js';
import type { BrevoEventItem } from '../derive/events.js';
import { expectedContact, observableDate, sortKeys } from './test-helpers/compare.js';
import { startHarness, type Harness } from './test-helpers/harness.js';

describe('incremental sync after generateMore(20)', () => {
  let h: Harness;
  beforeAll(async () => {
    // The default lookback: generateMore dates every new row after the emulated now of the call, as Twilio would.
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('enqueues exactly the new truth: new events, new or changed contacts, nothing else', async () => {
    const before: GroundTruth = h.emulator.truth();
    const full = await h.sync({ type: 'full' });
    expect(full.status, full.statusReason).toBe('ok');
    await h.drainOutbox();

    h.emulator.clock.advance(30 * 60_000);
    const after = h.emulator.generateMore(20);
    const inc = await h.sync({ type: 'incremental' });
    expect(inc.status, inc.statusReason).toBe('ok');
    // Only the recent windows were read, not the 30 days again.
    expect(inc.streams.taskrouter_events?.records ?? 0).toBeLessThan((full.streams.taskrouter_events?.records ?? 0) / 2);
    const items = await h.drainOutbox();

    const oldTajo = new Set(before.events.map((e) => `${e.name}:${e.source_sid}`));
    const newEvents = after.events.filter((e) => !oldTajo.has(`${e.name}:${e.source_sid}`));
    const gotEvents = items.filter((o) => o.kind === 'event').map((o) => o.payload as BrevoEventItem);
    expect(gotEvents.map((e) => `${String(e.event_properties.tajo_id)}|${e.event_date}`).sort()).toEqual(newEvents.map((e) => `${e.name}:${e.source_sid}|${observableDate(e)}`).sort());
    const byTajo = new Map(gotEvents.map((e) => [String(e.event_properties.tajo_id), e]));
    for (const t of newEvents) expect(sortKeys(byTajo.get(`${t.name}:${t.source_sid}`)?.event_properties)).toEqual(sortKeys(t.properties));

    const oldContacts = new Map(before.contacts.map((c) => [c.ext_id, JSON.stringify(sortKeys(expectedContact(c, h.lists)))]));
    const changed = after.contacts.filter((c) => oldContacts.get(c.ext_id) !== JSON.stringify(sortKeys(expectedContact(c, h.lists))));
    expect(changed.length).toBeGreaterThan(0);
    const gotContacts = new Map(items.filter((o) => o.kind === 'contact').map((o) => [(o.payload as ContactPayload).ext_id, o.payload]));
    expect([...gotContacts.keys()].sort()).toEqual(changed.map((c) => c.ext_id).sort());
    for (const c of changed) expect(sortKeys(gotContacts.get(c.ext_id))).toEqual(sortKeys(expectedContact(c, h.lists)));

    const letters = (await h.store.listDeadLetters({ limit: 1000 })).map((d) => `${d.recordKey}:${d.reason}`).sort();
    expect(letters).toEqual(after.deadLetters.map((d) => `${d.source_sid}:${d.reason}`).sort());

    // Nothing new: a further incremental enqueues nothing.
    const again = await h.sync({ type: 'incremental' });
    expect(again.outbox).toMatchObject({ contact: 0, event: 0 });
  });
});

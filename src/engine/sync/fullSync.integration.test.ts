import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroundTruth } from '../../emulators/index.js';
import type { ContactPayload } from '../derive/contact.js';
import type { BrevoEventItem } from '../derive/events.js';
import { expectedContact, observableDate, sortKeys } from './test-helpers/compare.js';
import { startHarness, type Harness } from './test-helpers/harness.js';

const eventKey = (name: string, extId: string, sid: string, date: string) => `${name}|${extId}|${sid}|${date}`;

describe('full sync against the emulator (seed 7, small)', () => {
  let h: Harness;
  let truth: GroundTruth;
  beforeAll(async () => {
    h = await startHarness();
    truth = h.emulator.truth();
  });
  afterAll(async () => h?.close());

  it('puts exactly the ground truth in the outbox, and a second full sync adds nothing', async () => {
    const report = await h.sync({ type: 'full' });
    expect(report.status, report.statusReason).toBe('ok');
    const items = await h.drainOutbox();
    const contacts = new Map(items.filter((o) => o.kind === 'contact').map((o) => [(o.payload as ContactPayload).ext_id, o.payload as ContactPayload]));
    const events = items.filter((o) => o.kind === 'event').map((o) => o.payload as BrevoEventItem);

    // contacts
    const want = new Map(truth.contacts.map((c) => [c.ext_id, expectedContact(c, h.lists)]));
    const missing = [...want.keys()].filter((k) => !contacts.has(k));
    const extra = [...contacts.keys()].filter((k) => !want.has(k));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    const wrong = [...want].filter(([k, c]) => JSON.stringify(sortKeys(contacts.get(k))) !== JSON.stringify(sortKeys(c))).map(([k, c]) => ({ want: c, got: contacts.get(k) }));
    expect(wrong.slice(0, 3)).toEqual([]);

    // events: (name, ext_id, source sid, event_date) multiset, then properties
    const got = events.map((e) => eventKey(e.event_name, e.identifiers.ext_id, String(e.event_properties.tajo_id).split(":")[1] ?? "", e.event_date)).sort();
    const exp = truth.events.map((e) => eventKey(e.name, e.ext_id, e.source_sid, observableDate(e))).sort();
    expect({ extra: got.filter((k) => !exp.includes(k)).slice(0, 5), missing: exp.filter((k) => !got.includes(k)).slice(0, 5) }).toEqual({ extra: [], missing: [] });
    expect(got.length).toBe(exp.length);
    const byTajo = new Map(events.map((e) => [String(e.event_properties.tajo_id), e]));
    const propDiffs = truth.events
      .map((t) => ({ t, g: byTajo.get(`${t.name}:${t.source_sid}`) }))
      .filter(({ t, g }) => JSON.stringify(sortKeys(g?.event_properties)) !== JSON.stringify(sortKeys(t.properties)) || g?.identifiers.email_id !== t.email_id)
      .map(({ t, g }) => ({ want: t.properties, got: g?.event_properties, wantEmail: t.email_id, gotEmail: g?.identifiers.email_id }));
    expect(propDiffs.slice(0, 3)).toEqual([]);

    // dead letters
    const letters = (await h.store.listDeadLetters({ limit: 1000 })).map((d) => `${d.recordKey}:${d.reason}`).sort();
    expect(letters).toEqual(truth.deadLetters.map((d) => `${d.source_sid}:${d.reason}`).sort());

    const again = await h.sync({ type: 'full' });
    expect(again.status).toBe('ok');
    expect(again.outbox).toMatchObject({ contact: 0, event: 0 });
    expect(await h.drainOutbox()).toEqual([]);
  });
});

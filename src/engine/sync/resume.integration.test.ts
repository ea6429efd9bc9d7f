import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { ContactPayload } from '../derive/contact.js';
import type { BrevoEventItem } from '../derive/events.js';
import { budgetsForTwilio } from '../budget.js';
import { runSync } from './runSync.js';
import { expectedContact, observableDate, sortKeys } from './test-helpers/compare.js';
import { startHarness, type Harness } from './test-helpers/harness.js';

describe('an aborted full sync resumes from its cursor', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('aborts cleanly mid-stream, then an incremental run completes to exactly the ground truth', async () => {
    const ctrl = new AbortController();
    let pages = 0;
    const aborted = await runSync(
      {
        store: h.store, config: h.config, connector: h.connector, secrets: { authToken: h.emulator.info.authToken }, logger: silentLogger(),
        budgets: budgetsForTwilio(h.connector.settings.workspaceSid, 10), listIds: h.lists, nowMs: () => h.emulator.clock.nowMs(),
        onProgress: (p) => {
          if (p.stream === 'taskrouter_events' && !p.done && ++pages === 4) ctrl.abort();
        },
      },
      { type: 'full', signal: ctrl.signal },
    );
    expect(aborted.status).toBe('aborted');
    expect(aborted.streams.taskrouter_events?.status).toBe('aborted');
    const cp = await h.store.getCheckpoint(h.connector.id, 'taskrouter_events', h.connector.settings.workspaceSid);
    expect((cp?.value as { windowEndMs: number }).windowEndMs).toBeLessThan(h.emulator.clock.nowMs());

    const done = await h.sync({ type: 'incremental' });
    expect(done.status, done.statusReason).toBe('ok');
    const truth = h.emulator.truth();
    const items = await h.drainOutbox();
    const contacts = new Map<string, ContactPayload>();
    for (const o of items.filter((i) => i.kind === 'contact').sort((a, b) => a.id - b.id)) contacts.set((o.payload as ContactPayload).ext_id, o.payload as ContactPayload);
    expect([...contacts.keys()].sort()).toEqual(truth.contacts.map((c) => c.ext_id).sort());
    for (const c of truth.contacts) expect(sortKeys(contacts.get(c.ext_id))).toEqual(sortKeys(expectedContact(c, h.lists)));
    const events = items.filter((o) => o.kind === 'event').map((o) => o.payload as BrevoEventItem);
    expect(events.map((e) => `${String(e.event_properties.tajo_id)}|${e.event_date}`).sort()).toEqual(truth.events.map((e) => `${e.name}:${e.source_sid}|${observableDate(e)}`).sort());
  });
});

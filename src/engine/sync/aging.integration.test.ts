import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactPayload } from '../derive/contact.js';
import { startHarness, type Harness } from './test-helpers/harness.js';

const DAY = 86_400_000;

describe('ABANDONS_30D ages without new events', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('re-pushes exactly the customers whose abandons left the 30-day window, with the new count', async () => {
    expect((await h.sync({ type: 'full' })).status).toBe('ok');
    await h.drainOutbox();
    const before = new Map(h.emulator.truth().contacts.map((c) => [c.ext_id, Number(c.attributes.ABANDONS_30D)]));

    h.emulator.clock.advance(28.5 * DAY);
    const r = await h.sync({ type: 'incremental' });
    expect(r.status, r.statusReason).toBe('ok');
    const cutoff = Date.parse(r.syncedThrough) - 30 * DAY;
    // The generator's own model: abandoned (valid) interactions per customer.
    const rows = h.emulator.world
      .prepare("SELECT c.ext_id AS ext_id, i.created_ms AS created FROM gen_interactions i JOIN gen_customers c ON c.idx = i.customer_idx WHERE i.kind = 'ok' AND i.outcome = 'abandoned'")
      .all() as { ext_id: string; created: number }[];
    const now = new Map<string, number>();
    for (const [k] of before) now.set(k, 0);
    for (const row of rows) if (row.created >= cutoff) now.set(row.ext_id, (now.get(row.ext_id) ?? 0) + 1);
    const changed = [...before].filter(([k, n]) => now.get(k) !== n).map(([k]) => k).sort();
    expect(changed.length).toBeGreaterThan(0);

    const contacts = (await h.drainOutbox()).filter((o) => o.kind === 'contact').map((o) => o.payload as ContactPayload);
    expect(contacts.map((c) => c.ext_id).sort()).toEqual(changed);
    for (const c of contacts) expect(c.attributes.ABANDONS_30D).toBe(now.get(c.ext_id));
  });
});

/**
 * The product's main acceptance test: Twilio emulator → full sync → outbox → DeliveryWorker → Brevo emulator, and
 * the Brevo state compared with the generator's independently computed ground truth (docs/SEMANTICS.md). Then a
 * re-run changes nothing, and generateMore(20) + incremental converges to the new truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { GroundTruth } from '../../emulators/index.js';
import type { BrevoState } from '../../emulators/brevo/index.js';
import { ensureAttributes, ensureList, wantedAttributes } from '../../sinks/brevo/bootstrap.js';
import { BrevoClient } from '../../sinks/brevo/client.js';
import { budgetsForBrevo } from '../budget.js';
import { DeliveryWorker } from '../deliver/worker.js';
import { observableDate, sortKeys } from './test-helpers/compare.js';
import { startHarness, type Harness } from './test-helpers/harness.js';

const SCALE = 50;

describe('end to end: Twilio emulator → Tajo → Brevo emulator equals the ground truth', () => {
  let h: Harness;
  let worker: DeliveryWorker;
  const state = async (): Promise<BrevoState> => (await (await fetch(`${h.emulator.url}${h.emulator.brevo.inspectPrefix}/state`)).json()) as BrevoState;

  beforeAll(async () => {
    h = await startHarness();
    const brevo = new BrevoClient({ baseUrl: h.emulator.info.brevo, apiKey: h.emulator.info.brevoApiKey, budgets: budgetsForBrevo(SCALE), timeScale: SCALE, logger: silentLogger() });
    await ensureAttributes(brevo, wantedAttributes([...Object.values(h.config.field_mapping), 'WHATSAPP']));
    h.lists = { support_contacts: await ensureList(brevo, 'Support contacts'), csat_respondents: await ensureList(brevo, 'CSAT respondents') };
    worker = new DeliveryWorker({ store: h.store, brevo, workerId: 'e2e', logger: silentLogger(), timeScale: SCALE, connectorId: h.connector.id, idleMs: 20 });
  });
  afterAll(async () => h?.close());

  async function syncAndDeliver(type: 'full' | 'incremental'): Promise<void> {
    const r = await h.sync({ type });
    expect(r.status, r.statusReason).toBe('ok');
    const d = await worker.drain({ until: 'empty', maxMs: 120_000 });
    expect(d).toMatchObject({ dead: 0, paused: false, timedOut: false });
  }

  function compare(s: BrevoState, truth: GroundTruth): void {
    // contacts, by ext_id
    const got = new Map(s.contacts.map((c) => [c.ext_id ?? `id:${c.id}`, c]));
    expect([...got.keys()].sort()).toEqual(truth.contacts.map((c) => c.ext_id).sort());
    const wrong: unknown[] = [];
    for (const t of truth.contacts) {
      const c = got.get(t.ext_id);
      const want = {
        email: t.email ?? null,
        attributes: sortKeys(t.attributes),
        listIds: t.listKeys.map((k) => h.lists[k]).sort((a, b) => a - b),
        smsBlacklisted: t.smsBlacklisted === true,
        whatsappBlacklisted: t.whatsappBlacklisted === true,
      };
      const have = c && { email: c.email, attributes: sortKeys(c.attributes), listIds: [...c.listIds].sort((a, b) => a - b), smsBlacklisted: c.smsBlacklisted, whatsappBlacklisted: c.whatsappBlacklisted };
      if (JSON.stringify(have) !== JSON.stringify(want)) wrong.push({ ext_id: t.ext_id, want, have });
    }
    expect(wrong.slice(0, 3)).toEqual([]);

    // events, by tajo_id: each exactly once, with the truth's name, identifiers, date and properties
    const count = new Map<string, number>();
    for (const e of s.events) count.set(String(e.event_properties?.tajo_id), (count.get(String(e.event_properties?.tajo_id)) ?? 0) + 1);
    expect([...count.values()].filter((n) => n > 1)).toEqual([]);
    expect(s.events.length).toBe(truth.events.length);
    const byTajo = new Map(s.events.map((e) => [String(e.event_properties?.tajo_id), e]));
    const diffs: unknown[] = [];
    for (const t of truth.events) {
      const e = byTajo.get(`${t.name}:${t.source_sid}`);
      const want = { name: t.name, ids: sortKeys({ ext_id: t.ext_id, ...(t.email_id ? { email_id: t.email_id } : {}) }), date: observableDate(t), props: sortKeys(t.properties) };
      const have = e && { name: e.event_name, ids: sortKeys(e.identifiers), date: e.event_date, props: sortKeys(e.event_properties) };
      if (JSON.stringify(have) !== JSON.stringify(want)) diffs.push({ want, have });
    }
    expect(diffs.slice(0, 3)).toEqual([]);
  }

  it('full sync delivers exactly the ground truth; dead letters match', async () => {
    await syncAndDeliver('full');
    const truth = h.emulator.truth();
    compare(await state(), truth);
    const letters = (await h.store.listDeadLetters({ limit: 1000 })).map((d) => `${d.recordKey}:${d.reason}`).sort();
    expect(letters).toEqual(truth.deadLetters.map((d) => `${d.source_sid}:${d.reason}`).sort());
  });

  it('a second full sync changes nothing in Brevo', async () => {
    const before = await state();
    const r = await h.sync({ type: 'full' });
    expect(r.outbox).toMatchObject({ contact: 0, event: 0 });
    await worker.drain({ until: 'empty', maxMs: 30_000 });
    const after = await state();
    expect(after.events.length).toBe(before.events.length);
    expect(after.contacts.map((c) => c.modifiedAt)).toEqual(before.contacts.map((c) => c.modifiedAt));
  });

  it('generateMore(20) then incremental converges to the new truth', async () => {
    h.emulator.clock.advance(30 * 60_000);
    const truth = h.emulator.generateMore(20);
    await syncAndDeliver('incremental');
    compare(await state(), truth);
  });
});

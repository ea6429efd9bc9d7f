import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIELD_MAPPING } from '../../config/defaults.js';
import { TwilioFlexConfigSchema } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import type { ContactPayload } from '../derive/contact.js';
import type { BrevoEventItem } from '../derive/events.js';
import { budgetsForTwilio } from '../budget.js';
import { runSync } from './runSync.js';
import { LISTS, startHarness, type Harness } from './test-helpers/harness.js';
import type { StreamProgress } from './types.js';

describe('sync options against the emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('dry run plans the writes of a full sync and commits nothing', async () => {
    const truth = h.emulator.truth();
    const progress: StreamProgress[] = [];
    const r = await runSync(
      { store: h.store, config: h.config, connector: h.connector, secrets: { authToken: h.emulator.info.authToken }, logger: silentLogger(), budgets: budgetsForTwilio(h.connector.settings.workspaceSid, 10), listIds: LISTS, nowMs: () => h.emulator.clock.nowMs(), onProgress: (p) => progress.push(p) },
      { type: 'full', dryRun: true },
    );
    expect(r.status, r.statusReason).toBe('ok');
    expect(r.dryRun).toBe(true);
    expect(r.outbox.contact).toBe(truth.contacts.length);
    expect(r.outbox.event).toBe(truth.events.length);
    expect(Object.values(r.deadLetters).reduce((a, b) => a + (b ?? 0), 0)).toBe(truth.deadLetters.length);
    expect(r.sampleContacts?.length).toBe(20);
    expect(r.sampleContacts?.[0]).toMatchObject({ change: 'new' });
    expect(progress.some((p) => p.stream === 'taskrouter_events' && p.done)).toBe(true);
    expect(await h.store.counts(h.connector.id)).toMatchObject({ interactions: 0, customers: 0, rawEvents: 0 });
    expect(await h.store.listCheckpoints(h.connector.id)).toEqual([]);
    expect(await h.drainOutbox()).toEqual([]);
    const s = r.streams.taskrouter_events;
    expect(s?.pages).toBeGreaterThan(0);
    expect(s?.requests).toBeGreaterThanOrEqual(s?.pages ?? 0);
  });

  it('a field_mapping change re-pushes every contact with the new attribute names, and only contacts', async () => {
    const first = await h.sync({ type: 'full' });
    expect(first.status).toBe('ok');
    await h.drainOutbox();
    const mapping = { ...DEFAULT_FIELD_MAPPING, friendly_name: 'FULL_NAME' } as Record<string, string>;
    const cfg = TwilioFlexConfigSchema.parse({ lists: LISTS, field_mapping: mapping });

    const planned = await h.sync({ type: 'full', dryRun: true }, cfg);
    expect(planned.outbox.event).toBe(0);
    const sample = planned.sampleContacts?.find((c) => c.diff.FULL_NAME !== undefined);
    expect(sample?.change).toBe('changed');
    expect(sample?.diff.FIRSTNAME?.to).toBeNull();

    const r = await h.sync({ type: 'full' }, cfg);
    expect(r.outbox).toMatchObject({ contact: h.emulator.truth().contacts.length, event: 0 });
    const items = await h.drainOutbox();
    const contacts = items.map((o) => o.payload as ContactPayload);
    expect(contacts.every((c) => c.attributes.FIRSTNAME === undefined)).toBe(true);
    expect(contacts.filter((c) => c.attributes.FULL_NAME !== undefined).length).toBeGreaterThan(0);
  });

  it('respects channels and resources: voice only, no contacts', async () => {
    const cfg = TwilioFlexConfigSchema.parse({ lists: LISTS, channels: ['voice'], event_mapping: { 'task.created': 'VOICE_REQUESTED' } });
    const r = await h.sync({ type: 'full', resources: ['tasks'] }, cfg);
    expect(r.status).toBe('ok');
    expect(r.streams.conversations?.status).toBe('skipped');
    const items = await h.drainOutbox();
    expect(items.filter((o) => o.kind === 'contact')).toEqual([]);
    const events = items.map((o) => o.payload as BrevoEventItem);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.event_name === 'VOICE_REQUESTED' && e.event_properties.channel === 'voice')).toBe(true);
  });

  it('a 401 pauses the connector with a clear status', async () => {
    const r = await runSync(
      { store: h.store, config: h.config, connector: h.connector, secrets: { authToken: 'wrong-token' }, logger: silentLogger(), budgets: budgetsForTwilio(h.connector.settings.workspaceSid, 10), listIds: LISTS, nowMs: () => h.emulator.clock.nowMs() },
      { type: 'incremental' },
    );
    expect(r.status).toBe('paused');
    expect(r.statusReason).toMatch(/TAJO_TWILIO_AUTH/);
    expect(JSON.stringify(r)).not.toContain('wrong-token');
    const c = await h.store.getConnector(h.connector.id);
    expect(c?.status).toBe('paused');
    expect(c?.lastError?.code).toBe('TAJO_TWILIO_AUTH');
  });
});

describe('a run narrowed by --channels or --resources', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('moves no cursor, so the next run without them still writes everything the narrowed run left out', async () => {
    const truth = h.emulator.truth();
    const voice = await h.sync({ type: 'full', channels: ['voice'] });
    expect(voice.status).toBe('ok');
    expect(voice.warnings).toContainEqual(expect.stringContaining('moves no cursor'));
    expect(await h.store.listCheckpoints(h.connector.id)).toEqual([]);
    const customersOnly = await h.sync({ type: 'incremental', resources: ['customers'] });
    expect(customersOnly.status).toBe('ok');
    const narrowed = await h.drainOutbox();
    expect(narrowed.filter((o) => o.kind === 'event').length).toBeGreaterThan(0);
    expect(narrowed.filter((o) => o.kind === 'event').length).toBeLessThan(truth.events.length);

    const rest = await h.sync({ type: 'incremental' });
    expect(rest.status).toBe('ok');
    expect(rest.warnings.filter((w) => w.includes('moves no cursor'))).toEqual([]);
    const after = await h.drainOutbox();
    // every event once, across the runs
    const keys = [...narrowed, ...after].filter((o) => o.kind === 'event').map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(truth.events.length);
    expect((await h.store.listCheckpoints(h.connector.id)).map((c) => c.stream)).toContain('taskrouter_events');
  });
});

describe('a field_mapping or lists change', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('re-pushes every stored customer on the next incremental run (not only those with new activity), once', async () => {
    const truth = h.emulator.truth();
    expect((await h.sync({ type: 'full' })).status).toBe('ok');
    await h.drainOutbox();
    const cfg = TwilioFlexConfigSchema.parse({ lists: LISTS, field_mapping: { ...DEFAULT_FIELD_MAPPING, friendly_name: 'FULL_NAME' } });

    const r = await h.sync({ type: 'incremental' }, cfg);
    expect(r.status, r.statusReason).toBe('ok');
    expect(r.outbox.contact).toBe(truth.contacts.length);
    const contacts = (await h.drainOutbox()).filter((o) => o.kind === 'contact').map((o) => o.payload as ContactPayload);
    expect(contacts).toHaveLength(truth.contacts.length);
    expect(contacts.every((c) => c.attributes.FIRSTNAME === undefined)).toBe(true);

    // the change is recorded: the run after re-pushes nothing more
    expect((await h.sync({ type: 'incremental' }, cfg)).outbox.contact).toBeLessThan(truth.contacts.length / 4);
    await h.drainOutbox();

    // a lists change too: every contact carries the new list
    h.lists = { support_contacts: 21, csat_respondents: 12 };
    const l = await h.sync({ type: 'incremental' }, cfg);
    expect(l.outbox.contact).toBe(truth.contacts.length);
    const relisted = (await h.drainOutbox()).filter((o) => o.kind === 'contact').map((o) => o.payload as ContactPayload);
    expect(relisted.every((c) => c.listIds.includes(21) && !c.listIds.includes(11))).toBe(true);
  });
});

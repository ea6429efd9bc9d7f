import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerBrevoEmulator } from '../../emulators/brevo/index.js';
import { budgetsForBrevo } from '../../engine/budget.js';
import { RequestStats } from '../../engine/http.js';
import { ensureAttributes, ensureList, wantedAttributes } from './bootstrap.js';
import { BrevoClient } from './client.js';
import type { EventItem } from './types.js';

const KEY = 'xkeysib-client-test';
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function emulator(): Promise<BrevoClient> {
  const app = Fastify();
  const emu = registerBrevoEmulator(app, { apiKey: KEY });
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${emu.prefix}`;
  return new BrevoClient({ baseUrl: base, apiKey: KEY, budgets: budgetsForBrevo(), stats: new RequestStats() });
}

const ev = (i: number): EventItem => ({
  event_name: 'SUPPORT_REQUESTED',
  identifiers: { ext_id: `chat:c${i}` },
  event_date: '2026-01-05T09:00:00.000Z',
  event_properties: { tajo_id: `SUPPORT_REQUESTED:WT${i}` },
});

describe('Brevo rate budgets against the emulator', () => {
  it("an account on a higher tier (60 RPS for /contacts) is paced at its limit, read from the first answer's headers", async () => {
    const budgets = budgetsForBrevo();
    const app = Fastify();
    const emu = registerBrevoEmulator(app, { apiKey: KEY, limits: { contactsPerSecond: 60 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const c = new BrevoClient({ baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${emu.prefix}`, apiKey: KEY, budgets, stats: new RequestStats() });
    expect(budgets.contacts.snapshot().ratePerSecond).toBe(10);
    await c.getAttributes();
    expect(budgets.contacts.snapshot().ratePerSecond).toBe(60);
    // the General tier stays at 10, the other families untouched
    expect(budgets.events.snapshot().ratePerSecond).toBe(10);
    const general = budgetsForBrevo();
    const c10 = await emulator();
    await new BrevoClient({ baseUrl: c10.baseUrl, apiKey: KEY, budgets: general, stats: new RequestStats() }).getAttributes();
    expect(general.contacts.snapshot().ratePerSecond).toBe(10);
  });
});

describe('Brevo bootstrap against the emulator', () => {
  it('creates missing attributes with their SEMANTICS §3 types; a second run creates nothing', async () => {
    const c = await emulator();
    const wanted = wantedAttributes(['FLEX_IDENTITY', 'FIRSTNAME', 'email', 'SMS', 'LAST_SUPPORT_DATE', 'SUPPORT_TICKET_COUNT', 'CSAT_SCORE']);
    await ensureAttributes(c, wanted);
    const attrs = new Map((await c.getAttributes()).map((a) => [a.name, a.type]));
    expect(attrs.get('LAST_SUPPORT_DATE')).toBe('date');
    expect(attrs.get('SUPPORT_TICKET_COUNT')).toBe('float');
    expect(attrs.get('FLEX_IDENTITY')).toBe('text');
    expect((await ensureAttributes(c, wanted)).create).toEqual([]);
  });

  it('a type mismatch is TAJO_BREVO_ATTRIBUTE_TYPE, not silently accepted', async () => {
    const c = await emulator();
    await c.createAttribute('CSAT_SCORE', 'text');
    const err = await ensureAttributes(c, wantedAttributes(['CSAT_SCORE'])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TAJO_BREVO_ATTRIBUTE_TYPE' });
    expect((err as Error).message).toContain('CSAT_SCORE');
  });

  it('ensureList finds or creates the list (and a folder); addContactsToList chunks by 150', async () => {
    const c = await emulator();
    const id = await ensureList(c, 'Support contacts');
    expect(await ensureList(c, 'Support contacts')).toBe(id);
    expect(await c.getList(id)).toMatchObject({ id, name: 'Support contacts' });
    expect(await c.getList(99_999)).toBeUndefined();
    const extIds = Array.from({ length: 151 }, (_, i) => `chat:c${i}`);
    for (const e of extIds.slice(0, 3)) await c.createContact({ ext_id: e, attributes: {}, listIds: [] });
    const failed = await c.addContactsToList(id, extIds);
    expect(failed.length).toBe(148);
  });

  it('a list change where no id succeeds (Brevo: 400 "Contact already in list and/or does not exist") reports them all as failed, not an error', async () => {
    const c = await emulator();
    const id = await ensureList(c, 'Support contacts');
    await c.createContact({ ext_id: 'chat:a', attributes: {}, listIds: [] });
    expect(await c.addContactsToList(id, ['chat:a'])).toEqual([]);
    // a re-sent add (already in the list) and an unknown id
    expect(await c.addContactsToList(id, ['chat:a', 'chat:ghost'])).toEqual(['chat:a', 'chat:ghost']);
    expect(await c.removeContactsFromList(id, ['chat:a'])).toEqual([]);
    expect(await c.removeContactsFromList(id, ['chat:a'])).toEqual(['chat:a']);
  });
});

describe('events/batch limit discovery', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('moves /events/batch to its own budget when its observed limit is above the catch-all', async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res.writeHead(202, { 'content-type': 'application/json', 'x-sib-ratelimit-limit': '1000', 'x-sib-ratelimit-remaining': '999', 'x-sib-ratelimit-reset': '3500' }).end('{"count":1}'),
      );
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const budgets = budgetsForBrevo();
    const c = new BrevoClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`, apiKey: KEY, budgets });
    expect(c.eventsBatchBudget).toBe(budgets.other);
    expect(await c.createBatchEvents([ev(1)])).toEqual({ status: 202, accepted: 1, failures: [] });
    expect(c.batchLimit).toMatchObject({ limit: 1000, dedicated: true });
    expect(c.eventsBatchBudget).not.toBe(budgets.other);
    expect(c.eventsBatchBudget.snapshot().perHour).toBe(1000);
    // The catch-all was not charged with the batch endpoint's numbers.
    expect(budgets.other.snapshot().perHour).toBe(100);
  });

  it('keeps /events/batch on the catch-all when it reports the catch-all limit', async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(202, { 'x-sib-ratelimit-limit': '100', 'x-sib-ratelimit-remaining': '5', 'x-sib-ratelimit-reset': '1800' }).end('{}'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const budgets = budgetsForBrevo();
    const c = new BrevoClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`, apiKey: KEY, budgets });
    await c.createBatchEvents([ev(1)]);
    expect(c.eventsBatchBudget).toBe(budgets.other);
    expect(budgets.other.capacity().availableNow).toBe(5); // synced to the vendor's count
    expect(c.batchLimit).toMatchObject({ limit: 100, remaining: 5, dedicated: false });
  });
});

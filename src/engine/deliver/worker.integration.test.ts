import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { budgetsForBrevo } from '../budget.js';
import { BrevoClient } from '../../sinks/brevo/client.js';
import { afterEach, describe, expect, it } from 'vitest';
import { contactRow, eventRow, phone, startHarness, tajoCounts, type Harness, CONNECTOR } from './test-helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('DeliveryWorker against the Brevo emulator and a real SQLite store', () => {
  it('bulk: 120 contacts by import, 300 events by batch; exactly them, no duplicates, contacts before events', async () => {
    h = await startHarness();
    const N = 120;
    const M = 300;
    await h.enqueue(Array.from({ length: N }, (_, i) => contactRow(i, [h!.listId])));
    await h.enqueue(Array.from({ length: M }, (_, i) => eventRow(i, i % N)));
    const r = await h.worker().drain({ until: 'empty', maxMs: 30_000 });
    expect(r).toMatchObject({ delivered: N + M, dead: 0, paused: false, timedOut: false });

    const s = await h.state();
    expect(s.contacts.map((c) => c.ext_id).sort()).toEqual(Array.from({ length: N }, (_, i) => phone(i)).sort());
    // No bare contacts created by events: every contact has the attributes of its contact write.
    expect(s.contacts.every((c) => c.attributes.FIRSTNAME !== undefined && c.listIds.includes(h!.listId))).toBe(true);
    const counts = tajoCounts(s);
    expect(counts.size).toBe(M);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // The cheap paths were used: imports and batches, not hundreds of single calls.
    const st = h.stats.snapshot();
    expect(st['brevo POST /brevo/v3/contacts/import']?.requests).toBe(1);
    expect(st['brevo POST /brevo/v3/events/batch']?.requests).toBe(2);
    expect(st['brevo POST /brevo/v3/events']).toBeUndefined();
    expect(await h.store.outboxStats()).toMatchObject({ pending: 0, inflight: 0, delivered: N + M, dead: 0 });
  });

  it('no list configured: many contacts go one by one (an import needs listIds), none dead-lettered', async () => {
    h = await startHarness();
    const N = 60;
    await h.enqueue(Array.from({ length: N }, (_, i) => contactRow(i, [])));
    const r = await h.worker().drain({ until: 'empty', maxMs: 30_000 });
    expect(r).toMatchObject({ delivered: N, dead: 0 });
    const st = h.stats.snapshot();
    expect(st['brevo POST /brevo/v3/contacts/import']).toBeUndefined();
    expect((await h.state()).contacts).toHaveLength(N);
  });

  it('few: contacts one by one and events as singles; a second drain sends nothing', async () => {
    h = await startHarness();
    await h.enqueue([...Array.from({ length: 5 }, (_, i) => contactRow(i, [h!.listId], {}, 0)), ...Array.from({ length: 8 }, (_, i) => eventRow(i, i % 5, 0))]);
    const w = h.worker();
    expect(await w.drain({ maxMs: 10_000 })).toMatchObject({ delivered: 13, dead: 0 });
    const s = await h.state();
    expect(s.contacts).toHaveLength(5);
    expect(s.events.every((e) => e.via === 'single')).toBe(true);
    expect(tajoCounts(s).size).toBe(8);
    expect(await w.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    // Re-enqueueing a delivered event is refused by the ledger; the same contact content completes without a call.
    expect(await h.enqueue([eventRow(0, 0)])).toBe(0);
    h.stats.reset();
    await h.enqueue([contactRow(1, [h.listId])]);
    expect(await w.drain({ maxMs: 5_000 })).toMatchObject({ delivered: 1 });
    expect(h.stats.total()).toBe(0);
  });

  it('503 outage window: retried, then delivered once', async () => {
    h = await startHarness();
    await h.enqueue([...Array.from({ length: 3 }, (_, i) => contactRow(i, [h!.listId])), ...Array.from({ length: 4 }, (_, i) => eventRow(i, i % 3))]);
    h.outage({ outageStatus: 503 }, 90); // 1.5 s real at scale 60
    const r = await h.worker({ maxAttempts: 50 }).drain({ maxMs: 20_000 });
    expect(r).toMatchObject({ delivered: 7, dead: 0 });
    expect(r.retried).toBeGreaterThan(0);
    const s = await h.state();
    expect(s.contacts).toHaveLength(3);
    const counts = tajoCounts(s);
    expect(counts.size).toBe(4);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('attempts exhausted during a long outage: dead letter retries_exhausted', async () => {
    h = await startHarness();
    await h.enqueue([contactRow(0, [h.listId]), eventRow(0, 0)]);
    h.outage({ outageStatus: 503 }, 100_000);
    const r = await h.worker({ maxAttempts: 2 }).drain({ maxMs: 20_000 });
    expect(r).toMatchObject({ dead: 2, delivered: 0 });
    const dl = await h.store.listDeadLetters();
    expect(dl.map((d) => d.reason)).toEqual(['retries_exhausted', 'retries_exhausted']);
  });

  it('duplicate SMS and invalid phone: dead letters with reasons, the others delivered', async () => {
    h = await startHarness();
    await h.client().createContact({ ext_id: 'someone-else', attributes: { SMS: phone(1) }, listIds: [] });
    await h.enqueue([
      contactRow(0, [h.listId]),
      contactRow(1, [h.listId], { ext_id: 'chat:dup' }),
      contactRow(2, [h.listId], { ext_id: 'chat:badphone', attributes: { SMS: '12' } }),
    ]);
    const r = await h.worker().drain({ maxMs: 10_000 });
    expect(r).toMatchObject({ delivered: 1, dead: 2 });
    const dl = await h.store.listDeadLetters({ status: 'open' });
    expect(dl.map((d) => [d.recordKey, d.reason]).sort()).toEqual([
      ['contact:chat:badphone', 'brevo_invalid_phone'],
      ['contact:chat:dup', 'brevo_duplicate_sms'],
    ]);
    const s = await h.state();
    expect(s.contacts.map((c) => c.ext_id).sort()).toEqual([phone(0), 'someone-else']);
  });

  it("an email another Tajo contact owns: dead-lettered, the other contact keeps its ext_id (never re-keyed)", async () => {
    h = await startHarness();
    await h.enqueue([contactRow(0, [h.listId], { email: 'shared@example.com' })]);
    expect(await h.worker().drain({ maxMs: 10_000 })).toMatchObject({ delivered: 1 });
    // A second customer (keyed by that email) whose interactions carry the same email.
    await h.enqueue([contactRow(1, [h.listId], { ext_id: 'shared@example.com', email: 'shared@example.com', attributes: { FIRSTNAME: 'Other' } })]);
    expect(await h.worker().drain({ maxMs: 10_000 })).toMatchObject({ delivered: 0, dead: 1 });
    const s = await h.state();
    expect(s.contacts.map((c) => [c.ext_id, c.email, c.attributes.FIRSTNAME])).toEqual([[phone(0), 'shared@example.com', 'Customer 0']]);
    const dl = await h.store.listDeadLetters();
    expect(dl.map((d) => [d.recordKey, d.reason])).toEqual([['contact:shared@example.com', 'brevo_rejected']]);
    expect(dl[0]?.error).toMatch(/another contact/);
    // A contact Brevo had before Tajo (no ext_id) is still adopted by email.
    await h.client().call('POST', '/contacts', { email: 'marketing@example.com', attributes: { FIRSTNAME: 'Known' } });
    await h.enqueue([contactRow(2, [h.listId], { ext_id: 'marketing@example.com', email: 'marketing@example.com' })]);
    expect(await h.worker().drain({ maxMs: 10_000 })).toMatchObject({ delivered: 1, dead: 0 });
    const adopted = (await h.state()).contacts.filter((c) => c.email === 'marketing@example.com');
    expect(adopted.map((c) => [c.ext_id, c.attributes.FIRSTNAME])).toEqual([['marketing@example.com', 'Customer 2']]);
  });

  it('an email two Tajo customers hold, on the import path: the other contact is never re-keyed (that row goes one by one)', async () => {
    h = await startHarness();
    const shared = 'shared@example.com';
    const cust = (key: string) => ({ key, email: shared, phone: null, whatsapp: null, chatIdentity: null, smsBlacklisted: false, whatsappBlacklisted: false, pushedHash: null, updatedAt: new Date().toISOString(), version: 0 });
    await h.store.commit(CONNECTOR, { customers: [cust(phone(0)), cust(shared)] });
    await h.enqueue([contactRow(0, [h.listId], { email: shared })]);
    expect(await h.worker().drain({ maxMs: 10_000 })).toMatchObject({ delivered: 1 });
    // the email-keyed customer arrives among enough contacts to be imported
    await h.enqueue([...Array.from({ length: 39 }, (_, i) => contactRow(1 + i, [h!.listId])), contactRow(40, [h.listId], { ext_id: shared, email: shared, attributes: { FIRSTNAME: 'Other' } })]);
    const r = await h.worker().drain({ maxMs: 20_000 });
    expect(h.stats.snapshot()['brevo POST /brevo/v3/contacts/import']?.requests).toBe(1);
    expect(r).toMatchObject({ delivered: 39, dead: 1 });
    const owner = (await h.state()).contacts.filter((c) => c.email === shared);
    expect(owner.map((c) => [c.ext_id, c.attributes.FIRSTNAME])).toEqual([[phone(0), 'Customer 0']]);
    expect((await h.store.listDeadLetters()).map((d) => [d.recordKey, d.reason])).toEqual([[`contact:${shared}`, 'brevo_rejected']]);
  });

  it('attribute values Brevo would ignore (wrong type, unknown attribute) are not sent and are reported once per attribute', async () => {
    h = await startHarness();
    await h.client().createAttribute('SIGNUP_DATE', 'date');
    await h.client().createAttribute('IS_VIP', 'boolean');
    const lines: { attribute?: string; msg?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as { attribute?: string; msg?: string }) });
    const extra = (i: number) => ({ attributes: { FIRSTNAME: `Customer ${i}`, SIGNUP_DATE: '2026-01-05T10:00:00Z', IS_VIP: 'yes', NOT_IN_BREVO: 'x', AVG_WAIT_TIME: 12.5 } });
    // one by one (3) and by import (60): both paths
    const w = h.worker({ logger });
    await h.enqueue(Array.from({ length: 3 }, (_, i) => contactRow(i, [h!.listId], extra(i), 0)));
    expect(await w.drain({ maxMs: 10_000 })).toMatchObject({ delivered: 3, dead: 0 });
    await h.enqueue(Array.from({ length: 60 }, (_, i) => contactRow(100 + i, [h!.listId], extra(100 + i))));
    expect(await w.drain({ maxMs: 20_000 })).toMatchObject({ delivered: 60, dead: 0 });
    expect(h.stats.snapshot()['brevo POST /brevo/v3/contacts/import']?.requests).toBe(1);
    expect(h.emu.requestLog().ignoredAttributes).toMatchObject({ total: 0 });
    const s = await h.state();
    expect(s.contacts).toHaveLength(63);
    expect(s.contacts.every((c) => c.attributes.AVG_WAIT_TIME === 12.5 && c.attributes.FIRSTNAME !== undefined)).toBe(true);
    const reported = lines.filter((l) => l.attribute !== undefined).map((l) => l.attribute).sort();
    expect(reported).toEqual(['IS_VIP', 'NOT_IN_BREVO', 'SIGNUP_DATE']);
    // and `tajo connectors status` shows it (the connector's last error), the connector still active
    const rec = await h.store.getConnector(CONNECTOR);
    expect(rec).toMatchObject({ status: 'active', lastError: { code: expect.stringMatching(/^TAJO_BREVO_ATTRIBUTE_(TYPE|MISSING)$/) } });
    expect(rec?.lastError?.message).toMatch(/IS_VIP|NOT_IN_BREVO|SIGNUP_DATE/);
  });

  it('duplicate SMS inside an import: read from the process report, dead-lettered', async () => {
    h = await startHarness();
    // Contact 7 already exists (by ext_id, no phone) and another contact holds its phone: two owners → duplicate.
    await h.client().createContact({ ext_id: phone(7), attributes: { FIRSTNAME: 'Seven' }, listIds: [] });
    await h.client().createContact({ ext_id: 'someone-else', attributes: { SMS: phone(7) }, listIds: [] });
    await h.enqueue(Array.from({ length: 60 }, (_, i) => contactRow(i, [h!.listId])));
    const r = await h.worker().drain({ maxMs: 20_000 });
    expect(r).toMatchObject({ delivered: 59, dead: 1 });
    expect(h.stats.snapshot()['brevo POST /brevo/v3/contacts/import']?.requests).toBe(1);
    const dl = await h.store.listDeadLetters();
    expect(dl.map((d) => [d.recordKey, d.reason])).toEqual([[`contact:${phone(7)}`, 'brevo_duplicate_sms']]);
  });

  it('two rows of one import sharing a phone: the row Brevo skipped is dead-lettered, not the one it kept', async () => {
    h = await startHarness();
    const rows = Array.from({ length: 25 }, (_, i) => contactRow(i, [h!.listId]));
    // Row 24 is another customer (keyed by email) whose mapped phone is row 23's: Brevo keeps row 23 (first), skips 24.
    rows[24] = contactRow(24, [h.listId], { ext_id: 'b@example.com', email: 'b@example.com', attributes: { FIRSTNAME: 'B', SMS: phone(23) } });
    await h.enqueue(rows);
    const r = await h.worker().drain({ maxMs: 20_000 });
    expect(h.stats.snapshot()['brevo POST /brevo/v3/contacts/import']?.requests).toBe(1);
    expect(r).toMatchObject({ delivered: 24, dead: 1 });
    const dl = await h.store.listDeadLetters();
    expect(dl.map((d) => [d.recordKey, d.reason])).toEqual([['contact:b@example.com', 'brevo_duplicate_sms']]);
    expect((await h.state()).contacts.map((c) => c.ext_id)).toContain(phone(23));
  });

  it('an import whose reports are partly unreadable: the rows no readable report names are sent one by one, none lost', async () => {
    h = await startHarness();
    const harness = h;
    // A Brevo that skips one row of the import and reports it in a report file that cannot be downloaded, next to
    // an inline report (a duplicate phone) that names another row.
    const lost = phone(3);
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const path = (req.url ?? '/').replace(/^\/brevo\/v3/, '');
          if (path.startsWith('/reports/')) {
            res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":"internal","message":"report unavailable"}');
            return;
          }
          let body: string | undefined = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
          if (req.method === 'POST' && path === '/contacts/import' && body) {
            const j = JSON.parse(body) as { jsonBody: { ext_id?: string }[] };
            j.jsonBody = j.jsonBody.filter((r) => r.ext_id !== lost);
            body = JSON.stringify(j);
          }
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'content-length' && k !== 'host') headers[k] = v;
          const up = await fetch(`${harness.baseUrl}${path}`, { method: req.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
          let text = await up.text();
          if (req.method === 'GET' && /^\/processes\/\d+$/.test(path)) {
            const p = JSON.parse(text) as { info?: { import?: Record<string, unknown> } };
            if (p.info?.import) p.info.import.duplicate_ext_id = `/brevo/v3/reports/${path.slice('/processes/'.length)}-duplicate_ext_id.csv`;
            text = JSON.stringify(p);
          }
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' }).end(text);
        })().catch((err: unknown) => res.writeHead(502).end(String(err)));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/brevo/v3`;
      const client = new BrevoClient({ baseUrl: url, apiKey: h.apiKey, budgets: budgetsForBrevo(h.scale), timeScale: h.scale, logger: pino({ level: 'silent' }), timeoutMs: 5_000, maxAttempts: 1 });
      // contact 7 exists (by ext_id, no phone) and another contact holds its phone: reported inline as a duplicate
      await h.client().createContact({ ext_id: phone(7), attributes: { FIRSTNAME: 'Seven' }, listIds: [] });
      await h.client().createContact({ ext_id: 'someone-else', attributes: { SMS: phone(7) }, listIds: [] });
      await h.enqueue(Array.from({ length: 25 }, (_, i) => contactRow(i, [h!.listId])));
      const r = await h.worker({}, client).drain({ maxMs: 20_000 });
      expect(r).toMatchObject({ delivered: 24, dead: 1 });
      const dl = await h.store.listDeadLetters();
      expect(dl.map((d) => [d.recordKey, d.reason])).toEqual([[`contact:${phone(7)}`, 'brevo_duplicate_sms']]);
      // the row the import skipped reached Brevo after all
      const extIds = new Set((await h.state()).contacts.map((c) => c.ext_id));
      expect(extIds.has(lost)).toBe(true);
      expect(Array.from({ length: 25 }, (_, i) => phone(i)).filter((p) => p !== phone(7) && !extIds.has(p))).toEqual([]);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('events batch 207: the rejected events are dead-lettered, the rest delivered; an all-bad batch is isolated by singles', async () => {
    h = await startHarness();
    await h.enqueue([contactRow(0, [h.listId])]);
    const rows = Array.from({ length: 150 }, (_, i) => eventRow(i, 0));
    for (const i of [3, 77]) (rows[i]!.payload as { event_name: string }).event_name = 'BAD NAME!';
    await h.enqueue(rows);
    expect(await h.worker().drain({ maxMs: 10_000 })).toMatchObject({ delivered: 149, dead: 2 });
    const dl = await h.store.listDeadLetters();
    expect(dl.map((d) => [d.recordKey, d.reason]).sort()).toEqual([[rows[3]!.key, 'brevo_rejected'], [rows[77]!.key, 'brevo_rejected']]);
    expect(tajoCounts(await h.state()).size).toBe(148);

    // (at least half a batch: the planner does not spend a batch token on fewer events)
    const bad = Array.from({ length: 120 }, (_, i) => eventRow(500 + i, 0));
    for (const r of bad) (r.payload as { event_name: string }).event_name = 'ALSO BAD!';
    await h.enqueue(bad);
    h.stats.reset();
    expect(await h.worker().drain({ maxMs: 10_000 })).toMatchObject({ delivered: 0, dead: 120 });
    expect(h.stats.snapshot()['brevo POST /brevo/v3/events/batch']?.requests).toBe(1);
    expect(h.stats.snapshot()['brevo POST /brevo/v3/events']?.requests).toBe(120);
  });

  it('start()/stop(): delivers in the background as rows arrive, then stops cleanly', async () => {
    h = await startHarness();
    const w = h.worker();
    w.start();
    await h.enqueue([contactRow(0, [h.listId], {}, 0), eventRow(0, 0, 0)]);
    for (let i = 0; i < 100 && (await h.store.outboxStats()).delivered < 2; i++) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(await h.store.outboxStats()).toMatchObject({ delivered: 2, pending: 0, inflight: 0 });
    await h.enqueue([eventRow(1, 0)]);
    await new Promise((r) => setTimeout(r, 100));
    expect(await h.store.outboxStats()).toMatchObject({ pending: 1 });
  });

  it('backfill: the first contacts round waits the bulk gap from when contacts first wait, then goes as one round', async () => {
    h = await startHarness();
    let now = 1_000_000;
    const w = h.worker({ backfill: true, clock: () => now, contactMinGapMs: 5_000, contactIntervalMs: 60_000 });
    // Nothing waits yet: the hold has not started, the round is empty.
    expect(await w.runOnce({ background: true })).toEqual({ delivered: 0, retried: 0, dead: 0 });
    await h.enqueue([contactRow(0, [h.listId]), contactRow(1, [h.listId])]);
    now += 60_000; // long after the worker started: the hold counts from the contacts, not from the start
    expect(await w.runOnce({ background: true })).toMatchObject({ delivered: 0 });
    await h.enqueue([contactRow(2, [h.listId])]);
    now += 4_000;
    expect(await w.runOnce({ background: true })).toMatchObject({ delivered: 0 });
    now += 1_000;
    expect(await w.runOnce({ background: true })).toMatchObject({ delivered: 3 });
    expect((await h.state()).contacts).toHaveLength(3);
    // A live worker (no backfill) sends its first contacts at once.
    await h.enqueue([contactRow(3, [h.listId])]);
    expect(await h.worker({ workerId: 'live', clock: () => now }).runOnce({ background: true })).toMatchObject({ delivered: 1 });
  });

  it('background: the events a contacts round released (one-by-one upserts too) go out in that round and count before another contacts round', async () => {
    h = await startHarness();
    let now = 1_000_000;
    const w = h.worker({ clock: () => now, contactMinGapMs: 0, contactIntervalMs: 600_000, eventClaimLimit: 20 });
    await h.enqueue([contactRow(0, [h.listId]), ...Array.from({ length: 60 }, (_, i) => eventRow(i, 0))]);
    // Round 1: the contact goes out; its events were held until then, and the round's last claim finds them.
    const r1 = await w.runOnce({ background: true });
    expect(r1.delivered).toBeGreaterThan(1);
    // A new contact waits; events are still ready, so no contacts round (and no import poll) is due yet.
    await h.enqueue([contactRow(1, [h.listId])]);
    now += 1_000;
    await w.runOnce({ background: true });
    expect((await h.state()).contacts.map((c) => c.ext_id)).toEqual([phone(0)]);
    // Once the ready events run out, the contacts round comes.
    for (let i = 0; i < 10 && (await h.state()).contacts.length < 2; i++) {
      now += 1_000;
      await w.runOnce({ background: true });
    }
    expect((await h.state()).contacts.map((c) => c.ext_id).sort()).toEqual([phone(0), phone(1)]);
    expect(tajoCounts(await h.state()).size).toBe(60);
  });

  it('401: the connector is paused, nothing is dead-lettered, rows go back to the queue', async () => {
    h = await startHarness();
    await h.enqueue([contactRow(0, [h.listId]), eventRow(0, 0)]);
    const w = h.worker({}, h.client('xkeysib-wrong'));
    const r = await w.drain({ maxMs: 10_000 });
    expect(r).toMatchObject({ paused: true, dead: 0, delivered: 0 });
    expect(w.paused).toBeDefined();
    const c = await h.store.getConnector(CONNECTOR);
    expect(c).toMatchObject({ status: 'paused', lastError: { code: 'TAJO_BREVO_AUTH' } });
    expect(await h.store.deadLetterCounts()).toEqual({});
    expect(await h.store.outboxStats()).toMatchObject({ pending: 2, inflight: 0, dead: 0 });
    expect(JSON.stringify(c)).not.toContain('xkeysib-wrong');
  });

  it('kill-safety: a claim that is sent but never completed is redelivered once after its lease expires', async () => {
    h = await startHarness();
    const M = 30;
    await h.enqueue(Array.from({ length: M }, (_, i) => eventRow(i, 0)));
    await h.enqueue([contactRow(0, [h.listId])]);
    await h.worker().drain({ maxMs: 5_000 }); // everything delivered once
    const more = Array.from({ length: M }, (_, i) => eventRow(100 + i, 0));
    await h.enqueue(more);
    // Worker A claims, Brevo accepts, A dies before completeOutbox.
    const claimed = await h.store.claimOutbox({ workerId: 'A', kinds: ['event'], limit: 100, leaseMs: 1_000, nowMs: Date.now() });
    expect(claimed).toHaveLength(M);
    await h.client().createBatchEvents(claimed.map((c) => c.payload as never));
    // Worker B cannot take them while the lease holds; after it expires it redelivers them.
    const b = h.worker({ workerId: 'B' });
    expect(await b.runOnce()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    await new Promise((r) => setTimeout(r, 1_050));
    expect(await b.drain({ maxMs: 5_000 })).toMatchObject({ delivered: M });
    // A's late completion is a no-op.
    await h.store.completeOutbox(claimed.map((c) => c.id), Date.now());
    const counts = tajoCounts(await h.state());
    expect(counts.size).toBe(2 * M);
    for (const e of more) expect(counts.get(e.key)).toBe(2); // the in-flight batch, re-sent exactly once
    for (let i = 0; i < M; i++) expect(counts.get(eventRow(i, 0).key)).toBe(1);
    expect(await h.store.outboxStats()).toMatchObject({ pending: 0, inflight: 0, delivered: 2 * M + 1 });
  });
});

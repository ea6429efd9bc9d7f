import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBrevo, type Started } from './test-helpers/server.js';

const ev = (over: Record<string, unknown> = {}) => ({ event_name: 'SUPPORT_REQUESTED', identifiers: { ext_id: 'cust-1' }, ...over });

describe('Brevo emulator behaviour', () => {
  let s: Started;
  beforeAll(async () => {
    s = await startBrevo({ importDelayMs: 0, limits: { enabled: false } });
  });
  afterAll(() => s.close());
  beforeEach(async () => {
    const r = await fetch(`${s.origin}/_emulator/brevo/reset`, { method: 'POST' });
    expect(r.status).toBe(204);
    for (const [name, type] of [['SUPPORT_TICKET_COUNT', 'float'], ['LAST_SUPPORT_DATE', 'date'], ['VIP', 'boolean'], ['VIP_TIER', 'text']]) {
      expect((await s.call('POST', `/contacts/attributes/normal/${name}`, { type })).status).toBe(201);
    }
  });

  it('refuses an empty list name on create and rename, as it does an empty folder name', async () => {
    const folderId = ((await s.call('POST', '/contacts/folders', { name: 'F' })).json as { id: number }).id;
    const created = await s.call('POST', '/contacts/lists', { name: '', folderId });
    expect(created.status).toBe(400);
    expect(created.json).toEqual({ code: 'missing_parameter', message: 'name is missing' });
    expect(s.emu.state().lists).toEqual([]);
    const id = ((await s.call('POST', '/contacts/lists', { name: 'support', folderId })).json as { id: number }).id;
    const renamed = await s.call('PUT', `/contacts/lists/${id}`, { name: '' });
    expect(renamed.status).toBe(400);
    expect(renamed.json).toEqual({ code: 'missing_parameter', message: 'name is missing' });
    expect(((await s.call('GET', `/contacts/lists/${id}`)).json as { name: string }).name).toBe('support');
  });

  it('ignores wrong-typed and unknown attributes silently, and logs them', async () => {
    const r = await s.call('POST', '/contacts', {
      email: 'a@example.com',
      attributes: { support_ticket_count: 'abc', LAST_SUPPORT_DATE: '01/04/2026', VIP: 'true', VIP_TIER: 'gold', UNKNOWN_ATTR: 1, FIRSTNAME: 'Ana' },
    });
    expect(r.status).toBe(201);
    const upd = await s.call('PUT', '/contacts/a@example.com', { attributes: { SUPPORT_TICKET_COUNT: '4.5', LAST_SUPPORT_DATE: '2026-02-30', VIP: false } });
    expect(upd.status).toBe(204);
    const c = s.emu.state().contacts[0];
    expect(c?.attributes).toEqual({ VIP_TIER: 'gold', FIRSTNAME: 'Ana', SUPPORT_TICKET_COUNT: 4.5, VIP: false });
    const ignored = s.emu.requestLog().ignoredAttributes.entries.map((e) => [e.endpoint, e.name, e.reason]);
    expect(ignored).toEqual([
      ['POST /contacts', 'SUPPORT_TICKET_COUNT', 'wrong_type'],
      ['POST /contacts', 'LAST_SUPPORT_DATE', 'invalid_date'],
      ['POST /contacts', 'VIP', 'wrong_type'],
      ['POST /contacts', 'UNKNOWN_ATTR', 'unknown_attribute'],
      ['PUT /contacts/{identifier}', 'LAST_SUPPORT_DATE', 'invalid_date'],
    ]);
  });

  it('rejects a duplicate SMS, ext_id or email with duplicate_parameter and the identifiers', async () => {
    expect((await s.call('POST', '/contacts', { email: 'a@example.com', ext_id: 'x1', attributes: { SMS: '+14155550100' } })).status).toBe(201);
    const sms = await s.call('POST', '/contacts', { email: 'b@example.com', attributes: { SMS: '14155550100' } });
    expect(sms.status).toBe(400);
    expect(sms.json).toMatchObject({ code: 'duplicate_parameter', metadata: { duplicate_identifiers: ['SMS'] } });
    const ext = await s.call('POST', '/contacts', { ext_id: 'x1' });
    expect(ext.json).toMatchObject({ code: 'duplicate_parameter', metadata: { duplicate_identifiers: ['ext_id'] } });
    const mail = await s.call('POST', '/contacts', { email: 'A@Example.com' });
    expect(mail.json).toMatchObject({ code: 'duplicate_parameter', metadata: { duplicate_identifiers: ['email'] } });
    // updating another contact to an SMS that is taken
    expect((await s.call('POST', '/contacts', { email: 'b@example.com' })).status).toBe(201);
    const upd = await s.call('PUT', '/contacts/b@example.com', { attributes: { SMS: '+1 (415) 555-0100' } });
    expect(upd.status).toBe(400);
    expect(upd.json).toMatchObject({ code: 'duplicate_parameter', metadata: { duplicate_identifiers: ['SMS'] } });
    // upsert through a second identifier of another contact
    const upsert = await s.call('POST', '/contacts', { email: 'b@example.com', updateEnabled: true, attributes: { SMS: '+14155550100' } });
    expect(upsert.status).toBe(400);
    // invalid phone number
    const bad = await s.call('POST', '/contacts', { email: 'c@example.com', attributes: { SMS: '12345' } });
    expect(bad.json).toMatchObject({ code: 'invalid_parameter', message: expect.stringContaining('Invalid phone number') });
    expect(s.emu.state().contacts).toHaveLength(2);
  });

  it('forceMerge merges contacts sharing identifiers; the most recently modified survives', async () => {
    await s.call('POST', '/contacts', { email: 'a@example.com', attributes: { FIRSTNAME: 'Old' } });
    await s.call('POST', '/contacts', { ext_id: 'x1', attributes: { SMS: '+14155550100', VIP_TIER: 'gold' } });
    const r = await s.call('POST', '/contacts', { email: 'a@example.com', ext_id: 'x1', forceMerge: true, getId: true, attributes: { LASTNAME: 'L' } });
    expect(r.status).toBe(200);
    const st = s.emu.state();
    expect(st.contacts).toHaveLength(1);
    expect(st.contacts[0]).toMatchObject({ id: (r.json as { id: number }).id, email: 'a@example.com', ext_id: 'x1', attributes: { FIRSTNAME: 'Old', VIP_TIER: 'gold', LASTNAME: 'L', SMS: '+14155550100' } });
  });

  it('contacts/batch is update-only and all-or-nothing', async () => {
    await s.call('POST', '/contacts', { email: 'a@example.com' });
    await s.call('POST', '/contacts', { email: 'b@example.com', attributes: { SMS: '+33689965433' } });
    const r = await s.call('POST', '/contacts/batch', {
      contacts: [
        { email: 'a@example.com', attributes: { FIRSTNAME: 'A' } },
        { email: 'ghost@example.com', attributes: { FIRSTNAME: 'G' } },
        { sms: '+33689965433', attributes: { FIRSTNAME: 'B' } },
        { id: 999, attributes: { FIRSTNAME: 'X' } },
      ],
    });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 'document_not_found', message: 'No contact found for indexes 1,3' });
    const clash = await s.call('POST', '/contacts/batch', {
      contacts: [{ email: 'a@example.com', attributes: { FIRSTNAME: 'A' } }, { email: 'a@example.com', attributes: { SMS: '+33689965433' } }],
    });
    expect(clash.status).toBe(400);
    expect(s.emu.state().contacts.map((c) => c.attributes.FIRSTNAME)).toEqual([undefined, undefined]);
    const two = await s.call('POST', '/contacts/batch', { contacts: [{ email: 'a@example.com', sms: '+33689965433' }] });
    expect(two.status).toBe(400);
    const ok = await s.call('POST', '/contacts/batch', {
      contacts: [
        { email: 'a@example.com', ext_id: 'ea', attributes: { FIRSTNAME: 'A' } },
        { sms: '0033689965433', smsBlacklisted: true, attributes: { FIRSTNAME: 'B' } },
      ],
    });
    expect(ok.status).toBe(204);
    expect(s.emu.state().contacts.map((c) => [c.ext_id, c.attributes.FIRSTNAME, c.smsBlacklisted])).toEqual([
      ['ea', 'A', false],
      [null, 'B', true],
    ]);
  });

  it('list add/remove: 1..150 items, success/failure, unknown list → 404', async () => {
    const { id: listId } = (await s.call('POST', '/contacts/lists', { name: 'l', folderId: 1 })).json as { id: number };
    await s.call('POST', '/contacts', { email: 'a@example.com' });
    const emails = Array.from({ length: 151 }, (_, i) => `u${i}@example.com`);
    const tooMany = await s.call('POST', `/contacts/lists/${listId}/contacts/add`, { emails });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toMatchObject({ code: 'out_of_range' });
    const ok = await s.call('POST', `/contacts/lists/${listId}/contacts/add`, { emails: emails.slice(0, 149).concat('a@example.com') });
    expect(ok.status).toBe(201);
    expect((ok.json as { contacts: { success: string[]; failure: string[] } }).contacts.success).toEqual(['a@example.com']);
    // nothing added (already in the list, or unknown): Brevo answers 400, not 201 with an empty success list
    const again = await s.call('POST', `/contacts/lists/${listId}/contacts/add`, { emails: ['a@example.com', 'ghost@example.com'] });
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ code: 'invalid_parameter', message: 'Contact already in list and/or does not exist' });
    expect((await s.call('POST', '/contacts/lists/999/contacts/add', { emails: ['a@example.com'] })).status).toBe(404);
    expect((await s.call('POST', `/contacts/lists/${listId}/contacts/add`, { emails: ['a@example.com'], ids: [1] })).status).toBe(400);
    const rm = await s.call('POST', `/contacts/lists/${listId}/contacts/remove`, { ids: [1] });
    expect(rm.json).toEqual({ contacts: { success: [1], failure: [] } });
    expect(s.emu.state().lists[0]?.contactIds).toEqual([]);
    const rmAgain = await s.call('POST', `/contacts/lists/${listId}/contacts/remove`, { ids: [1, 999] });
    expect(rmAgain.status).toBe(400);
    expect(rmAgain.json).toMatchObject({ code: 'invalid_parameter' });
  });

  it('events: validation, contact creation, contact_properties, stored with received time', async () => {
    expect((await s.call('POST', '/events', ev({ event_name: 'bad name!' }))).status).toBe(400);
    expect((await s.call('POST', '/events', ev({ identifiers: {} }))).json).toMatchObject({ code: 'missing_parameter' });
    expect((await s.call('POST', '/events', ev({ event_date: 'yesterday' }))).status).toBe(400);
    const big = { blob: 'x'.repeat(51 * 1024) };
    expect((await s.call('POST', '/events', ev({ event_properties: big }))).json).toMatchObject({ code: 'out_of_range' });
    const r = await s.call('POST', '/events', ev({
      identifiers: { ext_id: 'cust-1', email_id: 'Cust@Example.com', contact_id: undefined },
      event_date: '2026-01-04T17:39:57+01:00',
      contact_properties: { SUPPORT_TICKET_COUNT: 3, VIP: true, LAST_SUPPORT_DATE: 'nope' },
      event_properties: { tajo_id: 'SUPPORT_REQUESTED:WT1', wait_seconds: 1.5, questions: [{ label: 'q', score: 4 }] },
    }));
    expect(r.status).toBe(204);
    const st = s.emu.state();
    expect(st.contacts).toEqual([expect.objectContaining({ email: 'cust@example.com', ext_id: 'cust-1', attributes: { SUPPORT_TICKET_COUNT: 3, VIP: true } })]);
    expect(st.events).toEqual([
      expect.objectContaining({ event_name: 'SUPPORT_REQUESTED', event_date: '2026-01-04T17:39:57+01:00', contactId: st.contacts[0]?.id, receivedAt: expect.any(String) }),
    ]);
    // contact_id takes priority; unknown contact_id → 404
    expect((await s.call('POST', '/events', ev({ identifiers: { contact_id: st.contacts[0]?.id, ext_id: 'other' } }))).status).toBe(204);
    expect(s.emu.state().events[1]?.contactId).toBe(st.contacts[0]?.id);
    expect((await s.call('POST', '/events', ev({ identifiers: { contact_id: 424242 } }))).status).toBe(404);
  });

  it('events/batch: 202, 207 breakdown, 400 over 200 events or 512 KB', async () => {
    const ok = await s.call('POST', '/events/batch', { events: [ev(), ev({ identifiers: { email_id: 'b@example.com' } })] });
    expect(ok.status).toBe(202);
    expect(ok.json).toEqual({ message: 'Batch accepted. Valid events have been added to the processing queue.', count: 2 });
    const partial = await s.call('POST', '/events/batch', {
      events: [ev(), ev({ event_name: 'no spaces' }), ev({ identifiers: {} }), ev({ event_name: 'x y' }), ev()],
    });
    expect(partial.status).toBe(207);
    expect(partial.json).toEqual({
      status: 'partial_success',
      total_events: 5,
      successful_events: 2,
      failed_events: 3,
      errors: [
        { eventIndex: [1, 3], message: expect.stringContaining('event_name') },
        { eventIndex: [2], message: expect.stringContaining('identifiers') },
      ],
    });
    const tooMany = await s.call('POST', '/events/batch', { events: Array.from({ length: 201 }, () => ev()) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toMatchObject({ code: 'out_of_range' });
    const heavy = Array.from({ length: 20 }, () => ev({ event_properties: { blob: 'x'.repeat(30 * 1024) } }));
    const tooBig = await s.call('POST', '/events/batch', { events: heavy });
    expect(tooBig.status).toBe(400);
    expect(tooBig.json).toMatchObject({ message: expect.stringContaining('512 KB') });
    expect((await s.call('POST', '/events/batch', { events: [ev({ identifiers: {} })] })).status).toBe(400);
    expect(s.emu.state().events).toHaveLength(4);
  });

  it('createContactOnUnknownEvent: false → 404 single, failed entry in batch', async () => {
    const strict = await startBrevo({ createContactOnUnknownEvent: false, limits: { enabled: false } });
    try {
      await strict.call('POST', '/contacts', { ext_id: 'known' });
      const single = await strict.call('POST', '/events', ev({ identifiers: { ext_id: 'unknown' } }));
      expect(single.status).toBe(404);
      expect(single.json).toEqual({ code: 'document_not_found', message: 'Contact does not exist' });
      const batch = await strict.call('POST', '/events/batch', { events: [ev({ identifiers: { ext_id: 'known' } }), ev({ identifiers: { ext_id: 'unknown' } })] });
      expect(batch.status).toBe(207);
      expect(batch.json).toMatchObject({ failed_events: 1, errors: [{ eventIndex: [1], message: 'Contact does not exist' }] });
      expect(strict.emu.state().contacts).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });

  it('import: CSV and JSON, listIds/newList, updateExistingContacts, duplicates in info.import, notifyUrl', async () => {
    const received: unknown[] = [];
    const hook: Server = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        received.push(JSON.parse(b));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const notifyUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/done`;
      await s.call('POST', '/contacts', { email: 'old@example.com', attributes: { FIRSTNAME: 'Before', VIP_TIER: 'gold' } });
      const csv = 'EMAIL;FIRSTNAME;SMS;VIP;VIP_TIER\nold@example.com;After;;yes;\nnew@example.com;New;+33689965433;no;silver\nNEW@example.com;Dup;;;\nbad-email;X;;;';
      const r = await s.call('POST', '/contacts/import', { fileBody: csv, newList: { listName: 'imported', folderId: 1 }, notifyUrl });
      expect(r.status).toBe(202);
      const { processId } = r.json as { processId: number };
      await s.emu.settle();
      const proc = (await s.call('GET', `/processes/${processId}`)).json;
      expect(proc).toMatchObject({
        status: 'completed',
        info: { import: { duplicate_email_id: 'new@example.com', invalid_emails: 'bad-email', duplicate_phone_id: null } },
      });
      const st = s.emu.state();
      const list = st.lists.find((l) => l.name === 'imported');
      const byEmail = new Map(st.contacts.map((c) => [c.email, c]));
      expect(byEmail.get('old@example.com')).toMatchObject({ attributes: { FIRSTNAME: 'After', VIP_TIER: 'gold', VIP: true }, listIds: [list?.id] });
      expect(byEmail.get('new@example.com')).toMatchObject({ attributes: { FIRSTNAME: 'New', SMS: '+33689965433', VIP: false, VIP_TIER: 'silver' } });
      expect(received).toEqual([expect.objectContaining({ id: processId, status: 'completed' })]);
      expect(s.emu.requestLog().notifications).toEqual([expect.objectContaining({ processId, url: notifyUrl, status: 200 })]);

      // JSON body identified by EXT_ID / SMS; no update of existing contacts
      const j = await s.call('POST', '/contacts/import', {
        jsonBody: [
          { attributes: { EXT_ID: 'ext-9', FIRSTNAME: 'Ext' } },
          { ext_id: 'ext-10', attributes: { SMS: '+14155550199' } },
          { email: 'old@example.com', attributes: { FIRSTNAME: 'Ignored' } },
        ],
        listIds: [list?.id],
        updateExistingContacts: false,
      });
      expect(j.status).toBe(202);
      await s.emu.settle();
      const st2 = s.emu.state();
      expect(st2.contacts.find((c) => c.ext_id === 'ext-9')).toMatchObject({ email: null, attributes: { FIRSTNAME: 'Ext' } });
      expect(st2.contacts.find((c) => c.ext_id === 'ext-10')).toMatchObject({ attributes: { SMS: '+14155550199' } });
      expect(st2.contacts.find((c) => c.email === 'old@example.com')?.attributes.FIRSTNAME).toBe('After');
      expect((await s.call('POST', '/contacts/import', { fileBody: 'FIRSTNAME\nA', listIds: [list?.id] })).json).toMatchObject({
        code: 'invalid_parameter',
        message: expect.stringContaining('could not find any valid email or SMS'),
      });
      expect((await s.call('POST', '/contacts/import', { jsonBody: [{ email: 'z@example.com' }] })).json).toMatchObject({ code: 'missing_parameter' });
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });

  it('import runs after its emulated delay', async () => {
    const slow = await startBrevo({ importDelayMs: 60_000, limits: { enabled: false } });
    try {
      await slow.call('POST', '/contacts/lists', { name: 'l', folderId: 1 });
      const { processId } = (await slow.call('POST', '/contacts/import', { jsonBody: [{ email: 'a@example.com' }], listIds: [1] })).json as { processId: number };
      expect((await slow.call('GET', `/processes/${processId}`)).json).toMatchObject({ status: 'queued' });
      expect(slow.emu.state().contacts).toHaveLength(0);
      slow.emu.clock.advance(60_000);
      expect((await slow.call('GET', `/processes/${processId}`)).json).toMatchObject({ status: 'completed' });
      expect(slow.emu.state().contacts).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('spec validation can be switched off', async () => {
    const lax = await startBrevo({ specValidation: false, limits: { enabled: false } });
    try {
      // schema says listIds are integers; without validation the emulator's own checks still apply
      expect((await lax.call('POST', '/contacts', { email: 'a@example.com', smsBlacklisted: 'yes' })).status).toBe(201);
      expect((await s.call('POST', '/contacts', { email: 'a@example.com', smsBlacklisted: 'yes' })).status).toBe(400);
      expect((await lax.call('POST', '/events', ev({ event_name: 'bad name' }))).status).toBe(400);
    } finally {
      await lax.close();
    }
  });
});

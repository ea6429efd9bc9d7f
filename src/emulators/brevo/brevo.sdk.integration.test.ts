import { BrevoClient, BrevoError } from '@getbrevo/brevo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, startBrevo, type Started } from './test-helpers/server.js';

describe('Brevo emulator driven by the official @getbrevo/brevo v6 client', () => {
  let s: Started;
  let client: BrevoClient;

  beforeAll(async () => {
    // generous budgets here: rate limiting has its own test file
    s = await startBrevo({ importDelayMs: 50, limits: { contactsPerSecond: 1000, eventsPerSecond: 1000 } });
    client = new BrevoClient({ apiKey: API_KEY, baseUrl: s.base, maxRetries: 0 });
  });
  afterAll(() => s.close());

  it('creates attributes, contacts, lists, imports, events; the state matches', async () => {
    await client.contacts.createAttribute({ attributeCategory: 'normal', attributeName: 'support_ticket_count', type: 'float' });
    await client.contacts.createAttribute({ attributeCategory: 'normal', attributeName: 'LAST_SUPPORT_DATE', type: 'date' });
    await client.contacts.createAttribute({ attributeCategory: 'normal', attributeName: 'FLEX_IDENTITY', type: 'text' });
    const attrs = await client.contacts.getAttributes();
    expect(attrs.attributes.map((a) => a.name)).toEqual(expect.arrayContaining(['SUPPORT_TICKET_COUNT', 'LAST_SUPPORT_DATE', 'FLEX_IDENTITY', 'SMS', 'EXT_ID']));

    const list = await client.contacts.createList({ name: 'support_contacts', folderId: 1 });
    expect(list.id).toBeGreaterThan(0);

    const created = await client.contacts.createContact({
      email: 'Ana@Example.com',
      ext_id: '+14155550100',
      attributes: { FIRSTNAME: 'Ana', SMS: '+14155550100', SUPPORT_TICKET_COUNT: 2, LAST_SUPPORT_DATE: '2026-01-04' },
      listIds: [list.id],
    });
    if (!created) throw new Error('createContact returned no body');
    expect(created.id).toBeGreaterThan(0);
    // upsert answers 204 without a body
    const upsert = await client.contacts.createContact({ email: 'ana@example.com', updateEnabled: true, attributes: { SUPPORT_TICKET_COUNT: 3 } });
    expect(upsert).toBeUndefined();
    await client.contacts.updateContact({ identifier: '+14155550100', identifierType: 'ext_id', attributes: { FLEX_IDENTITY: 'ana' } });

    const info = await client.contacts.getContactInfo({ identifier: '+14155550100', identifierType: 'phone_id' });
    expect(info).toMatchObject({
      id: created.id,
      email: 'ana@example.com',
      listIds: [list.id],
      whatsappBlacklisted: false,
      attributes: { FIRSTNAME: 'Ana', SUPPORT_TICKET_COUNT: 3, LAST_SUPPORT_DATE: '2026-01-04', FLEX_IDENTITY: 'ana', EXT_ID: '+14155550100' },
    });

    const imp = await client.contacts.importContacts({
      jsonBody: [
        { email: 'bob@example.com', attributes: { FIRSTNAME: 'Bob', EXT_ID: 'bob@example.com' } },
        { attributes: { SMS: '+442071838750', EXT_ID: '+442071838750' } },
      ],
      listIds: [list.id],
    });
    let proc = await client.process.getProcess({ processId: imp.processId });
    for (let i = 0; i < 50 && proc.status !== 'completed'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      proc = await client.process.getProcess({ processId: imp.processId });
    }
    expect(proc).toMatchObject({ id: imp.processId, name: 'IMPORTUSER', status: 'completed' });

    const second = await client.contacts.createList({ name: 'csat_respondents', folderId: 1 });
    const added = await client.contacts.addContactToList({ listId: second.id, body: { emails: ['bob@example.com', 'nobody@example.com'] } });
    expect(added.contacts).toEqual({ success: ['bob@example.com'], failure: ['nobody@example.com'] });
    await client.contacts.addContactToList({ listId: second.id, body: { extIds: ['+442071838750'] } });

    await client.event.createEvent({
      event_name: 'SUPPORT_REQUESTED',
      identifiers: { ext_id: '+14155550100', email_id: 'ana@example.com' },
      event_date: '2026-01-04T10:00:00.000Z',
      event_properties: { tajo_id: 'SUPPORT_REQUESTED:WT1', task_sid: 'WT1', channel: 'voice', wait_seconds: 12.5 },
    });
    const batch = await client.event.createBatchEvents({
      events: [
        { event_name: 'SUPPORT_RESOLVED', identifiers: { ext_id: '+14155550100' }, event_properties: { tajo_id: 'SUPPORT_RESOLVED:WT1' } },
        { event_name: 'SUPPORT_REQUESTED', identifiers: { ext_id: 'chat:new-visitor' }, contact_properties: { FIRSTNAME: 'Visitor' } },
      ],
    });
    expect(batch).toEqual({ message: expect.stringContaining('Batch accepted'), count: 2 });

    const st = s.emu.state();
    const byExt = new Map(st.contacts.map((c) => [c.ext_id, c]));
    expect(byExt.get('+14155550100')).toMatchObject({ email: 'ana@example.com', listIds: [list.id], attributes: { SMS: '+14155550100', SUPPORT_TICKET_COUNT: 3 } });
    expect(byExt.get('bob@example.com')).toMatchObject({ email: 'bob@example.com', listIds: [list.id, second.id], attributes: { FIRSTNAME: 'Bob' } });
    expect(byExt.get('+442071838750')).toMatchObject({ email: null, listIds: [list.id, second.id], attributes: { SMS: '+442071838750' } });
    expect(byExt.get('chat:new-visitor')).toMatchObject({ email: null, attributes: { FIRSTNAME: 'Visitor' } });
    expect(st.lists.find((l) => l.id === list.id)?.contactIds).toHaveLength(3);
    expect(st.events.map((e) => [e.event_name, e.contactId, e.via])).toEqual([
      ['SUPPORT_REQUESTED', created.id, 'single'],
      ['SUPPORT_RESOLVED', created.id, 'batch'],
      ['SUPPORT_REQUESTED', byExt.get('chat:new-visitor')?.id, 'batch'],
    ]);
    expect(st.events[0]).toMatchObject({ event_date: '2026-01-04T10:00:00.000Z', event_properties: { wait_seconds: 12.5 } });
    const listed = await client.event.getEvents({ contact_id: Number(created.id), startDate: '2020-01-01', endDate: '2100-01-01' });
    expect(listed.count).toBe(2);
    expect(listed.events?.map((e) => e.event_name).sort()).toEqual(['SUPPORT_REQUESTED', 'SUPPORT_RESOLVED']);
    expect(st.processes).toEqual([expect.objectContaining({ id: imp.processId, status: 'completed', stats: { rows: 2, created: 2, updated: 0, skipped: 0 } })]);
  });

  it('surfaces Brevo errors through the SDK error classes', async () => {
    const dup = await client.contacts.createContact({ email: 'ana@example.com' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(BrevoError);
    expect((dup as BrevoError).statusCode).toBe(400);
    expect((dup as BrevoError).body).toMatchObject({ code: 'duplicate_parameter', metadata: { duplicate_identifiers: ['email'] } });
    const missing = await client.contacts.getContactInfo({ identifier: 'ghost@example.com' }).catch((e: unknown) => e);
    expect((missing as BrevoError).statusCode).toBe(404);
    const bad = new BrevoClient({ apiKey: 'wrong', baseUrl: s.base, maxRetries: 0 });
    const unauth = await bad.account.getAccount().catch((e: unknown) => e);
    expect((unauth as BrevoError).statusCode).toBe(401);
    expect((unauth as BrevoError).body).toEqual({ code: 'unauthorized', message: 'Key not found' });
  });

  it('reads the rate-limit headers through withRawResponse', async () => {
    const { rawResponse } = await client.account.getAccount().withRawResponse();
    expect(rawResponse.headers.get('x-sib-ratelimit-limit')).toBe('100');
    expect(Number(rawResponse.headers.get('x-sib-ratelimit-remaining'))).toBeLessThan(100);
    expect(Number(rawResponse.headers.get('x-sib-ratelimit-reset'))).toBeGreaterThan(0);
  });
});

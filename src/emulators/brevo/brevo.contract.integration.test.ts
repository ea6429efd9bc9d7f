import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjector, FaultFileSchema } from '../common/faults.js';
import { BrevoSpec } from './spec.js';
import { startBrevo, type Answer, type Started } from './test-helpers/server.js';

/**
 * Contract: every answer of every endpoint validates against the spec's response schema for its status (with the
 * overrides of specs/OVERRIDES.md), and every status answered is one the (overridden) spec documents.
 */
describe('Brevo emulator responses match the spec', () => {
  const spec = BrevoSpec.load();
  const seen = new Set<string>();
  let s: Started;

  beforeAll(async () => {
    s = await startBrevo({ importDelayMs: 0, limits: { enabled: false } });
  });
  afterAll(() => s.close());

  async function expectContract(method: string, template: string, path: string, body: unknown, status: number): Promise<Answer> {
    const a = await s.call(method, path, body);
    expect(a.status, `${method} ${path} → ${a.text}`).toBe(status);
    const v = spec.responseValidator(method, template, status);
    expect(v, `${method} ${template} ${status} is not documented`).not.toBeUndefined();
    if (v === null) expect(a.text).toBe('');
    else if (v) expect(v(a.json), `${method} ${template} ${status}: ${JSON.stringify(v.errors)} in ${a.text.slice(0, 300)}`).toBe(true);
    expect(a.headers.get('x-sib-ratelimit-limit')).not.toBeNull();
    seen.add(`${method} ${template}`);
    return a;
  }

  it('covers every endpoint with its success and error answers', async () => {
    const c = expectContract;
    await c('GET', '/account', '/account', undefined, 200);

    // attributes
    await c('GET', '/contacts/attributes', '/contacts/attributes', undefined, 200);
    const attr = '/contacts/attributes/{attributeCategory}/{attributeName}';
    await c('POST', attr, '/contacts/attributes/normal/SCORE', { type: 'float' }, 201);
    await c('POST', attr, '/contacts/attributes/normal/score', { type: 'float' }, 400);
    await c('POST', attr, '/contacts/attributes/normal/TOPICS', { type: 'multiple-choice', multiCategoryOptions: ['a', 'b'] }, 201);
    await c('POST', attr, '/contacts/attributes/category/TIER', { enumeration: [{ value: 1, label: 'gold' }] }, 201);
    await c('POST', attr, '/contacts/attributes/bogus/X', { type: 'text' }, 400);
    await c('PUT', attr, '/contacts/attributes/category/TIER', { enumeration: [{ value: 1, label: 'gold' }, { value: 2, label: 'silver' }] }, 204);
    await c('PUT', attr, '/contacts/attributes/normal/NOPE', { multiCategoryOptions: ['x'] }, 404);
    await c('GET', '/contacts/attributes', '/contacts/attributes', undefined, 200);
    await c('POST', attr, '/contacts/attributes/normal/TEMP', { type: 'text' }, 201);
    await c('DELETE', attr, '/contacts/attributes/normal/TEMP', undefined, 204);
    await c('DELETE', attr, '/contacts/attributes/normal/TEMP', undefined, 404);

    // folders and lists
    await c('GET', '/contacts/folders', '/contacts/folders', undefined, 200);
    const folder = (await c('POST', '/contacts/folders', '/contacts/folders', { name: 'Support' }, 201)).json as { id: number };
    await c('POST', '/contacts/folders', '/contacts/folders', {}, 400);
    await c('GET', '/contacts/folders/{folderId}', `/contacts/folders/${folder.id}`, undefined, 200);
    await c('GET', '/contacts/folders/{folderId}', '/contacts/folders/999', undefined, 404);
    await c('PUT', '/contacts/folders/{folderId}', `/contacts/folders/${folder.id}`, { name: 'Support 2' }, 204);
    await c('PUT', '/contacts/folders/{folderId}', '/contacts/folders/999', { name: 'x' }, 404);
    const list = (await c('POST', '/contacts/lists', '/contacts/lists', { name: 'support_contacts', folderId: folder.id }, 201)).json as { id: number };
    await c('POST', '/contacts/lists', '/contacts/lists', { name: 'no folder' }, 400);
    await c('POST', '/contacts/lists', '/contacts/lists', { name: 'bad folder', folderId: 999 }, 400);
    await c('GET', '/contacts/lists', '/contacts/lists?limit=50', undefined, 200);
    await c('GET', '/contacts/lists', '/contacts/lists?limit=51', undefined, 400);
    await c('GET', '/contacts/lists/{listId}', `/contacts/lists/${list.id}`, undefined, 200);
    await c('GET', '/contacts/lists/{listId}', '/contacts/lists/999', undefined, 404);
    await c('GET', '/contacts/lists/{listId}', '/contacts/lists/abc', undefined, 400);
    await c('PUT', '/contacts/lists/{listId}', `/contacts/lists/${list.id}`, { name: 'support' }, 204);
    await c('PUT', '/contacts/lists/{listId}', '/contacts/lists/999', { name: 'x' }, 404);
    await c('GET', '/contacts/folders/{folderId}/lists', `/contacts/folders/${folder.id}/lists`, undefined, 200);
    await c('GET', '/contacts/folders/{folderId}/lists', '/contacts/folders/999/lists', undefined, 404);

    // contacts
    const ana = (await c('POST', '/contacts', '/contacts', { email: 'ana@example.com', ext_id: 'ana', attributes: { SMS: '+14155550100', SCORE: 4.5, TOPICS: ['a'], TIER: 1 }, listIds: [list.id] }, 201)).json as { id: number };
    await c('POST', '/contacts', '/contacts', { email: 'ana@example.com' }, 400);
    await c('POST', '/contacts', '/contacts', { email: 'ana@example.com', updateEnabled: true }, 204);
    await c('POST', '/contacts', '/contacts', { email: 'ana@example.com', updateEnabled: true, getId: true }, 200);
    await c('POST', '/contacts', '/contacts', { attributes: { SMS: '12' } }, 400);
    await c('POST', '/contacts', '/contacts', { email: 'not-an-email' }, 400);
    await c('POST', '/contacts', '/contacts', {}, 400);
    await c('POST', '/contacts', '/contacts', '{"email":', 400);
    const bob = (await c('POST', '/contacts', '/contacts', { attributes: { SMS: '+33689965433', EXT_ID: 'bob' } }, 201)).json as { id: number };
    await c('GET', '/contacts', '/contacts?limit=10&sort=asc', undefined, 200);
    await c('GET', '/contacts', '/contacts?limit=1001', undefined, 400);
    await c('GET', '/contacts/{identifier}', '/contacts/ana%40example.com', undefined, 200);
    await c('GET', '/contacts/{identifier}', `/contacts/${bob.id}`, undefined, 200);
    await c('GET', '/contacts/{identifier}', '/contacts/bob?identifierType=ext_id', undefined, 200);
    await c('GET', '/contacts/{identifier}', '/contacts/ghost%40example.com', undefined, 404);
    await c('GET', '/contacts/{identifier}', '/contacts/x?identifierType=bogus', undefined, 400);
    await c('PUT', '/contacts/{identifier}', '/contacts/ana?identifierType=ext_id', { attributes: { FIRSTNAME: 'Ana' }, whatsappBlacklisted: true }, 204);
    await c('PUT', '/contacts/{identifier}', '/contacts/ghost?identifierType=ext_id', { attributes: {} }, 404);
    await c('PUT', '/contacts/{identifier}', `/contacts/${bob.id}`, { attributes: { SMS: '+14155550100' } }, 400);
    await c('GET', '/contacts/lists/{listId}/contacts', `/contacts/lists/${list.id}/contacts`, undefined, 200);
    await c('GET', '/contacts/lists/{listId}/contacts', '/contacts/lists/999/contacts', undefined, 404);
    const add = '/contacts/lists/{listId}/contacts/add';
    const remove = '/contacts/lists/{listId}/contacts/remove';
    await c('POST', add, `/contacts/lists/${list.id}/contacts/add`, { ids: [bob.id, 999] }, 201);
    await c('POST', remove, `/contacts/lists/${list.id}/contacts/remove`, { extIds: ['bob'] }, 201);
    await c('POST', add, `/contacts/lists/${list.id}/contacts/add`, { extIds: ['bob', 'ghost'] }, 201);
    await c('POST', add, `/contacts/lists/${list.id}/contacts/add`, { extIds: ['bob', 'ghost'] }, 400);
    await c('POST', add, `/contacts/lists/${list.id}/contacts/add`, { emails: [] }, 400);
    await c('POST', add, '/contacts/lists/999/contacts/add', { emails: ['ana@example.com'] }, 404);
    await c('POST', remove, `/contacts/lists/${list.id}/contacts/remove`, { emails: ['ana@example.com'] }, 201);
    await c('POST', remove, `/contacts/lists/${list.id}/contacts/remove`, { all: true }, 201);
    await c('POST', remove, '/contacts/lists/999/contacts/remove', { ids: [1] }, 404);
    await c('POST', remove, `/contacts/lists/${list.id}/contacts/remove`, { ids: [999] }, 400);
    await c('POST', '/contacts/batch', '/contacts/batch', { contacts: [{ id: ana.id, attributes: { FIRSTNAME: 'A' } }, { sms: '+33689965433', smsBlacklisted: true }] }, 204);
    await c('POST', '/contacts/batch', '/contacts/batch', { contacts: [{ email: 'ghost@example.com' }] }, 404);
    await c('POST', '/contacts/batch', '/contacts/batch', { contacts: [{ email: 'ana@example.com', id: ana.id }] }, 400);

    // import and processes
    const proc = (await c('POST', '/contacts/import', '/contacts/import', { fileBody: 'EMAIL;FIRSTNAME\ncsv@example.com;Csv', listIds: [list.id] }, 202)).json as { processId: number };
    await c('POST', '/contacts/import', '/contacts/import', { jsonBody: [{ email: 'x@example.com' }] }, 400);
    await c('POST', '/contacts/import', '/contacts/import', { fileBody: 'FIRSTNAME\nNoId', listIds: [list.id] }, 400);
    await s.emu.settle();
    await c('GET', '/processes/{processId}', `/processes/${proc.processId}`, undefined, 200);
    await c('GET', '/processes/{processId}', '/processes/999', undefined, 404);
    await c('GET', '/processes', '/processes', undefined, 200);
    await c('GET', '/processes', '/processes?limit=51', undefined, 400);

    // events
    await c('POST', '/events', '/events', { event_name: 'SUPPORT_REQUESTED', identifiers: { ext_id: 'ana' }, event_properties: { n: 1.5, ok: true, nested: { a: [1, 'x'] } } }, 204);
    await c('POST', '/events', '/events', { event_name: 'SUPPORT REQUESTED', identifiers: { ext_id: 'ana' } }, 400);
    await c('POST', '/events', '/events', { event_name: 'X', identifiers: { contact_id: 999 } }, 404);
    await c('POST', '/events/batch', '/events/batch', { events: [{ event_name: 'A', identifiers: { email_id: 'ana@example.com' } }] }, 202);
    await c('POST', '/events/batch', '/events/batch', { events: [{ event_name: 'A', identifiers: { ext_id: 'ana' } }, { event_name: 'A', identifiers: {} }] }, 207);
    await c('POST', '/events/batch', '/events/batch', { events: [] }, 400);
    const listed = await c('GET', '/events', '/events?event_name=SUPPORT_REQUESTED&event_name=A&limit=2', undefined, 200);
    expect(listed.json).toMatchObject({ count: 3, events: [expect.objectContaining({ contact_id: ana.id }), expect.objectContaining({ contact_id: ana.id })] });
    await c('GET', '/events', `/events?contact_id=${ana.id}&startDate=2020-01-01&endDate=2100-01-01`, undefined, 200);
    await c('GET', '/events', '/events?startDate=2026-01-01', undefined, 400);
    await c('GET', '/events', '/events?limit=10001', undefined, 400);

    // deletions last
    await c('DELETE', '/contacts/{identifier}', `/contacts/${bob.id}`, undefined, 204);
    await c('DELETE', '/contacts/{identifier}', `/contacts/${bob.id}`, undefined, 404);
    await c('DELETE', '/contacts/lists/{listId}', `/contacts/lists/${list.id}`, undefined, 204);
    await c('DELETE', '/contacts/lists/{listId}', `/contacts/lists/${list.id}`, undefined, 404);
    await c('DELETE', '/contacts/folders/{folderId}', `/contacts/folders/${folder.id}`, undefined, 204);
    await c('DELETE', '/contacts/folders/{folderId}', `/contacts/folders/${folder.id}`, undefined, 404);

    expect([...s.emu.endpoints].filter((e) => !seen.has(e))).toEqual([]);
  });

  it('401, 429, 5xx, 404 and 405 answers use errorModel', async () => {
    const errorModel = spec.componentValidator('errorModel');
    const unauth = await s.call('GET', '/contacts/attributes', undefined, { 'api-key': 'nope' });
    expect(unauth.status).toBe(401);
    expect(spec.responseValidator('GET', '/contacts/attributes', 401)?.(unauth.json)).toBe(true);
    const unknown = await s.call('GET', '/no/such/path');
    expect(unknown.status).toBe(404);
    expect(errorModel(unknown.json)).toBe(true);
    const wrongMethod = await s.call('PATCH', '/contacts/lists');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json).toEqual({ code: 'method_not_allowed', message: 'PATCH Method is not allowed on this path' });

    const limited = await startBrevo({ limits: { otherPerHour: 1 } });
    try {
      await limited.call('GET', '/account');
      const r = await limited.call('GET', '/account');
      expect(r.status).toBe(429);
      expect(spec.responseValidator('GET', '/account', 429)?.(r.json)).toBe(true);
    } finally {
      await limited.close();
    }
    const faults = new FaultInjector(Date.now(), FaultFileSchema.parse({ rules: [{ vendor: 'brevo', errorRate: 1, errorStatus: 502 }] }));
    const failing = await startBrevo({ faults });
    try {
      const r = await failing.call('POST', '/events', { event_name: 'A', identifiers: { ext_id: 'x' } });
      expect(r.status).toBe(502);
      expect(spec.responseValidator('POST', '/events', 502)?.(r.json)).toBe(true);
    } finally {
      await failing.close();
    }
  });
});

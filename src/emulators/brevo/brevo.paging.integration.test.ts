import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrevo, type Started } from './test-helpers/server.js';

let s: Started;
beforeAll(async () => {
  s = await startBrevo({ limits: { enabled: false } });
  for (const name of ['a', 'b', 'c']) expect((await s.call('POST', '/contacts/lists', { name, folderId: 1 })).status).toBe(201);
  for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
    expect((await s.call('POST', '/contacts', { email, listIds: [1] })).status).toBe(201);
  }
  expect((await s.call('POST', '/contacts/import', { jsonBody: [{ email: 'd@example.com' }], listIds: [1] })).status).toBe(202);
});
afterAll(async () => {
  await s.close();
});

describe('limit/offset pages', () => {
  const paged = ['/contacts', '/contacts/lists', '/contacts/lists/1/contacts', '/contacts/folders', '/contacts/folders/1/lists', '/processes'];

  it('a negative offset is 400 out_of_range, not a page counted from the end', async () => {
    for (const path of paged) {
      const r = await s.call('GET', `${path}?offset=-2&limit=1`);
      expect(r.status, path).toBe(400);
      expect(r.json, path).toEqual({ code: 'out_of_range', message: 'offset must be >= 0' });
    }
  });

  it('offset 0 and beyond the end still answer 200', async () => {
    for (const path of paged) {
      expect((await s.call('GET', `${path}?offset=0&limit=1`)).status, path).toBe(200);
      const past = await s.call('GET', `${path}?offset=1000&limit=1`);
      expect(past.status, path).toBe(200);
      expect(Object.values(past.json as Record<string, unknown>).find(Array.isArray), path).toEqual([]);
    }
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { frozenClock, startBrevo, type Started } from './test-helpers/server.js';

const open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** A notifyUrl / fileUrl server that answers only when `release()` is called. */
async function heldServer(): Promise<{ url: string; hits: () => number; release: () => void }> {
  const waiting: ServerResponse[] = [];
  let hits = 0;
  let released = false;
  const answer = (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'text/plain' }).end('EMAIL\nfile@example.com');
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    hits += 1;
    req.resume();
    if (released) answer(res);
    else waiting.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const release = (): void => {
    released = true;
    for (const res of waiting.splice(0)) answer(res);
  };
  open.push({ close: () => { release(); server.closeAllConnections(); return new Promise((r) => server.close(r)); } });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, hits: () => hits, release };
}

async function started(): Promise<Started> {
  const s = await startBrevo({ clock: frozenClock(), importDelayMs: 1000, limits: { enabled: false } });
  // a request still held by the emulator must not keep close() waiting
  open.push({ close: () => { s.app.server.closeAllConnections(); return s.close(); } });
  expect((await s.call('POST', '/contacts/lists', { name: 'l', folderId: 1 })).status).toBe(201);
  return s;
}

/** Resolves with the answer, or with 'blocked' when none came within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'blocked'> {
  return Promise.race([p, new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), ms))]);
}

describe('GET /processes answers at once, whatever notifyUrl or fileUrl servers are doing', () => {
  it('a finished import is completed while its notifyUrl call is still waiting for an answer', async () => {
    const s = await started();
    const hook = await heldServer();
    const r = await s.call('POST', '/contacts/import', { jsonBody: [{ email: 'a@example.com' }], listIds: [1], notifyUrl: hook.url });
    const { processId } = r.json as { processId: number };
    s.emu.clock.advance(1000);
    const got = await within(s.call('GET', `/processes/${processId}`), 1500);
    expect(got).not.toBe('blocked');
    expect(got === 'blocked' ? null : got.json).toMatchObject({ id: processId, status: 'completed' });
    const list = await within(s.call('GET', '/processes'), 1500);
    expect(list === 'blocked' ? null : list.json).toMatchObject({ count: 1, processes: [{ id: processId, status: 'completed' }] });
    hook.release();
    await s.emu.settle();
    expect(hook.hits()).toBe(1);
    expect(s.emu.requestLog().notifications).toEqual([expect.objectContaining({ processId, status: 200 })]);
  });

  it('a fileUrl import whose file is still downloading is in_process, and completed once the file arrived', async () => {
    const s = await started();
    const file = await heldServer();
    const { processId } = (await s.call('POST', '/contacts/import', { fileUrl: file.url, listIds: [1] })).json as { processId: number };
    s.emu.clock.advance(1000);
    const got = await within(s.call('GET', `/processes/${processId}`), 1500);
    expect(got === 'blocked' ? 'blocked' : got.json).toMatchObject({ id: processId, status: 'in_process' });
    file.release();
    await s.emu.settle();
    expect((await s.call('GET', `/processes/${processId}`)).json).toMatchObject({ status: 'completed' });
    expect(s.emu.state().contacts.map((c) => c.email)).toEqual(['file@example.com']);
  });
});

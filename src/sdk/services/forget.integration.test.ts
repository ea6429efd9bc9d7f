import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { startEmulator, type RunningEmulator } from '../../emulators/index.js';
import type { TruthContact } from '../../emulators/generator/truth.js';
import { EmbeddedBackend } from '../embedded.js';
import type { ConnectParams } from '../types.js';
import { identityOf } from './forget.js';

const C = 'twilio-flex';
let emu: RunningEmulator;
let dir: string;
let backend: EmbeddedBackend;
let failingBrevo: Server;
let failingBrevoUrl: string;

const params = (over: Partial<ConnectParams> = {}): ConnectParams => ({
  accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio,
  brevoApiKey: emu.info.brevoApiKey, brevoBaseUrl: emu.info.brevo, ...over,
});
const brevoContacts = async () => ((await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { contacts: { ext_id?: string; email?: string }[] }).contacts;

beforeAll(async () => {
  emu = await startEmulator({ seed: 13, scale: 'small', timeScale: 20 });
  dir = await mkdtemp(join(tmpdir(), 'tajo-forget-'));
  backend = await EmbeddedBackend.open({ dataDir: dir, env: {}, config: ConfigSchema.parse({}) });
  await backend.connect(C, params());
  expect((await backend.sync(C, { type: 'full' })).status).toBe('ok');
  // a Brevo that accepts the key but refuses every contact deletion
  failingBrevo = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url === '/account') return res.end(JSON.stringify({ email: 'ops@example.com' }));
    res.statusCode = 400;
    res.end(JSON.stringify({ code: 'bad_request', message: 'refused' }));
  });
  await new Promise<void>((r) => failingBrevo.listen(0, '127.0.0.1', () => r()));
  failingBrevoUrl = `http://127.0.0.1:${(failingBrevo.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await backend?.ctx.close();
  await emu?.close();
  await new Promise((r) => failingBrevo?.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** A contact keyed by its phone that also has an email: what `forget <email>` used to miss. */
function phoneKeyedWithEmail(skip: string[] = []): TruthContact & { email: string } {
  const c = emu.truth().contacts.find((x) => x.ext_id.startsWith('+') && x.email !== undefined && !skip.includes(x.ext_id));
  expect(c).toBeDefined();
  return c as TruthContact & { email: string };
}

describe('forget', () => {
  it('--delete-in-brevo with the connector uninstalled or Brevo failing removes nothing locally, and says so', async () => {
    const person = phoneKeyedWithEmail();
    const store = await backend.ctx.store();
    const before = await store.getCustomers(C, [person.ext_id]);
    expect(before).toHaveLength(1);
    const interactionsBefore = (await store.interactionsForCustomers(C, [person.ext_id])).length;
    expect(interactionsBefore).toBeGreaterThan(0);

    await backend.uninstall(C);
    await expect(backend.forget(C, person.email, { deleteInBrevo: true })).rejects.toMatchObject({ code: 'TAJO_CONNECTOR_NOT_INSTALLED' });
    expect(await store.getCustomers(C, [person.ext_id])).toEqual(before);

    await backend.connect(C, params({ brevoBaseUrl: failingBrevoUrl }));
    const err = await backend.forget(C, person.email, { deleteInBrevo: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'TAJO_BREVO_REJECTED' });
    expect((err as Error).message).toMatch(/no Brevo contact was deleted, nothing was removed from Tajo's store/);
    expect(JSON.stringify(err) + (err as Error).message).not.toContain(emu.info.brevoApiKey);
    expect(await store.getCustomers(C, [person.ext_id])).toEqual(before);
    expect((await store.interactionsForCustomers(C, [person.ext_id])).length).toBe(interactionsBefore);
    expect((await brevoContacts()).some((c) => c.ext_id === person.ext_id)).toBe(true);
    await backend.uninstall(C);
    await backend.connect(C, params());
  });

  it('finds a person by an identity their customer is not keyed by (email of a phone-keyed customer) and forgets them, Brevo first', async () => {
    const person = phoneKeyedWithEmail();
    const store = await backend.ctx.store();
    expect(await store.findCustomerKeys(C, identityOf(person.email))).toContain(person.ext_id);

    const r = await backend.forget(C, `  ${person.email.toUpperCase()} `, { deleteInBrevo: true });
    expect(r.customers).toContain(person.ext_id);
    expect(r.interactions).toBeGreaterThan(0);
    expect(r).toMatchObject({ key: person.email, brevoDeleted: true });
    expect(await store.getCustomers(C, [person.ext_id])).toEqual([]);
    expect(await store.interactionsForCustomers(C, [person.ext_id])).toEqual([]);
    expect((await brevoContacts()).some((c) => c.ext_id === person.ext_id)).toBe(false);

    // nobody holds it any more: a coded "no such person", not "Forgotten: 0"
    await expect(backend.forget(C, person.email, {})).rejects.toMatchObject({ code: 'TAJO_PERSON_NOT_FOUND', exitCode: 65 });
    await expect(backend.forget(C, person.ext_id, { deleteInBrevo: true })).rejects.toMatchObject({ code: 'TAJO_PERSON_NOT_FOUND' });
  });

  it('stays forgotten: a full sync that reads their tasks again brings back neither their rows nor their Brevo contact', async () => {
    const store = await backend.ctx.store();
    const keys = new Set((await store.listInteractions(C, { limit: 10_000 })).map((x) => x.customerKey));
    const person = emu.truth().contacts.find((x) => keys.has(x.ext_id) && x.email !== undefined)!;
    expect(person).toBeDefined();
    const tasks = (await store.interactionsForCustomers(C, [person.ext_id])).map((i) => i.taskSid);
    expect(tasks.length).toBeGreaterThan(0);
    const others = (await store.counts(C)).customers;

    const r = await backend.forget(C, person.ext_id, { deleteInBrevo: true });
    expect(r).toMatchObject({ brevoDeleted: true });
    expect((await store.forgottenTasks(C, tasks)).sort()).toEqual([...tasks].sort());

    expect((await backend.sync(C, { type: 'full' })).status).toBe('ok');
    expect(await store.getCustomers(C, [person.ext_id])).toEqual([]);
    expect(await store.interactionsForCustomers(C, [person.ext_id])).toEqual([]);
    expect(await store.rawEventsForTasks(C, tasks)).toEqual([]);
    expect((await brevoContacts()).some((c) => c.ext_id === person.ext_id)).toBe(false);
    // everybody else is still synced
    expect((await store.counts(C)).customers).toBe(others - 1);
  });

  it('--delete-in-brevo with a write about them in flight (tajo serve delivering): deletes again once its lease ends', async () => {
    const store = await backend.ctx.store();
    const keys = new Set((await store.listInteractions(C, { limit: 10_000 })).map((x) => x.customerKey));
    const person = emu.truth().contacts.find((x) => keys.has(x.ext_id) && x.ext_id.includes('@'))!;
    expect(person).toBeDefined();
    await store.commit(C, { outbox: [{ kind: 'contact', key: `contact:${person.ext_id}`, payload: { ext_id: person.ext_id }, priority: 0, customerKey: person.ext_id }] });
    const claimed = await store.claimOutbox({ workerId: 'serve', kinds: ['contact'], limit: 10, leaseMs: 1_500, nowMs: Date.now() });
    expect(claimed.map((o) => o.key)).toContain(`contact:${person.ext_id}`);
    // the worker's write lands after forget's first deletion
    const landed = new Promise<number>((resolve, reject) => {
      setTimeout(() => {
        fetch(`${emu.info.brevo}/contacts`, {
          method: 'POST', headers: { 'api-key': emu.info.brevoApiKey, 'content-type': 'application/json' }, body: JSON.stringify({ ext_id: person.ext_id, attributes: {} }),
        }).then((res) => resolve(res.status), reject);
      }, 600);
    });
    const r = await backend.forget(C, person.ext_id, { deleteInBrevo: true });
    expect(await landed).toBeLessThan(300);
    expect(r).toMatchObject({ brevoDeleted: true, brevoContactsDeleted: 1 });
    expect((await brevoContacts()).some((c) => c.ext_id === person.ext_id)).toBe(false);
  });

  it('finds a person by their phone in another format (a WhatsApp form too)', async () => {
    const store = await backend.ctx.store();
    const keys = new Set((await store.listInteractions(C, { limit: 10_000 })).map((x) => x.customerKey));
    const other = emu.truth().contacts.find((x) => /^\+1\d{10}$/.test(x.ext_id) && keys.has(x.ext_id))!;
    expect(other).toBeDefined();
    const formatted = `whatsapp:+1 (${other.ext_id.slice(2, 5)}) ${other.ext_id.slice(5, 8)}-${other.ext_id.slice(8)}`;
    const r = await backend.forget(C, formatted, {});
    expect(r.customers).toContain(other.ext_id);
    expect(r.brevoDeleted).toBeUndefined();
    expect(await store.getCustomers(C, [other.ext_id])).toEqual([]);
  });
});

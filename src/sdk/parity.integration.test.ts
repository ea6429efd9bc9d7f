/**
 * Embedded and remote give the same results and the same errors (code, message, details, hint) for the same input,
 * whether the remote call comes from a TajoClient (which checks arguments before sending) or as raw HTTP (checked by
 * the server's handlers with the same validation).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { isTajoError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { startServer, type RunningServer } from '../server/app.js';
import { createKey } from '../server/keys.js';
import { EmbeddedBackend } from './embedded.js';
import { TajoClient, createManagementHandlers, errorResponse, type ConnectParams } from './index.js';

let emu: RunningEmulator;
let server: RunningServer;
let serverBackend: EmbeddedBackend;
let embedded: TajoClient;
let remote: TajoClient;
let key: string;
const dirs: string[] = [];
const newDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tajo-parity-'));
  dirs.push(d);
  return d;
};
const params = (): ConnectParams => ({ accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio });
const wt = (c: string) => `WT${c.repeat(32)}`;

beforeAll(async () => {
  emu = await startEmulator({ seed: 5, scale: 'small', timeScale: 20 });
  const config = ConfigSchema.parse({});
  embedded = new TajoClient({ dataDir: await newDir(), env: {}, config });
  serverBackend = await EmbeddedBackend.open({ dataDir: await newDir(), env: {}, config });
  key = (await createKey(await serverBackend.ctx.store(), 'test')).key;
  server = await startServer({ store: await serverBackend.ctx.store(), config, logger: silentLogger(), twilioAuthToken: emu.info.authToken, accountSid: emu.info.accountSid, sdkHandlers: createManagementHandlers(serverBackend), host: '127.0.0.1', port: 0, rateLimit: false });
  remote = new TajoClient({ apiKey: key, baseUrl: server.url });
  await embedded.connectors.connect('twilio-flex', params());
  await remote.connectors.connect('twilio-flex', params());
});

afterAll(async () => {
  await embedded?.close();
  await server?.close();
  await serverBackend?.close();
  await emu?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** What a call fails with, as the SDK shows it. */
async function failure(p: Promise<unknown>): Promise<unknown> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTajoError(err)) return { notCoded: err instanceof Error ? `${err.constructor.name}: ${err.message}` : err };
  return err.toJSON();
}

/** The error body a raw HTTP call gets. */
async function raw(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return ((await res.json()) as { error?: unknown }).error;
}

describe('the same bad input gives the same error embedded, remote, and as raw HTTP', () => {
  const cases: [string, (c: TajoClient) => Promise<unknown>, [string, string, unknown?] | undefined, string][] = [
    ['sync: unknown type', (c) => c.connectors.sync('twilio-flex', { type: 'bogus' as 'full', deliver: false }), ['POST', '/api/v1/connectors/twilio-flex/sync', { type: 'bogus', deliver: false }], 'TAJO_USAGE'],
    ['sync: unknown resource', (c) => c.connectors.sync('twilio-flex', { resources: ['nope' as 'tasks'] }), ['POST', '/api/v1/connectors/twilio-flex/sync', { resources: ['nope'] }], 'TAJO_USAGE'],
    ['sync: unknown key', (c) => c.connectors.sync('twilio-flex', { foo: 1 } as never), ['POST', '/api/v1/connectors/twilio-flex/sync', { foo: 1 }], 'TAJO_USAGE'],
    ['sync: bad since', (c) => c.connectors.sync('twilio-flex', { since: 'yesterday' }), ['POST', '/api/v1/connectors/twilio-flex/sync', { since: 'yesterday' }], 'TAJO_USAGE'],
    ['dlq list: limit 0', (c) => c.dlq.list({ limit: 0 }), ['GET', '/api/v1/dlq?limit=0'], 'TAJO_USAGE'],
    ['dlq list: limit 5000', (c) => c.dlq.list({ limit: 5000 }), ['GET', '/api/v1/dlq?limit=5000'], 'TAJO_USAGE'],
    ['dlq list: bogus status', (c) => c.dlq.list({ status: 'bogus' as 'open' }), ['GET', '/api/v1/dlq?status=bogus'], 'TAJO_USAGE'],
    ['dlq list: unknown key', (c) => c.dlq.list({ foo: 1 } as never), ['GET', '/api/v1/dlq?foo=1'], 'TAJO_USAGE'],
    ['dlq replay: 1.5', (c) => c.dlq.replay(1.5), ['POST', '/api/v1/dlq/1.5/replay'], 'TAJO_USAGE'],
    ['dlq replay: -1', (c) => c.dlq.replay(-1), ['POST', '/api/v1/dlq/-1/replay'], 'TAJO_USAGE'],
    ['unknown connector', (c) => c.connectors.status('zendesk'), ['GET', '/api/v1/connectors/zendesk/status'], 'TAJO_CONNECTOR_UNKNOWN'],
    ['event: missing type', (c) => c.connectors.handleEvent('twilio-flex', { payload: { taskSid: wt('a') } } as never), ['POST', '/api/v1/connectors/twilio-flex/events', { payload: { taskSid: wt('a') } }], 'TAJO_RECORD_INVALID'],
    ['event: unknown type', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.created' as 'task.completed', payload: { taskSid: wt('a') } }), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.created', payload: { taskSid: wt('a') } }], 'TAJO_RECORD_INVALID'],
    ['event: no payload', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed' } as never), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed' }], 'TAJO_RECORD_INVALID'],
    ['event: payload is an array', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: [1] } as never), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed', payload: [1] }], 'TAJO_RECORD_INVALID'],
    ['event: duration is a string', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid: wt('c'), duration: '300' as unknown as number } }), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed', payload: { taskSid: wt('c'), duration: '300' } }], 'TAJO_RECORD_INVALID'],
    ['event: customerEmail is not an email', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid: wt('d'), customerEmail: 'not an email' } }), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed', payload: { taskSid: wt('d'), customerEmail: 'not an email' } }], 'TAJO_RECORD_INVALID'],
    ['event: completedAt is an object', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid: wt('2'), completedAt: {} as never } }), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed', payload: { taskSid: wt('2'), completedAt: {} } }], 'TAJO_RECORD_INVALID'],
    ['event: id is a number', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', id: 42 as unknown as string, payload: { taskSid: wt('6') } }), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed', id: 42, payload: { taskSid: wt('6') } }], 'TAJO_RECORD_INVALID'],
    ['event: id is empty', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', id: '', payload: { taskSid: wt('8') } }), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed', id: '', payload: { taskSid: wt('8') } }], 'TAJO_RECORD_INVALID'],
    ['event: id of 201 characters', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', id: 'k'.repeat(201), payload: { taskSid: wt('8') } }), ['POST', '/api/v1/connectors/twilio-flex/events', { type: 'task.completed', id: 'k'.repeat(201), payload: { taskSid: wt('8') } }], 'TAJO_RECORD_INVALID'],
    ['event: 2 MB of attributes', (c) => c.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid: wt('4'), attributes: { big: 'x'.repeat(2_000_000) } } }), undefined, 'TAJO_WEBHOOK_BODY_TOO_LARGE'],
  ];

  it.each(cases)('%s', async (_label, call, http, code) => {
    const local = await failure(call(embedded));
    expect(local).toMatchObject({ code });
    expect(await failure(call(remote))).toEqual(local);
    if (http) expect(await raw(...http)).toEqual(local);
  });

  it('an event over the server body limit is refused with the same code as raw HTTP', async () => {
    const res = await fetch(`${server.url}/api/v1/connectors/twilio-flex/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'task.completed', payload: { taskSid: wt('4'), attributes: { big: 'x'.repeat(2_000_000) } } }) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TAJO_WEBHOOK_BODY_TOO_LARGE');
  });

  it('details and hint survive the trip: an invalid sync names the field', async () => {
    const err = await failure(remote.connectors.sync('twilio-flex', { type: 'bogus' as 'full' }));
    expect(err).toMatchObject({ code: 'TAJO_USAGE', details: [{ path: 'type' }] });
    // from the server itself (raw HTTP): details and hint of the handler's TajoError
    expect(await raw('POST', '/api/v1/connectors/twilio-flex/connect', { ...params(), accountSid: 'ACnope' })).toMatchObject({ code: 'TAJO_USAGE', details: [{ path: 'accountSid' }], hint: expect.any(String) });
  });

  it('an unknown field is reported without echoing its name (it could be a misplaced secret)', async () => {
    const secret = 'sekritTwilioToken0123456789abcdef';
    const err = await failure(remote.connectors.connect('twilio-flex', { ...params(), [secret]: 1 } as never));
    expect(err).toMatchObject({ code: 'TAJO_USAGE' });
    expect(JSON.stringify(err)).not.toContain(secret);
    expect(JSON.stringify(await raw('POST', '/api/v1/connectors/twilio-flex/connect', { ...params(), [secret]: 1 }))).not.toContain(secret);
  });
});

describe('the same results', () => {
  it("handleEvent keeps the caller's idempotency id, embedded and remote", async () => {
    const ev = (c: string) => ({ type: 'task.completed' as const, id: 'my-key-1', payload: { taskSid: wt(c) } });
    const [l1, r1] = [await embedded.connectors.handleEvent('twilio-flex', ev('9')), await remote.connectors.handleEvent('twilio-flex', ev('9'))];
    expect(l1).toMatchObject({ accepted: true, duplicate: false, key: 'my-key-1' });
    expect(r1).toMatchObject({ accepted: true, duplicate: false, key: 'my-key-1' });
    // the same id again, another task: a duplicate in both modes
    const [l2, r2] = [await embedded.connectors.handleEvent('twilio-flex', ev('b')), await remote.connectors.handleEvent('twilio-flex', ev('b'))];
    expect(l2).toEqual({ accepted: false, duplicate: true, key: 'my-key-1' });
    expect(r2).toEqual(l2);
    // raw HTTP keeps it too
    const res = await fetch(`${server.url}/api/v1/connectors/twilio-flex/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...ev('d'), id: 'my-key-2' }) });
    expect(await res.json()).toMatchObject({ accepted: true, key: 'my-key-2' });
  });

  it('every client method is served remotely (test, dlq show, bootstrap, forget, uninstall) with the same results', async () => {
    const [lt, rt] = [await embedded.connectors.test('twilio-flex'), await remote.connectors.test('twilio-flex')];
    expect(rt.checks.map((c) => [c.id, c.ok])).toEqual(lt.checks.map((c) => [c.id, c.ok]));
    await expect(remote.dlq.show(999)).rejects.toMatchObject({ code: 'TAJO_USAGE', message: 'No dead letter #999' });
    await expect(embedded.dlq.show(999)).rejects.toMatchObject({ code: 'TAJO_USAGE', message: 'No dead letter #999' });
    const store = await serverBackend.ctx.store();
    await store.commit('twilio-flex', { deadLetters: [{ source: 'webhook', reason: 'corrupt_inbox_row', recordKey: 'inbox:5', payload: { key: 'EZ5' }, error: 'not JSON' }] });
    const [dead] = await remote.dlq.list();
    expect(await remote.dlq.show(dead!.id)).toMatchObject({ id: dead!.id, reason: 'corrupt_inbox_row', payload: { key: 'EZ5' } });
    await expect(remote.connectors.bootstrap('twilio-flex', {})).rejects.toMatchObject({ code: 'TAJO_BREVO_AUTH' });
    await expect(embedded.connectors.bootstrap('twilio-flex', {})).rejects.toMatchObject({ code: 'TAJO_BREVO_AUTH' });
    const nobody = { code: 'TAJO_PERSON_NOT_FOUND', status: 404, message: expect.stringContaining('Nobody to forget') };
    await expect(remote.connectors.forget('twilio-flex', 'nobody@example.com')).rejects.toMatchObject(nobody);
    await expect(embedded.connectors.forget('twilio-flex', 'nobody@example.com')).rejects.toMatchObject(nobody);
    expect(await remote.connectors.uninstall('twilio-flex')).toEqual(await embedded.connectors.uninstall('twilio-flex'));
    await remote.connectors.connect('twilio-flex', params());
    await embedded.connectors.connect('twilio-flex', params());
  });
});

describe("the README's express route (errorResponse)", () => {
  /** express.json()'s contract: a body it cannot parse is an http-errors 400 passed to the error middleware. */
  const readJson = (req: IncomingMessage) =>
    new Promise<unknown>((resolve, reject) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        try {
          resolve(text ? JSON.parse(text) : {});
        } catch {
          reject(Object.assign(new SyntaxError(`Unexpected token in JSON: ${text.slice(0, 20)}`), { status: 400, statusCode: 400, type: 'entity.parse.failed', body: text }));
        }
      });
    });

  it('answers bad input with a coded 4xx JSON body, never a crash or an HTML page', async () => {
    const server: Server = createServer((req, res) => {
      const reply = (status: number, body?: unknown) => {
        res.statusCode = status;
        if (body !== undefined) res.setHeader('content-type', 'application/json');
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      void (async () => {
        try {
          const body = ((await readJson(req)) ?? {}) as Record<string, unknown>;
          await embedded.connectors.handleEvent('twilio-flex', {
            type: 'task.completed',
            payload: { taskSid: body.TaskSid as string, customerEmail: body.email as string, channel: 'chat', duration: 300, queueName: 'Support' },
          });
          reply(200);
        } catch (err) {
          const { status, body } = errorResponse(err);
          reply(status, body);
        }
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/flex/task-complete`;
    const post = async (body: string) => {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: r.status, body: r.status === 200 ? undefined : ((await r.json()) as { error: { code: string; message: string } }) };
    };
    try {
      expect(await post(JSON.stringify({ TaskSid: 'nope' }))).toMatchObject({ status: 422, body: { error: { code: 'TAJO_RECORD_INVALID' } } });
      expect(await post(JSON.stringify({ email: 'a@b.co' }))).toMatchObject({ status: 422, body: { error: { code: 'TAJO_RECORD_INVALID', details: [{ path: 'payload.taskSid' }] } } });
      const malformed = await post('{"TaskSid":');
      expect(malformed).toEqual({ status: 400, body: { error: { code: 'TAJO_WEBHOOK_MALFORMED', message: 'Request body is malformed' } } });
      expect(await post(JSON.stringify({ TaskSid: wt('e') }))).toEqual({ status: 200, body: undefined });
      // an unexpected failure is a bare 500: nothing of its message
      expect(errorResponse(new Error('db password hunter2'))).toEqual({ status: 500, body: { error: { code: 'TAJO_INTERNAL', message: 'Internal error' } } });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

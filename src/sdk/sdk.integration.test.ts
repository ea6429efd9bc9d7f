import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { isTajoError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { startEmulator, type RunningEmulator } from '../emulators/index.js';
import { startServer, type RunningServer } from '../server/app.js';
import { createKey } from '../server/keys.js';
import type { Store } from '../store/store.js';
import { EmbeddedBackend } from './embedded.js';
import { TajoClient, TajoError, createManagementHandlers, type ConnectParams } from './index.js';

let emu: RunningEmulator;
const dirs: string[] = [];
const newDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tajo-sdk-'));
  dirs.push(d);
  return d;
};
const params = (): ConnectParams => ({
  accountSid: emu.info.accountSid,
  authToken: emu.info.authToken,
  flexFlowSid: emu.info.flexFlowSid,
  baseUrls: emu.info.twilio,
  brevoApiKey: emu.info.brevoApiKey,
  brevoBaseUrl: emu.info.brevo,
});

beforeAll(async () => {
  emu = await startEmulator({ seed: 5, scale: 'small', timeScale: 20 });
});

afterAll(async () => {
  await emu?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('embedded TajoClient', () => {
  it('connects (workspace discovered), tests and reports status', async () => {
    const tajo = new TajoClient({ dataDir: await newDir(), env: {}, config: ConfigSchema.parse({}) });
    try {
      expect(tajo.mode).toBe('embedded');
      await expect(tajo.connectors.status('twilio-flex')).resolves.toMatchObject({ connected: false, state: 'not_installed' });
      const r = await tajo.connectors.connect('twilio-flex', params());
      expect(r).toMatchObject({ connector: 'twilio-flex', workspaceSid: emu.info.workspaceSid, workspaceDiscovered: true, authMode: 'auth_token', brevoConfigured: true });
      expect(JSON.stringify(r)).not.toContain(emu.info.authToken);

      const test = await tajo.connectors.test('twilio-flex');
      expect(test.ok).toBe(true);
      expect(test.checks.map((c) => c.id)).toEqual(['flex', 'conversations', 'workspace', 'workers', 'queues', 'brevo', 'brevo_lists']);

      const s = await tajo.connectors.status('twilio-flex');
      expect(s).toMatchObject({ connected: true, lastSync: null, conversationsTracked: 0, customersLinked: 0, agentsMonitored: 0, lastError: null });
    } finally {
      await tajo.close();
    }
  });

  it('API key auth works too; bad input is a usage error, unknown connectors are refused', async () => {
    const tajo = new TajoClient({ dataDir: await newDir(), env: {}, config: ConfigSchema.parse({}) });
    try {
      const { authToken: _omit, ...rest } = params();
      const r = await tajo.connectors.connect('twilio-flex', { ...rest, apiKeySid: emu.info.apiKeySid, apiKeySecret: emu.info.apiKeySecret });
      expect(r).toMatchObject({ authMode: 'api_key', apiKeySid: emu.info.apiKeySid });
      await expect(tajo.connectors.connect('twilio-flex', { ...params(), accountSid: 'ACnope' })).rejects.toMatchObject({ code: 'TAJO_USAGE' });
      await expect(tajo.connectors.status('zendesk')).rejects.toMatchObject({ code: 'TAJO_CONNECTOR_UNKNOWN' });
    } finally {
      await tajo.close();
    }
  });

  it('handleEvent stores the product-doc event once (duplicates acknowledged)', async () => {
    const tajo = new TajoClient({ dataDir: await newDir(), env: {}, config: ConfigSchema.parse({}) });
    try {
      await tajo.connectors.connect('twilio-flex', params());
      // A task the emulated TaskRouter completed: the processor reads its events (the source of truth).
      const resolved = emu.truth().events.find((e) => e.name === 'SUPPORT_RESOLVED' && e.email_id !== undefined)!;
      const event = {
        type: 'task.completed' as const,
        payload: { taskSid: resolved.source_sid, customerEmail: resolved.email_id!, channel: String(resolved.properties.channel), duration: 320, queueName: String(resolved.properties.queue) },
      };
      const first = await tajo.connectors.handleEvent('twilio-flex', event);
      expect(first).toMatchObject({ accepted: true, duplicate: false, key: `flex:task-complete:${resolved.source_sid}` });
      expect(first.enqueued).toBeGreaterThan(0);
      // Processed at once (the plugin's payload stands in for the task's events) and delivered in the background.
      await expect(tajo.connectors.status('twilio-flex')).resolves.toMatchObject({ conversationsTracked: 1, customersLinked: 1 });
      let brevoEvents: { event_name: string; event_date: string; event_properties?: Record<string, unknown>; identifiers: { ext_id?: string; email_id?: string } }[] = [];
      for (let i = 0; i < 100; i++) {
        const state = (await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { events: typeof brevoEvents };
        brevoEvents = state.events.filter((e) => e.event_properties?.task_sid === event.payload.taskSid);
        if (brevoEvents.some((e) => e.event_name === 'SUPPORT_RESOLVED')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(brevoEvents.find((e) => e.event_name === 'SUPPORT_RESOLVED')).toMatchObject({
        event_date: resolved.event_date,
        identifiers: { ext_id: resolved.ext_id, email_id: resolved.email_id },
        event_properties: { tajo_id: `SUPPORT_RESOLVED:${resolved.source_sid}`, queue: resolved.properties.queue },
      });
      const again = await tajo.connectors.handleEvent('twilio-flex', event);
      expect(again).toMatchObject({ accepted: false, duplicate: true });
      await expect(tajo.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid: 'nope' } })).rejects.toMatchObject({ code: 'TAJO_RECORD_INVALID' });
    } finally {
      await tajo.close();
    }
  });
});

describe('the emulator clock as a sync sees it', () => {
  it('each sync reads up to the emulator clock as it is now, also after the clock jumped (generateMore, clock advance)', async () => {
    // Real-time pace (×1), so the clock moves only by the jump: what POST /_emulator/clock/advance does.
    const own = await startEmulator({ seed: 11, scale: 'small', timeScale: 1 });
    const tajo = new TajoClient({ dataDir: await newDir(), env: {}, config: ConfigSchema.parse({}) });
    try {
      await tajo.connectors.connect('twilio-flex', {
        accountSid: own.info.accountSid, authToken: own.info.authToken, flexFlowSid: own.info.flexFlowSid, baseUrls: own.info.twilio,
        brevoApiKey: own.info.brevoApiKey, brevoBaseUrl: own.info.brevo,
      });
      const full = await tajo.connectors.sync('twilio-flex', { type: 'full', deliver: false });
      expect(full.status).toBe('ok');
      own.clock.advance(20 * 60_000);
      own.generateMore(3);
      const jumped = own.clock.nowMs();
      const inc = await tajo.connectors.sync('twilio-flex', { type: 'incremental', deliver: false });
      expect(inc.status).toBe('ok');
      // Extrapolated from the first reading, the run ended minutes before the new interactions' events.
      expect(Date.parse(inc.syncedThrough)).toBeGreaterThanOrEqual(jumped);
      expect(inc.streams.find((x) => x.stream === 'taskrouter_events')?.records ?? 0).toBeGreaterThan(0);
    } finally {
      await tajo.close();
      await own.close();
    }
  });
});

describe('remote TajoClient against tajo serve', () => {
  let server: RunningServer;
  let embedded: TajoClient;
  let key: string;
  let store: Store;

  beforeAll(async () => {
    const config = ConfigSchema.parse({});
    const backend = await EmbeddedBackend.open({ dataDir: await newDir(), env: {}, config });
    embedded = TajoClient.withBackend(backend);
    store = await backend.ctx.store();
    key = (await createKey(store, 'test')).key;
    server = await startServer({
      store,
      config,
      logger: silentLogger(),
      twilioAuthToken: emu.info.authToken,
      accountSid: emu.info.accountSid,
      sdkHandlers: createManagementHandlers(backend),
      host: '127.0.0.1',
      port: 0,
      rateLimit: false,
    });
  });

  afterAll(async () => {
    await server?.close();
    await embedded?.close();
  });

  it('gives the same results as embedded mode', async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    expect(remote.mode).toBe('remote');
    const connected = await remote.connectors.connect('twilio-flex', params());
    expect(connected).toMatchObject({ workspaceSid: emu.info.workspaceSid, workspaceDiscovered: true });
    const [viaApi, local] = [await remote.connectors.status('twilio-flex'), await embedded.connectors.status('twilio-flex')];
    expect(viaApi).toEqual(local);
    expect(viaApi).toMatchObject({ connected: true, conversationsTracked: 0 });
    expect(await remote.dlq.list()).toEqual([]);
    const ev = await remote.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid: `WT${'b'.repeat(32)}`, channel: 'voice' } });
    expect(ev).toMatchObject({ accepted: true, duplicate: false });
    await expect(remote.connectors.connect('twilio-flex', { ...params(), authToken: 'wrong-0000' })).rejects.toMatchObject({ code: 'TAJO_TWILIO_AUTH' });
    await expect(remote.connectors.connect('twilio-flex', { ...params(), accountSid: 'ACnope' })).rejects.toMatchObject({ code: 'TAJO_USAGE' });
    await expect(remote.dlq.replay(12345)).rejects.toMatchObject({ code: 'TAJO_USAGE', message: 'No dead letter #12345' });
  });

  it('a corrupt_inbox_row dead letter is refused for replay with a code, and can be discarded', async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    await store.commit('twilio-flex', { deadLetters: [{ source: 'webhook', reason: 'corrupt_inbox_row', recordKey: 'inbox:77', payload: { key: 'EZ77', payload: '{' }, error: 'inbox row 77: payload or item_keys is not JSON' }] });
    const [dead] = (await remote.dlq.list()).filter((d) => d.reason === 'corrupt_inbox_row');
    expect(dead).toMatchObject({ source: 'webhook', recordKey: 'inbox:77', status: 'open' });
    await expect(remote.dlq.replay(dead!.id)).rejects.toMatchObject({ code: 'TAJO_USAGE', message: expect.stringContaining('cannot be replayed') });
    expect(await remote.dlq.discard(dead!.id)).toEqual({ id: dead!.id, status: 'discarded' });
  });

  it('a wrong or missing key is TAJO_API_KEY_INVALID (401)', async () => {
    const wrong = new TajoClient({ apiKey: 'tajo_wrongwrongwrongwrongwrong', baseUrl: server.url });
    const err = await wrong.connectors.status('twilio-flex').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TajoError);
    expect(isTajoError(err, 'TAJO_API_KEY_INVALID')).toBe(true);
    expect((err as TajoError).status).toBe(401);
    await expect(new TajoClient({ baseUrl: server.url }).connectors.status('twilio-flex')).rejects.toMatchObject({ code: 'TAJO_API_KEY_INVALID' });
  });
});

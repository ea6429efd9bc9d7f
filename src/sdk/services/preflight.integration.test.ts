import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import { startEmulator, type RunningEmulator } from '../../emulators/index.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { createKey } from '../../server/keys.js';
import { EmbeddedBackend } from '../embedded.js';
import { TajoClient, createManagementHandlers, type ConnectParams } from '../index.js';
import { backgroundLoops } from './worker.js';

let emu: RunningEmulator;
const dirs: string[] = [];
const closers: (() => Promise<unknown>)[] = [];
const newDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'tajo-preflight-'));
  dirs.push(d);
  return d;
};
const params = (): ConnectParams => ({
  accountSid: emu.info.accountSid, authToken: emu.info.authToken, flexFlowSid: emu.info.flexFlowSid, baseUrls: emu.info.twilio,
  brevoApiKey: emu.info.brevoApiKey, brevoBaseUrl: emu.info.brevo,
});
const brevoContacts = async () => ((await (await fetch(`${emu.url}/_emulator/brevo/state`)).json()) as { contacts: unknown[] }).contacts.length;

/** An embedded client and a remote one (a management API over a backend with the same config), both connected. */
async function clients(config: unknown): Promise<{ embedded: TajoClient; remote: TajoClient; backend: EmbeddedBackend }> {
  const cfg = ConfigSchema.parse(config);
  const embedded = new TajoClient({ dataDir: await newDir(), env: {}, config: cfg });
  const backend = await EmbeddedBackend.open({ dataDir: await newDir(), env: {}, config: cfg });
  const key = (await createKey(await backend.ctx.store(), 'test')).key;
  const server: RunningServer = await startServer({
    store: await backend.ctx.store(), config: cfg, logger: silentLogger(), twilioAuthToken: emu.info.authToken, accountSid: emu.info.accountSid,
    sdkHandlers: createManagementHandlers(backend), host: '127.0.0.1', port: 0, rateLimit: false,
  });
  const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
  closers.push(() => embedded.close(), () => server.close(), () => backend.close());
  await embedded.connectors.connect('twilio-flex', params());
  await backend.connect('twilio-flex', params());
  return { embedded, remote, backend };
}

beforeAll(async () => {
  emu = await startEmulator({ seed: 17, scale: 'small', timeScale: 20 });
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await emu?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the SDK checks what the CLI checks before a sync', () => {
  it('a configured Brevo list that does not exist: TAJO_BREVO_LIST_MISSING embedded and remote, nothing enqueued', async () => {
    const { embedded, remote, backend } = await clients({ connectors: { twilio_flex: { lists: { support_contacts: 999 } } } });
    for (const c of [embedded, remote]) {
      await expect(c.connectors.sync('twilio-flex', { type: 'full' })).rejects.toMatchObject({
        code: 'TAJO_BREVO_LIST_MISSING', details: [{ path: 'connectors.twilio_flex.lists.support_contacts' }],
      });
      await expect(c.connectors.sync('twilio-flex', { type: 'full', deliver: false })).rejects.toMatchObject({ code: 'TAJO_BREVO_LIST_MISSING' });
      expect(await c.connectors.status('twilio-flex')).toMatchObject({ lastSync: null, outbox: { pending: 0, dead: 0 } });
    }
    // a dry run writes nothing, so it is not refused
    expect((await embedded.connectors.sync('twilio-flex', { type: 'full', dryRun: true })).status).toBe('ok');
    expect(await brevoContacts()).toBe(0);

    // the server's delivery does not start on it either: its start fails with the coded error
    await expect(backgroundLoops(backend.ctx, 'twilio-flex', { inbox: true, delivery: true })).rejects.toMatchObject({ code: 'TAJO_BREVO_LIST_MISSING' });
    // an ingest-only replica delivers nothing and is not refused
    await expect(backgroundLoops(backend.ctx, 'twilio-flex', { inbox: false, delivery: false })).resolves.toMatchObject({ loops: [] });
  });

  it('enabled: false: TAJO_CONNECTOR_DISABLED embedded and remote', async () => {
    const { embedded, remote } = await clients({ connectors: { twilio_flex: { enabled: false } } });
    for (const c of [embedded, remote]) {
      await expect(c.connectors.sync('twilio-flex', {})).rejects.toMatchObject({ code: 'TAJO_CONNECTOR_DISABLED', status: 409 });
    }
    expect(await brevoContacts()).toBe(0);
  });
});

/**
 * Aborting a remote sync stops the sync on the server, as aborting an embedded one stops it in-process: the caller's
 * signal and `close()` get the server's report (`aborted`, cursors kept), and a caller that goes away (its timeout, a
 * crash) leaves no sync running on the server for nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { startServer, type RunningServer } from '../server/app.js';
import { createKey } from '../server/keys.js';
import { EmbeddedBackend } from './embedded.js';
import { TajoClient, createManagementHandlers, type SyncReport } from './index.js';
import { emulatorSuite } from './test-helpers/emulatorSuite.js';

// a slow emulated clock: a full sync of the small world takes seconds, so an abort after 300 ms lands mid-sync
const suite = emulatorSuite(5, { timeScale: 2 });
let server: RunningServer;
let backend: EmbeddedBackend;
let key: string;
/** What the server's own sync calls ended with, in order. */
const serverSyncs: (string | undefined)[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const config = ConfigSchema.parse({});
  backend = await EmbeddedBackend.open({ dataDir: await suite.tempDir('tajo-sync-abort-'), env: {}, config });
  const store = await backend.ctx.store();
  key = (await createKey(store, 'test')).key;
  const handlers = createManagementHandlers(backend);
  const sync = handlers.sync.bind(handlers);
  handlers.sync = async (...args) => {
    try {
      const r = (await sync(...args)) as SyncReport;
      serverSyncs.push(r.status);
      return r;
    } catch (err) {
      serverSyncs.push(`threw ${(err as { code?: string }).code}`);
      throw err;
    }
  };
  server = await startServer({ store, config, logger: silentLogger(), twilioAuthToken: suite.emu.info.authToken, accountSid: suite.emu.info.accountSid, sdkHandlers: handlers, host: '127.0.0.1', port: 0, rateLimit: false });
  const info = suite.emu.info;
  const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
  await remote.connectors.connect('twilio-flex', { accountSid: info.accountSid, authToken: info.authToken, flexFlowSid: info.flexFlowSid, baseUrls: info.twilio });
  await remote.close();
});
afterAll(async () => {
  await server?.close();
  await backend?.close();
});

async function serverSyncEnded(count: number): Promise<(string | undefined)[]> {
  for (let i = 0; i < 200 && serverSyncs.length < count; i++) await sleep(50);
  return serverSyncs.slice(count - 1, count);
}

describe('a remote sync', () => {
  it("aborted by the caller's signal stops on the server and answers its report, as embedded", async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const report = await remote.connectors.sync('twilio-flex', { type: 'full', deliver: false }, { signal: ac.signal });
    expect(report.status).toBe('aborted');
    expect(await serverSyncEnded(1)).toEqual(['aborted']);
    // already aborted when called: the same
    const pre = new AbortController();
    pre.abort();
    expect((await remote.connectors.sync('twilio-flex', { type: 'full', deliver: false }, { signal: pre.signal })).status).toBe('aborted');
    expect(await serverSyncEnded(2)).toEqual(['aborted']);
    await remote.close();
  }, 60_000);

  it('close() aborts it on the server: the call answers the aborted report', async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
    const running = remote.connectors.sync('twilio-flex', { type: 'full', deliver: false });
    await sleep(300);
    await remote.close();
    expect((await running).status).toBe('aborted');
    expect(await serverSyncEnded(3)).toEqual(['aborted']);
  }, 60_000);

  it('a caller that gives up (its timeout) leaves no sync running on the server', async () => {
    const remote = new TajoClient({ apiKey: key, baseUrl: server.url, timeoutMs: 300 });
    await expect(remote.connectors.sync('twilio-flex', { type: 'full', deliver: false })).rejects.toMatchObject({ code: 'TAJO_SERVER_UNAVAILABLE', message: expect.stringContaining('did not answer within 300 ms') });
    expect(await serverSyncEnded(4)).toEqual(['aborted']);
    await remote.close();
  }, 60_000);
});

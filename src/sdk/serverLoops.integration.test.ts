/**
 * `tajo serve` hosts the loops (src/sdk/services/worker.ts backgroundLoops): events posted to its management API are
 * committed to the inbox and handed to the server's own processor — never to a second processor and delivery worker
 * started by the SDK, and with `--role ingest` (no loops) to nobody: a worker replica takes them.
 */
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../config/schema.js';
import { silentLogger } from '../core/logger.js';
import { startServer } from '../server/app.js';
import { createKey } from '../server/keys.js';
import { EmbeddedBackend } from './embedded.js';
import { TajoClient, createManagementHandlers } from './index.js';
import { backgroundLoops } from './services/worker.js';
import { emulatorSuite } from './test-helpers/emulatorSuite.js';

const suite = emulatorSuite(5);

/** A serve-like process of the given role on a fresh data dir, with the connector installed. */
async function serve(role: 'ingest' | 'all') {
  const dir = await suite.tempDir('tajo-serve-loops-');
  const backend = await EmbeddedBackend.open({ dataDir: dir, env: {}, config: ConfigSchema.parse({}) });
  const ctx = backend.ctx;
  await backend.connect('twilio-flex', { accountSid: suite.emu.info.accountSid, authToken: suite.emu.info.authToken, flexFlowSid: suite.emu.info.flexFlowSid, baseUrls: suite.emu.info.twilio, brevoApiKey: suite.emu.info.brevoApiKey, brevoBaseUrl: suite.emu.info.brevo });
  const store = await ctx.store();
  const bg = await backgroundLoops(ctx, 'twilio-flex', { inbox: role !== 'ingest', delivery: role !== 'ingest' });
  const server = await startServer({
    store, config: ctx.config, logger: silentLogger(), twilioAuthToken: suite.emu.info.authToken, accountSid: suite.emu.info.accountSid, connectorId: 'twilio-flex',
    sdkHandlers: createManagementHandlers(EmbeddedBackend.fromContext(ctx)), host: '127.0.0.1', port: 0, rateLimit: false,
    ...(bg.inbox ? { inboxProcessor: bg.inbox } : {}), background: bg.loops.filter((l) => l !== bg.inbox),
  });
  const key = (await createKey(store, 'test')).key;
  return { backend, store, bg, server, remote: new TajoClient({ apiKey: key, baseUrl: server.url }), close: async () => (await server.close(), await backend.close()) };
}

const resolvedTask = () => suite.emu.truth().events.find((e) => e.name === 'SUPPORT_RESOLVED' && e.email_id !== undefined)!;

describe('events posted to tajo serve', () => {
  it('--role ingest: committed to the inbox only (no processor, no delivery worker started)', async () => {
    const s = await serve('ingest');
    try {
      expect(s.bg.loops).toEqual([]);
      const taskSid = resolvedTask().source_sid;
      const r = await s.remote.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid } });
      expect(r).toEqual({ accepted: true, duplicate: false, key: `flex:task-complete:${taskSid}` });
      await new Promise((res) => setTimeout(res, 1_500));
      // still waiting in the inbox for a worker replica: nothing claimed or processed it
      const items = await s.store.claimInbox({ workerId: 'test', limit: 100, leaseMs: 60_000, nowMs: Date.now() });
      expect(items.map((i) => i.key)).toEqual([`flex:task-complete:${taskSid}`]);
      expect(await s.store.outboxStats()).toMatchObject({ pending: 0, delivered: 0 });
    } finally {
      await s.close();
    }
  });

  it("--role all: the server's own processor takes the event (woken), no second set of loops", async () => {
    const s = await serve('all');
    try {
      let woken = 0;
      const hosted = s.backend.ctx.hosted!.inbox!;
      const wake = hosted.wake.bind(hosted);
      hosted.wake = () => (woken++, wake());
      const claimedBy = new Set<string>();
      const claim = s.store.claimInbox.bind(s.store);
      s.store.claimInbox = async (o) => (claimedBy.add(o.workerId), claim(o));
      const taskSid = resolvedTask().source_sid;
      const r = await s.remote.connectors.handleEvent('twilio-flex', { type: 'task.completed', payload: { taskSid } });
      expect(r).toMatchObject({ accepted: true, duplicate: false });
      expect(woken).toBe(1);
      for (let i = 0; i < 100 && (await s.backend.status('twilio-flex')).conversationsTracked === 0; i++) await new Promise((res) => setTimeout(res, 50));
      expect((await s.backend.status('twilio-flex')).conversationsTracked).toBe(1);
      // one processor claimed: the server's
      expect(claimedBy.size).toBe(1);
    } finally {
      await s.close();
    }
  });
});

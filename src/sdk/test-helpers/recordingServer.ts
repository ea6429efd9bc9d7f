import { ConfigSchema, type TajoConfig } from '../../config/schema.js';
import { silentLogger } from '../../core/logger.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { createKey } from '../../server/keys.js';
import { EmbeddedBackend } from '../embedded.js';
import { TajoClient, createManagementHandlers, type SyncReport } from '../index.js';
import type { EmulatorSuite } from './emulatorSuite.js';

/** A `tajo serve` management API over an embedded backend, with twilio-flex installed through it against the emulator. */
export interface RecordingServer {
  server: RunningServer;
  backend: EmbeddedBackend;
  config: TajoConfig;
  /** An API key of the server. */
  key: string;
  /** How the server's own sync calls ended, in order: the report's status, or `threw <code>`. */
  syncs: string[];
  close(): Promise<void>;
}

/** Starts the server (port 0) and installs the connector with a remote client, as a user of the management API would. */
export async function startRecordingServer(suite: EmulatorSuite, dirPrefix: string): Promise<RecordingServer> {
  const config = ConfigSchema.parse({});
  const backend = await EmbeddedBackend.open({ dataDir: await suite.tempDir(dirPrefix), env: {}, config });
  const store = await backend.ctx.store();
  const key = (await createKey(store, 'test')).key;
  const syncs: string[] = [];
  const handlers = createManagementHandlers(backend);
  const sync = handlers.sync.bind(handlers);
  handlers.sync = async (...args) => {
    try {
      const r = (await sync(...args)) as SyncReport;
      syncs.push(r.status);
      return r;
    } catch (err) {
      syncs.push(`threw ${(err as { code?: string }).code}`);
      throw err;
    }
  };
  const info = suite.emu.info;
  const server = await startServer({ store, config, logger: silentLogger(), twilioAuthToken: info.authToken, accountSid: info.accountSid, sdkHandlers: handlers, host: '127.0.0.1', port: 0, rateLimit: false });
  const remote = new TajoClient({ apiKey: key, baseUrl: server.url });
  await remote.connectors.connect('twilio-flex', { accountSid: info.accountSid, authToken: info.authToken, flexFlowSid: info.flexFlowSid, baseUrls: info.twilio });
  await remote.close();
  return {
    server, backend, config, key, syncs,
    async close() {
      await server.close();
      await backend.close();
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TwilioFlexConfigSchema, type TwilioFlexConfig } from '../../../config/schema.js';
import { silentLogger } from '../../../core/logger.js';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../../../emulators/index.js';
import { openStore } from '../../../store/openStore.js';
import type { Store } from '../../../store/store.js';
import type { ConnectorRecord, OutboxItem } from '../../../store/types.js';
import { budgetsForTwilio } from '../../budget.js';
import { runSync } from '../runSync.js';
import type { SyncOptions, SyncReport } from '../types.js';

export const LISTS = { support_contacts: 11, csat_respondents: 12 } as const;

export interface Harness {
  emulator: RunningEmulator;
  store: Store;
  connector: ConnectorRecord;
  config: TwilioFlexConfig;
  dir: string;
  /** List ids the contacts are put in (the e2e test replaces them with lists created in the Brevo emulator). */
  lists: { support_contacts: number; csat_respondents: number };
  sync(opts: SyncOptions, config?: TwilioFlexConfig): Promise<SyncReport>;
  /** Every pending outbox row, marked delivered (so a test reads each once and the ledger knows it). */
  drainOutbox(): Promise<OutboxItem[]>;
  close(): Promise<void>;
}

export async function startHarness(emu: StartEmulatorOptions = {}, configOverrides: Record<string, unknown> = {}): Promise<Harness> {
  const emulator = await startEmulator({ seed: 7, scale: 'small', timeScale: 50, ...emu });
  const dir = mkdtempSync(join(tmpdir(), 'tajo-sync-'));
  const store = await openStore({ dataDir: dir });
  const i = emulator.info;
  const nowIso = new Date().toISOString();
  const connector: ConnectorRecord = {
    id: 'twilio-flex',
    settings: { accountSid: i.accountSid, flexFlowSid: i.flexFlowSid, workspaceSid: i.workspaceSid, authMode: 'auth_token', baseUrls: i.twilio, brevoBaseUrl: i.brevo },
    status: 'active',
    installedAt: nowIso,
    updatedAt: nowIso,
  };
  await store.saveConnector(connector);
  const config = TwilioFlexConfigSchema.parse({ lists: LISTS, ...configOverrides });
  const budgets = budgetsForTwilio(i.workspaceSid, 10);
  const h: Harness = {
    emulator, store, connector, config, dir,
    lists: { ...LISTS },
    sync: (opts, cfg) =>
      runSync(
        { store, config: cfg ?? config, connector, secrets: { authToken: i.authToken }, logger: silentLogger(), budgets, listIds: h.lists, nowMs: () => emulator.clock.nowMs(), timeScale: 50 },
        opts,
      ),
    drainOutbox: async () => {
      const out: OutboxItem[] = [];
      for (;;) {
        const batch = await store.claimOutbox({ workerId: 'test', limit: 1000, leaseMs: 3_600_000, nowMs: Date.now() });
        if (batch.length === 0) return out;
        await store.completeOutbox(batch.map((b) => b.id), Date.now());
        out.push(...batch);
      }
    },
    close: async () => {
      await store.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

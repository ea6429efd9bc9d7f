/**
 * The process the crash test kills: `node --import tsx crashChild.ts '<json>'`. It does what `tajo connectors sync`
 * does on a data dir — an incremental sync (a full one on the first run: no cursor yet) filling the outbox while a
 * background DeliveryWorker drains it to Brevo, then a drain to empty — and prints `started`, then `done` with the
 * run's status. Leases are short so a resumed run re-claims a killed run's in-flight rows quickly.
 */
import { TwilioFlexConfigSchema } from '../../../config/schema.js';
import { silentLogger } from '../../../core/logger.js';
import { BrevoClient } from '../../../sinks/brevo/client.js';
import { openStore } from '../../../store/openStore.js';
import type { ConnectorRecord } from '../../../store/types.js';
import { budgetsForBrevo, budgetsForTwilio } from '../../budget.js';
import { DeliveryWorker } from '../../deliver/worker.js';
import { runSync } from '../runSync.js';

export interface CrashChildArgs {
  url: string;
  dataDir: string;
  lists: { support_contacts: number; csat_respondents: number };
  timeScale: number;
  leaseMs: number;
  lookbackMinutes: number;
}

interface Info {
  twilio: { flex: string; conversations: string; taskrouter: string; events: string };
  brevo: string;
  accountSid: string;
  authToken: string;
  flexFlowSid: string;
  workspaceSid: string;
  brevoApiKey: string;
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2] ?? '{}') as CrashChildArgs;
  const info = (await (await fetch(`${a.url}/_emulator/info`)).json()) as Info;
  const clock = (await (await fetch(`${a.url}/_emulator/clock`)).json()) as { nowMs: number };
  const t0 = Date.now();
  const nowMs = () => Math.round(clock.nowMs + (Date.now() - t0) * a.timeScale);
  const logger = silentLogger();
  const store = await openStore({ dataDir: a.dataDir });
  let connector = await store.getConnector('twilio-flex');
  if (!connector) {
    const at = new Date().toISOString();
    const record: ConnectorRecord = {
      id: 'twilio-flex',
      settings: { accountSid: info.accountSid, flexFlowSid: info.flexFlowSid, workspaceSid: info.workspaceSid, authMode: 'auth_token', baseUrls: info.twilio, brevoBaseUrl: info.brevo },
      status: 'active',
      installedAt: at,
      updatedAt: at,
    };
    await store.saveConnector(record);
    connector = record;
  }
  const brevo = new BrevoClient({ baseUrl: info.brevo, apiKey: info.brevoApiKey, budgets: budgetsForBrevo(a.timeScale), timeScale: a.timeScale, logger });
  const worker = new DeliveryWorker({ store, brevo, logger, workerId: `crash-${process.pid}`, connectorId: connector.id, timeScale: a.timeScale, leaseMs: a.leaseMs, idleMs: 20 });
  worker.start();
  process.stdout.write('started\n');
  const report = await runSync(
    {
      store, config: TwilioFlexConfigSchema.parse({ lists: a.lists, lookback_minutes: a.lookbackMinutes }), connector, secrets: { authToken: info.authToken }, logger,
      budgets: budgetsForTwilio(info.workspaceSid, a.timeScale), listIds: a.lists, nowMs, timeScale: a.timeScale,
    },
    { type: 'incremental' },
  );
  await worker.stop();
  const drained = await worker.drain({ until: 'empty', maxMs: 60_000 });
  await store.close();
  process.stdout.write(`${JSON.stringify({ done: true, status: report.status, statusReason: report.statusReason, drained })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

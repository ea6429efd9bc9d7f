/**
 * The connector side of `bench/sync.ts`, in its own process so its memory is measured alone. It runs what
 * `tajo connectors sync --type full` runs (src/sdk/services/sync.ts), built from the engine directly so the bench does
 * not depend on the CLI/SDK wiring: a SQLite store in a temp data dir, `runSync` reading Twilio and filling the outbox
 * page by page while a background `DeliveryWorker` drains it to Brevo, then a drain to empty.
 *
 * stdout protocol (one JSON object per line): `{ phase: 'ready', … }` after install and bootstrap (Brevo lists and
 * attributes), then it waits for `go` on stdin; `{ phase: 'progress', … }` every 5 s; `{ phase: 'done', … }`.
 * SIGTERM aborts the sync (used by `--max-minutes`) and still prints `done`. `TAJO_BENCH_PEAKS=FILE` logs each new
 * resident-set high; `TAJO_BENCH_HEAP_SNAPSHOT=SECONDS:FILE` writes a heap snapshot at that time.
 */
import { appendFileSync, createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { TwilioFlexConfigSchema } from '../src/config/schema.js';
import { pino } from 'pino';
import { silentLogger } from '../src/core/logger.js';
import { budgetsForBrevo, budgetsForTwilio } from '../src/engine/budget.js';
import { DeliveryWorker } from '../src/engine/deliver/worker.js';
import { RequestStats } from '../src/engine/http.js';
import { runSync } from '../src/engine/sync/runSync.js';
import type { SyncReport } from '../src/engine/sync/types.js';
import { ensureAttributes, ensureList, wantedAttributes } from '../src/sinks/brevo/bootstrap.js';
import { BrevoClient } from '../src/sinks/brevo/client.js';
import { openStore } from '../src/store/openStore.js';
import type { ConnectorRecord } from '../src/store/types.js';

interface Args {
  url: string;
  dataDir: string;
  /** SQLite `synchronous` of the store (the product's default is `full`). */
  sqliteSync?: 'full' | 'normal';
  /** Debug log with every API call (`log_api_calls`) to this file. */
  log?: string;
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

const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const rssMb = (): number => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
/** Resident memory by kind (Linux smaps_rollup): anonymous (heaps, malloc), file-backed (code), shared memory (SQLite -shm). */
const residentMb = (): Record<string, number> => {
  try {
    const t = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? NaN);
    return { anonMb: Math.round(kb('Pss_Anon') / 102.4) / 10, fileMb: Math.round(kb('Pss_File') / 102.4) / 10, shmemMb: Math.round(kb('Pss_Shmem') / 102.4) / 10 };
  } catch {
    return {};
  }
};
const peakMb = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const info = (await (await fetch(`${args.url}/_emulator/info`)).json()) as Info;
  const clock = (await (await fetch(`${args.url}/_emulator/clock`)).json()) as { nowMs: number; timeScale: number };
  const t0 = Date.now();
  const timeScale = clock.timeScale;
  // Twilio's clock as the SDK sees an emulator: its emulated now, advancing at the time scale.
  const nowMs = () => Math.round(clock.nowMs + (Date.now() - t0) * timeScale);
  const logger = args.log ? pino({ level: 'debug', base: null }, createWriteStream(args.log)) : silentLogger();
  const logApiCalls = args.log !== undefined;

  const store = await openStore({ dataDir: args.dataDir, sqlite: { synchronous: args.sqliteSync ?? 'full' } });
  const at = new Date().toISOString();
  const connector: ConnectorRecord = {
    id: 'twilio-flex',
    settings: { accountSid: info.accountSid, flexFlowSid: info.flexFlowSid, workspaceSid: info.workspaceSid, authMode: 'auth_token', baseUrls: info.twilio, brevoBaseUrl: info.brevo },
    status: 'active',
    installedAt: at,
    updatedAt: at,
  };
  await store.saveConnector(connector);
  const brevoStats = new RequestStats();
  const brevo = new BrevoClient({ baseUrl: info.brevo, apiKey: info.brevoApiKey, budgets: budgetsForBrevo(timeScale), logger, logApiCalls, timeScale, stats: brevoStats });
  const base = TwilioFlexConfigSchema.parse({});
  await ensureAttributes(brevo, wantedAttributes([...Object.values(base.field_mapping), 'WHATSAPP']));
  const lists = { support_contacts: await ensureList(brevo, 'Support contacts'), csat_respondents: await ensureList(brevo, 'CSAT respondents') };
  const config = TwilioFlexConfigSchema.parse({ lists, log_api_calls: logApiCalls });

  say({ phase: 'ready', lists, rssMb: rssMb(), peakMb: peakMb() });
  await new Promise<void>((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (l) => {
      if (l.trim() === 'go') {
        rl.close();
        resolve();
      }
    });
  });

  const ctrl = new AbortController();
  /** Committed size of each V8 heap space that holds more than 1 MB (new, old, code, large objects…). */
  const heapSpacesMb = () =>
    Object.fromEntries(getHeapSpaceStatistics().filter((x) => x.space_size > 1048576).map((x) => [x.space_name.replace(/_space$/, ''), Math.round(x.space_size / 104857.6) / 10]));
  process.once('SIGTERM', () => ctrl.abort(new Error('bench time limit')));
  const progress = { records: 0, delivered: 0, pending: 0 };
  const started = performance.now();
  // TAJO_BENCH_PEAKS=FILE: every new resident-set high (sampled every 50 ms) with the heap figures at that moment.
  if (process.env.TAJO_BENCH_PEAKS) {
    const file = process.env.TAJO_BENCH_PEAKS;
    let high = 0;
    setInterval(() => {
      const m = process.memoryUsage();
      if (m.rss < high + 2 * 1048576) return;
      high = m.rss;
      const mb = (b: number) => Math.round(b / 104857.6) / 10;
      appendFileSync(file, `${JSON.stringify({ s: Math.round((performance.now() - started) / 100) / 10, rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), ...residentMb(), spaces: heapSpacesMb(), ...progress })}\n`);
    }, 50).unref();
  }
  // TAJO_BENCH_HEAP_SNAPSHOT=SECONDS:FILE writes one V8 heap snapshot at that time (what is live at a large-scale high).
  const snap = /^(\d+):(.+)$/.exec(process.env.TAJO_BENCH_HEAP_SNAPSHOT ?? '');
  if (snap) setTimeout(() => writeHeapSnapshot(snap[2]), Number(snap[1]) * 1000).unref();
  // Event-loop delay: how long a ready Brevo call can wait for the loop (lag above the budgets' burst loses tokens).
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const ticker = setInterval(() => {
    const loop = { lagP99Ms: Math.round(lag.percentile(99) / 1e6), lagMaxMs: Math.round(lag.max / 1e6) };
    lag.reset();
    void store.outboxStats().then((s) => {
      progress.delivered = s.delivered;
      progress.pending = s.pending + s.inflight;
      const m = process.memoryUsage();
      const mb = (b: number) => Math.round(b / 104857.6) / 10;
      say({ phase: 'progress', elapsedMs: Math.round(performance.now() - started), rssMb: rssMb(), peakMb: peakMb(), heapMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), ...residentMb(), ...loop, ...progress });
    }, () => undefined);
  }, 5_000);
  ticker.unref();

  const worker = new DeliveryWorker({ store, brevo, logger, workerId: `bench-${process.pid}`, connectorId: connector.id, timeScale, backfill: true });
  worker.start();
  let report: SyncReport | undefined;
  let drained: unknown;
  let error: string | undefined;
  try {
    report = await runSync(
      {
        store, config, connector, secrets: { authToken: info.authToken }, logger, budgets: budgetsForTwilio(info.workspaceSid, timeScale), listIds: lists, nowMs, timeScale,
        stats: new RequestStats(),
        onProgress: (p) => {
          if (p.stream === 'taskrouter_events') progress.records = p.records;
        },
      },
      { type: 'full', signal: ctrl.signal },
    );
    await worker.stop();
    if (report.status === 'ok' && !ctrl.signal.aborted) drained = await worker.drain({ until: 'empty', signal: ctrl.signal });
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    await worker.stop();
  }
  const wallMs = performance.now() - started;
  clearInterval(ticker);
  const s = await store.outboxStats();
  progress.delivered = s.delivered;
  progress.pending = s.pending + s.inflight;
  await store.close();
  say({ phase: 'done', wallMs, aborted: ctrl.signal.aborted, error, report: report && { status: report.status, statusReason: report.statusReason, outbox: report.outbox, deadLetters: report.deadLetters, delivery: drained }, progress, peakMb: peakMb(), rssMb: rssMb() });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

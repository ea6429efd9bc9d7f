/**
 * The connector side of `bench/sync.ts`, in its own process so its memory is measured alone: the embedded SDK (the
 * same path as `tajo connectors sync`) installs against the emulator, bootstraps the Brevo lists and attributes, says
 * `ready`, waits for `go` on stdin, runs one full sync with delivery and prints the result as one JSON line.
 *
 * stdout protocol (one JSON object per line): `{ phase: 'ready', … }`, `{ phase: 'progress', … }` (every 2 s),
 * `{ phase: 'done', … }`. SIGTERM aborts the sync (used by `--max-minutes`) and still prints `done`.
 */
import { createInterface } from 'node:readline';
import { ConfigSchema } from '../src/config/schema.js';
import { silentLogger } from '../src/core/logger.js';
import { TajoClient } from '../src/sdk/client.js';
import type { SyncProgressEvent } from '../src/sdk/types.js';

interface Args {
  url: string;
  dataDir: string;
}

interface Info {
  twilio: { flex: string; conversations: string; taskrouter: string; events: string };
  brevo: string;
  accountSid: string;
  authToken: string;
  flexFlowSid: string;
  brevoApiKey: string;
}

const say = (o: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};
const rssMb = (): number => Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
const peakMb = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as Args;
  const info = (await (await fetch(`${args.url}/_emulator/info`)).json()) as Info;
  const env: NodeJS.ProcessEnv = {};
  const client = (lists: { support_contacts?: number; csat_respondents?: number }) =>
    new TajoClient({ dataDir: args.dataDir, env, logger: silentLogger(), config: ConfigSchema.parse({ connectors: { twilio_flex: { lists } } }) });

  let tajo = client({});
  await tajo.connectors.connect('twilio-flex', {
    accountSid: info.accountSid,
    authToken: info.authToken,
    flexFlowSid: info.flexFlowSid,
    baseUrls: info.twilio,
    brevoApiKey: info.brevoApiKey,
    brevoBaseUrl: info.brevo,
  });
  const boot = await tajo.connectors.bootstrap('twilio-flex', { createLists: true });
  await tajo.close();
  const lists: { support_contacts?: number; csat_respondents?: number } = {};
  for (const l of boot.lists) if (l.id !== null) lists[l.key] = l.id;
  tajo = client(lists);

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
  process.once('SIGTERM', () => ctrl.abort(new Error('bench time limit')));
  const progress = { records: 0, delivered: 0, pending: 0 };
  const onProgress = (e: SyncProgressEvent): void => {
    if (e.kind === 'stream' && e.progress.stream === 'taskrouter_events') progress.records = e.progress.records;
    if (e.kind === 'delivery') {
      progress.delivered = e.progress.delivered;
      progress.pending = e.progress.pending;
    }
  };
  const started = performance.now();
  let peakSampled = 0;
  const ticker = setInterval(() => {
    peakSampled = Math.max(peakSampled, rssMb());
    say({ phase: 'progress', elapsedMs: Math.round(performance.now() - started), rssMb: rssMb(), peakMb: peakMb(), ...progress });
  }, 2_000);
  ticker.unref();
  let report: unknown;
  let error: string | undefined;
  try {
    report = await tajo.connectors.sync('twilio-flex', { type: 'full', deliver: true }, { onProgress, signal: ctrl.signal });
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const wallMs = performance.now() - started;
  clearInterval(ticker);
  await tajo.close();
  say({ phase: 'done', wallMs, aborted: ctrl.signal.aborted, error, report, progress, peakMb: peakMb(), rssMb: rssMb() });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

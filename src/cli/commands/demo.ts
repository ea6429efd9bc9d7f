import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { ConfigSchema } from '../../config/schema.js';
import { TajoClient } from '../../sdk/client.js';
import type { SyncReport, TestReport } from '../../sdk/types.js';
import type { CliContext } from '../context.js';
import { compare, metricsOf, type BrevoStateDoc, type Comparison, type DemoMetrics } from '../demo/compare.js';
import { renderDemo } from '../demo/render.js';
import { startEmulator } from '../emulatorModule.js';
import type { CommandEnv } from '../main.js';
import { intOption, isoDate, positiveNumber } from '../options.js';
import { SyncProgressView } from '../progress.js';
import { renderTest } from '../render.js';

interface DemoOpts {
  scale: 'small' | 'reference';
  seed: number;
  timeScale: number;
  more: number;
  keep?: boolean;
  now?: string;
}

export interface DemoResult {
  scale: string;
  seed: number;
  emulatorUrl: string;
  dataDir: string | null;
  test: TestReport;
  syncs: SyncReport[];
  metrics?: DemoMetrics;
  comparison?: Comparison;
  durationMs: number;
}

export function registerDemoCommand(program: Command, env: CommandEnv): void {
  program
    .command('demo')
    .description('emulators + install + test + full sync + incremental sync, then a report of what landed in Brevo')
    .addOption(new Option('--scale <scale>', 'generated contact center size').choices(['small', 'reference']).default('small'))
    .option('--seed <n>', 'generator seed', intOption(0), 7)
    .option('--time-scale <x>', 'emulated time speed-up (rate limits × x)', positiveNumber, 60)
    .option('--more <n>', 'interactions generated before the incremental sync', intOption(0, 100_000), 25)
    .option('--keep', 'keep the temporary data dir (printed at the end)')
    .option('--now <iso>', "the emulated world's now (default: the real time); the same seed and now give the same world", isoDate)
    .action(async (o: DemoOpts) => {
      const ctx = env.ctx();
      const result = await runDemo(ctx, o);
      ctx.out.result(result, renderDemo);
      // The demo doubles as an end-to-end check: a Brevo state that differs from the ground truth is a failure.
      if (result.comparison && !result.comparison.match) ctx.exitCode = 70;
    });
}

async function runDemo(ctx: CliContext, o: DemoOpts): Promise<DemoResult> {
  const started = Date.now();
  const step = (s: string) => ctx.out.note(`▸ ${s}`);
  const tempDir = ctx.globals.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'tajo-demo-'));
  const dataDir = ctx.globals.dataDir ?? tempDir!;
  if (tempDir && !o.keep) ctx.onClose(() => rm(tempDir, { recursive: true, force: true }));

  step(`starting the Twilio + Brevo emulators (scale ${o.scale}, seed ${o.seed}, time ×${o.timeScale})`);
  const emu = await startEmulator({ port: 0, seed: o.seed, scale: o.scale, timeScale: o.timeScale, ...(o.now ? { now: o.now } : {}) });
  ctx.onClose(() => emu.close());
  const info = emu.info;
  ctx.out.addSecrets(info.authToken, info.apiKeySecret, info.brevoApiKey);
  // The demo's own environment: no user credentials or config leak in.
  const env: NodeJS.ProcessEnv = { ...(ctx.io.env.TAJO_MASTER_KEY ? { TAJO_MASTER_KEY: ctx.io.env.TAJO_MASTER_KEY } : {}) };
  const clientFor = (lists: { support_contacts?: number; csat_respondents?: number }, extra: Record<string, unknown> = {}) =>
    new TajoClient({ dataDir, env, cwd: ctx.io.cwd, logger: ctx.logger, config: ConfigSchema.parse({ connectors: { twilio_flex: { lists, ...extra } } }) });

  step('installing the twilio-flex connector against the emulator');
  let tajo = clientFor({});
  await tajo.connectors.connect('twilio-flex', {
    accountSid: info.accountSid,
    authToken: info.authToken,
    flexFlowSid: info.flexFlowSid,
    baseUrls: info.twilio,
    brevoApiKey: info.brevoApiKey,
    brevoBaseUrl: info.brevo,
  });
  step('creating the Brevo attributes and lists');
  const boot = await tajo.connectors.bootstrap('twilio-flex', { createLists: true });
  await tajo.close();
  const lists: { support_contacts?: number; csat_respondents?: number } = {};
  for (const l of boot.lists) if (l.id !== null) lists[l.key] = l.id;
  tajo = clientFor(lists);
  ctx.onClose(() => tajo.close());

  step('testing the connection');
  const test = await tajo.connectors.test('twilio-flex');
  for (const line of renderTest(test)) ctx.out.note(`  ${line}`);

  const base: Omit<DemoResult, 'durationMs'> = { scale: o.scale, seed: o.seed, emulatorUrl: emu.url, dataDir: o.keep || !tempDir ? dataDir : null, test, syncs: [] };
  const runSync = async (client: TajoClient, type: 'full' | 'incremental') => {
    step(`${type} sync`);
    const view = new SyncProgressView(ctx.io, ctx.out);
    try {
      return await client.connectors.sync('twilio-flex', { type, deliver: true }, { onProgress: (e) => view.update(e) });
    } finally {
      view.stop();
    }
  };
  const full = await runSync(tajo, 'full');
  base.syncs.push(full);
  if (o.more > 0) {
    step(`generating ${o.more} more interactions`);
    // New interactions start after the emulated now and play out forward (the emulator never dates a new event inside a
    // range a reader has already read), so the incremental sync with its default lookback reads every one of them.
    emu.generateMore(o.more);
    base.syncs.push(await runSync(tajo, 'incremental'));
  }

  step('reading back the Brevo emulator state');
  const res = await fetch(`${emu.url}/_emulator/brevo/state`);
  const state = (await res.json()) as BrevoStateDoc;
  return { ...base, metrics: metricsOf(state), comparison: compare(state, emu.truth(), lists), durationMs: Date.now() - started };
}

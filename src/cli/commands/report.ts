import { InvalidArgumentError, Option, type Command } from 'commander';
import { flexBaseUrlOf, readVendorClock } from '../../analytics/clock.js';
import { buildReport } from '../../analytics/report.js';
import { CSV_TABLES, renderReport, reportCsv, type CsvTable } from '../../analytics/text.js';
import { parseRange, parseTime } from '../../analytics/time.js';
import type { Report } from '../../analytics/types.js';
import { TajoError } from '../../core/errors.js';
import type { CommandEnv } from '../main.js';

interface ReportFlags {
  since?: string;
  until?: string;
  queue?: string;
  by: 'day' | 'hour';
  csv?: true | string;
  now?: string;
}

const csvTable = (v: string): CsvTable => {
  if (!(CSV_TABLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${CSV_TABLES.join(', ')}`);
  return v as CsvTable;
};

/** `--csv` alone: every table, each after a `# name` line; `--csv queues`: that table only (plain CSV). */
function csvText(r: Report, which: true | string): string {
  if (which !== true) return reportCsv(r, which as CsvTable);
  return CSV_TABLES.map((t) => `# ${t}\n${reportCsv(r, t)}`).join('\n\n');
}

export function registerReportCommand(program: Command, env: CommandEnv): void {
  program
    .command('report')
    .description('support analytics from the synced data: queues, agents, channels, CSAT (tables, --json, --csv)')
    .option('--since <time>', 'interactions created at or after: ISO date/date-time (UTC), epoch ms, or ago (7d, 12h)')
    .option('--until <time>', 'interactions created before (default: now, on the clock the sync reads: an emulator\'s own when installed with --emulator); activity time is counted up to it')
    .option('--queue <sid|name>', 'only this queue (SID or name, case-insensitive)')
    .addOption(new Option('--by <period>', 'rows per day or per hour').choices(['day', 'hour']).default('day'))
    .option('--csv [table]', `CSV instead of tables: one of ${CSV_TABLES.join(', ')} (default: all, each after a "# name" line)`, csvTable)
    .addOption(new Option('--now <time>', 'the clock (tests, reproducible reports)').hideHelp())
    .action(async (o: ReportFlags) => {
      const ctx = env.ctx();
      if (o.csv !== undefined && ctx.out.json) throw new TajoError('TAJO_USAGE', '--csv and --json are exclusive');
      const sdk = await ctx.sdk();
      const store = await sdk.store();
      const cfg = sdk.config.connectors.twilio_flex;
      // the vendors' now, as the sync reads it: an emulator's world clock when installed with --emulator
      let nowMs: number;
      if (o.now !== undefined) nowMs = parseTime(o.now, Date.now(), 'now');
      else {
        const clock = await readVendorClock(await flexBaseUrlOf(store, sdk.config, 'twilio-flex'));
        if (clock.warning) ctx.out.note(`! ${clock.warning}`);
        nowMs = clock.nowMs;
      }
      const range = parseRange(o.since, o.until, nowMs);
      const report = await buildReport(store, 'twilio-flex', {
        ...range,
        nowMs,
        ...(o.queue ? { queue: o.queue } : {}),
        by: o.by,
        serviceLevelSeconds: cfg.service_level_seconds,
        lowScoreThreshold: cfg.csat_low_score_threshold,
        defaultPhoneRegion: cfg.default_phone_region,
      });
      if (o.queue && report.summary?.interactions === 0) ctx.out.note(`! no interactions in queue "${o.queue}" in this range`);
      if (o.csv !== undefined) {
        const csv = o.csv;
        ctx.out.result(report, (r) => csvText(r, csv));
        return;
      }
      ctx.out.result(report, renderReport);
    });
}

import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { TajoError } from '../../core/errors.js';
import { copySqliteToPostgres } from '../../store/postgres/importSqlite.js';
import type { CommandEnv } from '../main.js';
import { intOption } from '../options.js';

export function registerMigrateCommand(program: Command, env: CommandEnv): void {
  program
    .command('migrate')
    .description('apply pending state-store migrations (also done automatically at open); --from sqlite copies an embedded store into Postgres')
    .addOption(new Option('--from <kind>', 'copy the state of another store into the configured one (Postgres)').choices(['sqlite']))
    .option('--sqlite-file <path>', 'the SQLite store to copy (default: <data dir>/tajo.db)')
    .option('--batch-size <n>', 'rows per insert when copying (1–10000)', intOption(1, 10_000), 500)
    .action(async (o: { from?: 'sqlite'; sqliteFile?: string; batchSize: number }) => {
      const ctx = env.ctx();
      const sdk = await ctx.sdk();
      if (o.from === 'sqlite') {
        const url = sdk.storeUrl();
        if (!url || !/^postgres(ql)?:\/\//i.test(url)) {
          throw new TajoError('TAJO_USAGE', '--from sqlite copies into Postgres: configure the target store first', { hint: 'set TAJO_DATABASE_URL=postgres://… or store.url in tajo.yaml' });
        }
        const file = o.sqliteFile ?? join(sdk.dataDir, 'tajo.db');
        const report = await copySqliteToPostgres({
          sqliteFile: file,
          postgresUrl: url,
          batchSize: o.batchSize,
          onProgress: (p) => ctx.logger.debug(p, 'copying'),
        });
        const store = await sdk.store();
        const m = await store.migrations();
        ctx.out.result({ store: store.kind, from: 'sqlite', sqliteFile: file, ...m, tables: report.tables, durationMs: report.durationMs }, (x) => [
          `✓ copied ${x.sqliteFile} into ${x.store} in ${(x.durationMs / 1000).toFixed(1)} s (idempotent: run again to copy what is missing)`,
          ...x.tables.map((t) => `  ${t.table.padEnd(18)} ${String(t.read).padStart(9)} read ${String(t.inserted).padStart(9)} new${alreadyPresent(t)}`),
          '  secrets were copied sealed: every replica needs the same master key (TAJO_MASTER_KEY, or this data dir\'s master.key)',
        ]);
        return;
      }
      const store = await sdk.store();
      await store.migrate();
      const m = await store.migrations();
      ctx.out.result({ store: store.kind, dataDir: sdk.dataDir, ...m }, (x) => [`✓ ${x.store} store up to date: migrations ${x.applied.join(', ') || '(none)'} applied${x.pending.length ? `, ${x.pending.join(', ')} pending` : ''}`]);
    });
}

/** A table's rows Postgres already held: derived by its triggers (worker_activity), or copied by an earlier run. */
function alreadyPresent(t: { alreadyPresent: number; derivedFrom?: string }): string {
  if (t.derivedFrom) return `, ${t.alreadyPresent} derived by Postgres triggers from ${t.derivedFrom}`;
  return t.alreadyPresent ? `, ${t.alreadyPresent} already there` : '';
}

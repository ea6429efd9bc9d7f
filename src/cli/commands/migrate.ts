import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { TajoError } from '../../core/errors.js';
import { openStore } from '../../store/openStore.js';
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
      // opened without the automatic migration, so the run can tell what it applied from what was already there
      const url = sdk.storeUrl();
      const store = await openStore({ dataDir: sdk.dataDir, ...(url ? { url } : {}), sqlite: { migrate: false, inboxThread: false }, postgres: { migrate: false } });
      try {
        const before = await store.migrations();
        await store.migrate();
        const m = await store.migrations();
        const appliedNow = m.applied.filter((id) => !before.applied.includes(id));
        const alreadyApplied = m.applied.filter((id) => before.applied.includes(id));
        ctx.out.result({ store: store.kind, dataDir: sdk.dataDir, ...m, appliedNow, alreadyApplied }, (x) => [migrateLine(x)]);
      } finally {
        await store.close();
      }
    });
}

/** `✓ sqlite store already up to date at migration 7` / `✓ postgres store migrated to 7: applied 6, 7 now (1–5 were already there)`. */
export function migrateLine(x: { store: string; applied: number[]; pending: number[]; appliedNow: number[]; alreadyApplied: number[] }): string {
  const at = x.applied.length ? `migration ${x.applied[x.applied.length - 1]}` : 'no migration';
  const pending = x.pending.length ? ` (${x.pending.join(', ')} pending)` : '';
  if (!x.appliedNow.length) return `✓ ${x.store} store already up to date at ${at}${pending}`;
  const before = x.alreadyApplied.length ? ` (${idList(x.alreadyApplied)} already there)` : '';
  return `✓ ${x.store} store up to date at ${at}: applied ${idList(x.appliedNow)} now${before}${pending}`;
}

/** `1–5` for a consecutive run, else `1, 3, 4`. */
function idList(ids: number[]): string {
  const first = ids[0];
  const last = ids[ids.length - 1];
  if (first !== undefined && last !== undefined && ids.length > 2 && last - first === ids.length - 1) return `${first}–${last}`;
  return ids.join(', ');
}

/** A table's rows Postgres already held: derived by its triggers (worker_activity), or copied by an earlier run. */
function alreadyPresent(t: { alreadyPresent: number; derivedFrom?: string }): string {
  if (t.derivedFrom) return `, ${t.alreadyPresent} derived by Postgres triggers from ${t.derivedFrom}`;
  return t.alreadyPresent ? `, ${t.alreadyPresent} already there` : '';
}

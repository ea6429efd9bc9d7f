import type { Command } from 'commander';
import type { CommandEnv } from '../main.js';

export function registerMigrateCommand(program: Command, env: CommandEnv): void {
  program
    .command('migrate')
    .description('apply pending state-store migrations (also done automatically at open)')
    .action(async () => {
      const ctx = env.ctx();
      const sdk = await ctx.sdk();
      const store = await sdk.store();
      await store.migrate();
      const m = await store.migrations();
      ctx.out.result({ store: store.kind, dataDir: sdk.dataDir, ...m }, (x) => [`✓ ${x.store} store up to date: migrations ${x.applied.join(', ') || '(none)'} applied${x.pending.length ? `, ${x.pending.join(', ')} pending` : ''}`]);
    });
}

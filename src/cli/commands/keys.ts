import type { Command } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey } from '../../sdk/services/keys.js';
import type { CommandEnv } from '../main.js';

export function registerKeysCommands(program: Command, env: CommandEnv): void {
  const keys = program.command('keys').description('API keys of the management API (`tajo serve`, /api/v1)');

  keys
    .command('create')
    .description('create a key (printed once; stored hashed)')
    .option('--name <name>', 'what the key is for', 'default')
    .action(async (o: { name: string }) => {
      const ctx = env.ctx();
      const r = await createApiKey(await ctx.sdk(), o.name);
      ctx.out.result(r, (k) => [`${k.key}`, `id ${k.id} (${k.name}) — store this key now: it cannot be shown again`]);
    });

  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .action(async () => {
      const ctx = env.ctx();
      const rows = await listApiKeys(await ctx.sdk());
      ctx.out.result(rows, (r) => (r.length ? r.map((k) => `${k.id}  ${k.name}  created ${k.createdAt}${k.revokedAt ? `  revoked ${k.revokedAt}` : ''}`) : ['No API keys.']));
    });

  keys
    .command('revoke')
    .description('revoke a key by id (or by the key itself)')
    .argument('<id>', 'key id (key_…), or the key (tajo_…): never printed')
    .action(async (id: string) => {
      const ctx = env.ctx();
      const r = await revokeApiKey(await ctx.sdk(), id);
      ctx.out.result(r, (k) => [`✓ ${k.id} revoked`]);
    });
}

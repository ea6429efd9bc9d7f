import type { Command } from 'commander';
import type { CommandEnv } from '../main.js';

export function registerForgetCommand(program: Command, env: CommandEnv): void {
  program
    .command('forget')
    .description("remove a person (phone, email or chat identity) from Tajo's store")
    .argument('<who>', 'phone (any format), email, or chat identity')
    .option('--connector <id>', 'connector', 'twilio-flex')
    .option('--delete-in-brevo', 'also delete the Brevo contact (by ext_id)')
    .action(async (who: string, o: { connector: string; deleteInBrevo?: boolean }) => {
      const ctx = env.ctx();
      const r = await (await ctx.tajo()).connectors.forget(o.connector, who, { deleteInBrevo: Boolean(o.deleteInBrevo) });
      ctx.out.result(r, (x) => [
        `✓ Forgotten: ${x.interactions} interactions, ${x.surveys} surveys, ${x.outbox} queued Brevo writes removed`,
        ...(x.brevoDeleted === undefined ? [] : [x.brevoDeleted ? '✓ Brevo contact deleted' : '- No Brevo contact with that ext_id']),
      ]);
    });
}

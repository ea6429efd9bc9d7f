import type { Command } from 'commander';
import type { CommandEnv } from '../main.js';

export function registerForgetCommand(program: Command, env: CommandEnv): void {
  program
    .command('forget')
    .description("remove a person from Tajo's store: every customer holding that phone, WhatsApp number, email or chat identity")
    .argument('<who>', 'phone (any format), email, or chat identity')
    .option('--connector <id>', 'connector', 'twilio-flex')
    .option('--delete-in-brevo', 'also delete their Brevo contacts (by ext_id), before anything local')
    .action(async (who: string, o: { connector: string; deleteInBrevo?: boolean }) => {
      const ctx = env.ctx();
      const r = await (await ctx.tajo()).connectors.forget(o.connector, who, { deleteInBrevo: Boolean(o.deleteInBrevo) });
      ctx.out.result(r, (x) => [
        `✓ Forgotten: ${x.customers.length} customer${x.customers.length === 1 ? '' : 's'}, ${x.interactions} interactions, ${x.surveys} surveys, ${x.outbox} queued Brevo writes removed`,
        ...(x.brevoDeleted === undefined ? [] : [x.brevoDeleted ? `✓ Brevo contact${x.brevoContactsDeleted === 1 ? '' : 's'} deleted: ${x.brevoContactsDeleted ?? 0}` : '- No Brevo contact with their ext_id']),
      ]);
    });
}

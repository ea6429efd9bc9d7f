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
        `✓ Forgotten: ${x.customers.length} customer${x.customers.length === 1 ? '' : 's'}, ${x.interactions} interactions, ${x.surveys} surveys, ${x.outbox} queued Brevo writes, ${x.deadLetters} dead letters, ${x.inbox} webhook payloads removed`,
        ...(x.inboxKept
          ? [`- ${x.inboxKept} webhook payload${x.inboxKept === 1 ? '' : 's'} naming them also hold${x.inboxKept === 1 ? 's' : ''} other people's events (or ${x.inboxKept === 1 ? 'is' : 'are'} being processed) and stay${x.inboxKept === 1 ? 's' : ''} until \`tajo prune\` deletes ${x.inboxKept === 1 ? 'it' : 'them'} (processed and older than its --older-than-days); their events in ${x.inboxKept === 1 ? 'it' : 'them'} are never derived again`]
          : []),
        ...(x.brevoDeleted === undefined ? [] : [x.brevoDeleted ? `✓ Brevo contact${x.brevoContactsDeleted === 1 ? '' : 's'} deleted: ${x.brevoContactsDeleted ?? 0}` : '- No Brevo contact with their ext_id']),
      ]);
    });
}

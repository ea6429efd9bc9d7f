import { Option, type Command } from 'commander';
import { TajoError } from '../../core/errors.js';
import type { TajoClient } from '../../sdk/client.js';
import type { DlqActionResult } from '../../sdk/types.js';
import type { CommandEnv } from '../main.js';
import { intOption } from '../options.js';
import { renderDeadLetter, renderDeadLetters } from '../render.js';

export function registerDlqCommands(program: Command, env: CommandEnv): void {
  const dlq = program.command('dlq').description('dead letters: records Tajo could not map or Brevo refused');

  dlq
    .command('list')
    .description('list dead letters (open by default)')
    .addOption(new Option('--status <status>', 'open, replayed or discarded').choices(['open', 'replayed', 'discarded']).default('open'))
    .option('--limit <n>', 'at most n', intOption(1, 1000), 100)
    .option('--after-id <id>', 'page: ids after this one', intOption(0))
    .action(async (o: { status: 'open' | 'replayed' | 'discarded'; limit: number; afterId?: number }) => {
      const ctx = env.ctx();
      const rows = await (await ctx.tajo()).dlq.list({ status: o.status, limit: o.limit, ...(o.afterId !== undefined ? { afterId: o.afterId } : {}) });
      ctx.out.result(rows, renderDeadLetters);
    });

  dlq
    .command('show')
    .description('show one dead letter with its payload')
    .argument('<id>', 'dead letter id', intOption(1))
    .action(async (id: number) => {
      const ctx = env.ctx();
      ctx.out.result(await (await ctx.tajo()).dlq.show(id), renderDeadLetter);
    });

  dlq
    .command('replay')
    .description('put dead letters back (Brevo writes into the outbox, records through the engine again)')
    .argument('<ids...>', 'dead letter ids', (v: string, prev: number[] | undefined) => [...(prev ?? []), intOption(1)(v)])
    .action(async (ids: number[]) => {
      const ctx = env.ctx();
      const tajo = await ctx.tajo();
      const results = await eachOpen(tajo, ids, 'replayed', (id) => tajo.dlq.replay(id));
      ctx.out.result(results, (r) => r.map(replayLine));
      // a record that failed again is not an error of the command, but scripts must see it
      if (results.some((x) => x.status === 'failed')) ctx.exitCode = 65;
    });

  dlq
    .command('discard')
    .description('mark dead letters as discarded')
    .argument('<ids...>', 'dead letter ids', (v: string, prev: number[] | undefined) => [...(prev ?? []), intOption(1)(v)])
    .action(async (ids: number[]) => {
      const ctx = env.ctx();
      const tajo = await ctx.tajo();
      const results = await eachOpen(tajo, ids, 'discarded', (id) => tajo.dlq.discard(id));
      ctx.out.result(results, (r) => r.map((x) => `✓ #${x.id} discarded`));
    });
}

/**
 * Acts on each id once, in order, after checking them all: an unknown id or one already replayed or discarded fails the
 * command before anything is done (it used to fail at that id, after the ones before it were acted on, without saying
 * so). A failure while acting names the ids already acted on.
 */
async function eachOpen(tajo: TajoClient, ids: readonly number[], done: 'replayed' | 'discarded', act: (id: number) => Promise<DlqActionResult>): Promise<DlqActionResult[]> {
  const unique = [...new Set(ids)];
  for (const id of unique) {
    const d = await tajo.dlq.show(id);
    if (d.status !== 'open') {
      throw new TajoError('TAJO_USAGE', `Dead letter #${id} is already ${d.status}: nothing ${done}`, { hint: 'leave it out; `tajo dlq list` shows the open ones' });
    }
  }
  const results: DlqActionResult[] = [];
  for (const id of unique) {
    try {
      results.push(await act(id));
    } catch (err) {
      if (!results.length || !(err instanceof TajoError)) throw err;
      const before = results.map((r) => `#${r.id}`).join(', ');
      throw new TajoError(err.code, `${err.message} (${before} ${results.length === 1 ? 'was' : 'were'} ${done} before it)`, { details: [...err.details], ...(err.hint ? { hint: err.hint } : {}), cause: err });
    }
  }
  return results;
}

function replayLine(x: DlqActionResult): string {
  if (x.status === 'failed') {
    const now = (x.deadLetters ?? []).map((d) => `#${d.id} (${d.reason}${d.error ? `: ${d.error}` : ''})`).join(', ');
    return `✗ #${x.id} replayed and failed again: now dead letter ${now}`;
  }
  if (x.inboxKey) return `✓ #${x.id} replayed: its webhook is back in the inbox as ${x.inboxKey} and processed again (if still no task names its Conversation, it waits for one, then becomes a new dead letter)`;
  return `✓ #${x.id} replayed (${x.requeued ?? 0} requeued)`;
}

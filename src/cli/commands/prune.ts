import type { Command } from 'commander';
import { TajoError } from '../../core/errors.js';
import { DAY_MS } from '../../engine/sync/windows.js';
import { FORGOTTEN_KEEP_DAYS, forgottenPruneBeforeMs } from '../../store/forgotten.js';
import type { CommandEnv } from '../main.js';

/**
 * `tajo prune [--older-than-days N]`: retention of personal data. Delivered Brevo writes and processed webhook payloads
 * stay in the store only as long as needed; the ledger (keys and content hashes, no payloads) keeps every delivered
 * key, so nothing is sent twice after a prune. Run it from cron next to `tajo serve` or after syncs. The task SIDs
 * `tajo forget` keeps go too, but never before FORGOTTEN_KEEP_DAYS (store/forgotten.ts says why), whatever N.
 */
/** 100 years: more keeps the same rows, and the cut-off stays a valid date. */
const MAX_DAYS = 36_500;

export function registerPruneCommand(program: Command, env: CommandEnv): void {
  program
    .command('prune')
    .description(`delete delivered Brevo writes and processed webhook payloads older than N days (the ledger still prevents re-sends), and the task SIDs of people forgotten more than max(N, ${FORGOTTEN_KEEP_DAYS}) days ago`)
    .option('--older-than-days <n>', `keep what was delivered or processed in the last N days (0..${MAX_DAYS})`, (v) => Number(v), 7)
    .action(async (o: { olderThanDays: number }) => {
      // an unbounded N would put the cut-off before any date (new Date(...) throws a RangeError)
      if (!Number.isFinite(o.olderThanDays) || o.olderThanDays < 0 || o.olderThanDays > MAX_DAYS) {
        throw new TajoError('TAJO_USAGE', `--older-than-days must be a number between 0 and ${MAX_DAYS}`, { hint: `${MAX_DAYS} days keeps everything from the last 100 years` });
      }
      const ctx = env.ctx();
      const store = await (await ctx.sdk()).store();
      const nowMs = Date.now();
      const beforeMs = nowMs - o.olderThanDays * DAY_MS;
      const r = await store.pruneDelivered(beforeMs);
      const forgottenBeforeMs = forgottenPruneBeforeMs(nowMs, beforeMs);
      const forgotten = await store.pruneForgotten(forgottenBeforeMs);
      ctx.out.result({
        before: new Date(beforeMs).toISOString(), outboxRowsDeleted: r.outbox, inboxRowsDeleted: r.inbox,
        forgottenBefore: new Date(forgottenBeforeMs).toISOString(), forgottenTasksDeleted: forgotten,
      }, (x) => [
        `✓ Pruned what was delivered or processed before ${x.before}: ${x.outboxRowsDeleted} delivered Brevo writes, ${x.inboxRowsDeleted} processed webhook payloads`,
        `✓ Pruned ${x.forgottenTasksDeleted} task SIDs of people forgotten before ${x.forgottenBefore} (Twilio no longer hands those tasks back)`,
      ]);
    });
}

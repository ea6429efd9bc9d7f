/**
 * `connectors.handleEvent` embedded: the event is stored in the inbox (durable, deduped with the webhook routes),
 * processed at once by the inbox processor (same derivation as polling, live priority), and delivered to Brevo by a
 * delivery worker that runs in the background until `close()`. Inside `tajo serve` (`hostLoops`), the server's own
 * processor takes it instead.
 */
import { isTajoError } from '../../core/errors.js';
import type { DeliveryWorker } from '../../engine/deliver/worker.js';
import type { InboxProcessor } from '../../engine/ingest/inboxProcessor.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, HandleEventInput, HandleEventResult } from '../types.js';
import { loadConnection, type Connection } from './connection.js';
import { toInboxItem } from './handleEvent.js';
import { assertListsExist } from './preflight.js';
import { createDeliveryWorker, inboxProcessorFor } from './worker.js';

export interface LiveLoops {
  inbox: InboxProcessor;
  delivery?: DeliveryWorker;
}

const live = new WeakMap<SdkContext, Promise<LiveLoops>>();

/**
 * The context's live loops (created and started once; stopped when the context closes). A start that fails (a bad
 * Brevo base URL, the store briefly unavailable, …) is not remembered: the next call tries again with its own
 * connection, instead of every later call failing with the first error until the process restarts.
 */
export function liveLoops(ctx: SdkContext, conn: Connection): Promise<LiveLoops> {
  let p = live.get(ctx);
  if (!p) {
    const started = (async () => {
      const inbox = await inboxProcessorFor(ctx, conn);
      // as `tajo serve`: a configured list Brevo lacks would dead-letter every contact (Brevo unreachable is no reason
      // to hold the event: the worker retries)
      if (conn.brevo.apiKey) {
        await assertListsExist(ctx, conn).catch((err: unknown) => {
          if (isTajoError(err, 'TAJO_BREVO_LIST_MISSING')) throw err;
          ctx.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'the configured Brevo lists could not be checked');
        });
      }
      const delivery = conn.brevo.apiKey ? await createDeliveryWorker(ctx, conn, 'sdk') : undefined;
      inbox.start();
      delivery?.start();
      ctx.onClose(async () => {
        await inbox.stop();
        await delivery?.stop();
      });
      return { inbox, ...(delivery ? { delivery } : {}) };
    })();
    started.catch(() => {
      if (live.get(ctx) === started) live.delete(ctx);
    });
    live.set(ctx, started);
    p = started;
  }
  return p;
}

export async function handleEvent(ctx: SdkContext, id: ConnectorId, input: HandleEventInput): Promise<HandleEventResult> {
  const item = toInboxItem(input);
  const conn = await loadConnection(ctx, id);
  const store = await ctx.store();
  const r = await store.ingest([item]);
  const accepted = r.acceptedKeys.includes(item.key);
  if (!accepted) return { accepted, duplicate: true, key: item.key };
  const host = ctx.hosted;
  if (host) {
    // inside a server: its processor takes the item like a webhook's (none with --role ingest: a worker replica does)
    host.inbox?.wake();
    return { accepted, duplicate: false, key: item.key };
  }
  const loops = await liveLoops(ctx, conn);
  const processed = await loops.inbox.runOnce();
  return { accepted, duplicate: false, key: item.key, enqueued: processed.outboxInserted };
}

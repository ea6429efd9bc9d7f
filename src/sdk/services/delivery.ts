/** Draining the outbox to Brevo for an embedded sync or handleEvent: a DeliveryWorker plus progress polling. */
import { DeliveryWorker } from '../../engine/deliver/worker.js';
import { RequestStats } from '../../engine/http.js';
import type { Store } from '../../store/store.js';
import type { SdkContext } from '../context.js';
import type { DeliveryReport, SyncProgressEvent } from '../types.js';
import { brevoClientFor, timeScaleOf } from './clients.js';
import type { Connection } from './connection.js';

export interface RunningDelivery {
  worker: DeliveryWorker;
  store: Store;
  stats: RequestStats;
  started: number;
  baseline: { delivered: number; dead: number };
  emit: (e: SyncProgressEvent) => void;
  ticker: NodeJS.Timeout;
  stop(): Promise<void>;
}

async function progress(d: RunningDelivery): Promise<{ delivered: number; deadLettered: number; pending: number; requests: number }> {
  const s = await d.store.outboxStats();
  return { delivered: s.delivered - d.baseline.delivered, deadLettered: s.dead - d.baseline.dead, pending: s.pending + s.inflight, requests: d.stats.total() };
}

/** Starts a delivery worker in the background (it drains while the sync fills the outbox). */
export async function startDelivery(ctx: SdkContext, conn: Connection, o: { workerId: string; emit: (e: SyncProgressEvent) => void; signal?: AbortSignal }): Promise<RunningDelivery> {
  const store = await ctx.store();
  const stats = new RequestStats();
  const worker = new DeliveryWorker({
    store,
    brevo: await brevoClientFor(ctx, conn, stats),
    logger: ctx.logger,
    workerId: o.workerId,
    connectorId: conn.id,
    timeScale: await timeScaleOf(ctx, conn),
    backfill: true,
  });
  const s = await store.outboxStats();
  const d: RunningDelivery = {
    worker,
    store,
    stats,
    started: Date.now(),
    baseline: { delivered: s.delivered, dead: s.dead },
    emit: o.emit,
    ticker: setInterval(() => {
      void progress(d).then(
        (p) => o.emit({ kind: 'delivery', progress: p }),
        () => undefined,
      );
    }, 500),
    stop: async () => {
      clearInterval(d.ticker);
      await worker.stop();
    },
  };
  d.ticker.unref();
  worker.start();
  return d;
}

/** Stops the background loop, then (when `finish`) drains until the outbox is empty, paused or aborted. */
export async function drainOutbox(d: RunningDelivery, finish: boolean, signal?: AbortSignal): Promise<DeliveryReport> {
  await d.worker.stop();
  let paused = d.worker.paused !== undefined;
  let retried = 0;
  if (finish && !paused && !signal?.aborted) {
    const r = await d.worker.drain({ until: 'empty', ...(signal ? { signal } : {}) });
    paused = r.paused;
    retried = r.retried;
  }
  clearInterval(d.ticker);
  const p = await progress(d);
  d.emit({ kind: 'delivery', progress: p });
  return { delivered: p.delivered, retried, deadLettered: p.deadLettered, pending: p.pending, requests: p.requests, paused, durationMs: Date.now() - d.started };
}

import type { RawEvent } from '../../../store/types.js';
import { contentHash } from '../../derive/hash.js';
import { listActivities, listTaskQueues, listWorkers } from '../../../sources/twilio/readers.js';
import { Checkpointer, meterInto, progress, throwIfAborted, type SyncContext } from '../context.js';
import type { StreamName, StreamReport } from '../types.js';

/**
 * Change detection for the small reference streams (`queues`, `workers`, `activities`): full refresh every run
 * (TaskRouter lists have no updated-since filter; they are a page or two). The cursor keeps a content hash of the
 * list, so an unchanged list writes nothing. Worker snapshots are stored as raw events keyed by content
 * (`rawEventsForWorkers` serves agent views); queue names fill events that lack `task_queue_name`.
 */
async function refresh<T extends { sid: string }>(
  ctx: SyncContext,
  report: StreamReport,
  stream: StreamName,
  list: AsyncGenerator<{ items: T[] }>,
  toRaw?: (item: T) => RawEvent,
): Promise<T[]> {
  const cp = await Checkpointer.load(ctx, stream, ctx.workspaceSid);
  const items: T[] = [];
  for await (const page of list) {
    throwIfAborted(ctx.opts.signal);
    report.pages++;
    items.push(...page.items);
  }
  report.records = items.length;
  const hash = contentHash(items.map((i) => ({ ...i, url: undefined, links: undefined })));
  const prev = cp.value as { hash?: string } | undefined;
  const value = { hash, count: items.length, refreshedAtMs: ctx.runNowMs };
  if (prev?.hash !== hash) await cp.commit({ rawEvents: toRaw ? items.map(toRaw) : [] }, value);
  report.cursor = { count: items.length, hash: hash.slice(0, 12) };
  progress(ctx, { stream, partition: ctx.workspaceSid, pages: report.pages, records: report.records, cursor: report.cursor, fraction: 1, done: true });
  return items;
}

export async function runQueues(ctx: SyncContext, report: StreamReport): Promise<void> {
  const client = ctx.client.withMeter(meterInto(report));
  const queues = await refresh(ctx, report, 'queues', listTaskQueues(client, ctx.workspaceSid));
  for (const q of queues) if (q.friendly_name) ctx.queueNames.set(q.sid, q.friendly_name);
}

export async function runWorkers(ctx: SyncContext, report: StreamReport): Promise<void> {
  const client = ctx.client.withMeter(meterInto(report));
  await refresh(ctx, report, 'workers', listWorkers(client, ctx.workspaceSid), (w) => {
    const data = { sid: w.sid, friendly_name: w.friendly_name ?? null, activity_sid: w.activity_sid ?? null, activity_name: w.activity_name ?? null, available: w.available ?? null };
    return { key: `worker:${w.sid}:${contentHash(data).slice(0, 16)}`, type: 'tajo.worker.snapshot', occurredMs: w.date_updated ? Date.parse(w.date_updated) : ctx.runNowMs, workerSid: w.sid, via: 'poll', data };
  });
}

export async function runActivities(ctx: SyncContext, report: StreamReport): Promise<void> {
  const client = ctx.client.withMeter(meterInto(report));
  await refresh(ctx, report, 'activities', listActivities(client, ctx.workspaceSid));
}

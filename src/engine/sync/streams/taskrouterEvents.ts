import type { RawEvent } from '../../../store/types.js';
import { rawEventFromTaskRouter } from '../../derive/taskEvents.js';
import { listEvents } from '../../../sources/twilio/readers.js';
import type { Page } from '../../../sources/twilio/client.js';
import type { TaskRouterEvent } from '../../../sources/twilio/schemas.js';
import { Checkpointer, yieldToLoop, meterInto, planBatch, progress, throwIfAborted, type ContactConfig, type SyncContext } from '../context.js';
import { prefetch } from '../prefetch.js';
import { refreshAgedCustomers } from './aging.js';
import { repushOnContactConfigChange } from './remap.js';
import type { StreamReport } from '../types.js';
import { syncRange, windowSizer } from '../windows.js';

/** Cursor of `taskrouter_events` (partition = workspace SID). */
export interface TaskRouterEventsCursor {
  /** Every event up to here has been derived and its Brevo writes enqueued. */
  windowEndMs: number;
  lastEventSid: string | null;
  /** The window being read (pages stored, derivation pending); a restart re-reads it. */
  readingWindow?: [number, number];
  /** Mapping and lists the enqueued contacts were built with (dry-run diffs compare against them). */
  contactConfig?: ContactConfig;
}

const PAGE_SIZE = 1000;
/**
 * Tasks derived per commit at the end of a window. The embedded store is synchronous, so a chunk's reads, derivation
 * and commit hold the event loop in one stretch (awaits of settled promises do not let timers or sockets in): small
 * chunks with a yield between them keep the delivery worker's Brevo calls, which share this loop, on their budget's
 * pace (a stall longer than the budget's burst loses the tokens that came due in it).
 */
const DERIVE_CHUNK = 100;

/**
 * Raw events stored per transaction (a page holds up to 1,000). Each row costs ~100 µs with its four indexes once the
 * store outgrows SQLite's page cache, so 50 rows hold the loop ~5 ms (200 held it 20–40 ms, and the single event calls
 * fell to 72–84/s of their 100/s during the read; with 50: 90–96/s, bench:sync reference).
 */
const RAW_CHUNK = 50;

interface WindowPage {
  startMs: number;
  endMs: number;
  page: Page<TaskRouterEvent>;
  lastOfWindow: boolean;
}

/**
 * Change detection: TaskRouter Events by time window (StartDate/EndDate, both explicit). Full: from `--since` (clamped
 * to the 30-day retention) or the retention start. Incremental: from the cursor minus `lookback_minutes` (late events
 * re-read; raw events dedupe by EV sid). Events come newest first inside a window (and the order is not documented),
 * so a page alone never says a task is complete: each page's raw events are stored with the cursor, and the tasks a
 * window touched are derived once the whole window is stored. Every event at or before the window end is then known,
 * so a task that reached task.completed/canceled is derived from its full history. The cursor passes a window only in
 * the commit that enqueues that window's Brevo writes.
 */
export async function runTaskrouterEvents(ctx: SyncContext, report: StreamReport): Promise<void> {
  const partition = ctx.workspaceSid;
  const cp = await Checkpointer.load(ctx, 'taskrouter_events', partition);
  const prev = cp.value as TaskRouterEventsCursor | undefined;
  const since = ctx.opts.since !== undefined ? Date.parse(ctx.opts.since) : undefined;
  const range = syncRange({ type: ctx.opts.type, nowMs: ctx.runNowMs, sinceMs: since, cursorEndMs: prev?.windowEndMs, lookbackMinutes: ctx.deps.config.lookback_minutes });
  ctx.warnings.push(...range.warnings);
  for (const w of range.warnings) ctx.log.warn(w);
  const client = ctx.client.withMeter(meterInto(report));
  const fixed = ctx.deps.windowMs;
  const sizer = fixed !== undefined ? windowSizer(fixed, fixed, fixed) : windowSizer();
  const keepWorkerEvents = ctx.does.agentActivity;

  async function* pages(): AsyncGenerator<WindowPage> {
    let start = range.startMs;
    while (start < range.endMs) {
      const end = Math.min(range.endMs, start + sizer.sizeMs);
      let n = 0;
      let records = 0;
      for await (const page of listEvents(client, ctx.workspaceSid, start, end, { pageSize: PAGE_SIZE })) {
        n++;
        records += page.items.length;
        yield { startMs: start, endMs: end, page, lastOfWindow: page.nextUrl === null };
      }
      sizer.observe(n, records, PAGE_SIZE);
      start = end;
    }
  }

  const contactConfig: ContactConfig = { fieldMapping: { ...ctx.deps.config.field_mapping }, lists: { ...ctx.deps.listIds } };
  await repushOnContactConfigChange(ctx, cp, contactConfig);
  let windowEndMs = prev?.windowEndMs ?? range.startMs;
  let lastEventSid = prev?.lastEventSid ?? null;
  /**
   * Tasks the window touched, with their earliest event in it. They are derived in that order (not by SID): a survey
   * task starts after the interaction it rates ended, so its linked task is committed in the same or an earlier chunk
   * and the CSAT event is built with the linked task's agent, queue and channel — a chunk committed first could
   * otherwise be delivered with a survey that does not know its linked task yet (the event would then be in the
   * ledger and never re-sent complete).
   */
  const touched = new Map<string, number>();
  report.cursor = cp.value ?? null;
  for await (const wp of prefetch(pages())) {
    throwIfAborted(ctx.opts.signal);
    const raw: RawEvent[] = [];
    for (const item of wp.page.items) {
      const r = rawEventFromTaskRouter(item);
      if (!Number.isFinite(r.occurredMs)) continue;
      if (r.taskSid !== undefined) touched.set(r.taskSid, Math.min(touched.get(r.taskSid) ?? Number.POSITIVE_INFINITY, r.occurredMs));
      else if (!keepWorkerEvents) continue;
      raw.push(r);
    }
    report.pages++;
    report.records += wp.page.items.length;
    if (wp.page.items.length > 0) lastEventSid = wp.page.items[wp.page.items.length - 1]?.sid ?? lastEventSid;
    // A page's raw events go in several short transactions (each ~100 µs a row with its indexes), the cursor with the
    // last: inserts are idempotent (keyed by EV sid), so a crash in between re-reads the page and loses nothing.
    for (let i = 0; i < raw.length || i === 0; i += RAW_CHUNK) {
      const last = i + RAW_CHUNK >= raw.length;
      await cp.commit(
        { rawEvents: raw.slice(i, i + RAW_CHUNK) },
        last ? ({ windowEndMs, lastEventSid, readingWindow: [wp.startMs, wp.endMs], contactConfig } satisfies TaskRouterEventsCursor) : undefined,
      );
      await yieldToLoop();
      if (last) break;
    }

    if (wp.lastOfWindow) {
      const firstSeen = new Map(touched);
      const tasks = [...touched].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([sid]) => sid);
      touched.clear();
      const size = Math.max(1, ctx.deps.deriveChunk ?? DERIVE_CHUNK);
      // Every event up to this window's end is stored; a later one already stored (see TaskPlanDeps.throughMs) puts
      // its task off to the window that reads it. The run's last window derives whatever is left.
      const throughMs = wp.endMs < range.endMs ? wp.endMs : undefined;
      const postponed: string[] = [];
      for (let i = 0; i < tasks.length || i === 0; i += size) {
        const chunk = tasks.slice(i, i + size);
        const planned = await planBatch(ctx, [], chunk, client, [wp.startMs, wp.endMs], throughMs);
        postponed.push(...planned.postponed);
        const last = i + size >= tasks.length;
        await cp.commit(planned.batch, last ? ({ windowEndMs: wp.endMs, lastEventSid, contactConfig } satisfies TaskRouterEventsCursor) : undefined);
        await yieldToLoop();
        if (last) break;
      }
      // A postponed task is touched again by its later events, in this run or, after a crash, in the resumed one (they
      // lie after the cursor this commit wrote); it keeps its first time so surveys still follow the tasks they rate.
      for (const t of postponed) touched.set(t, Math.min(touched.get(t) ?? Number.POSITIVE_INFINITY, firstSeen.get(t) ?? Number.POSITIVE_INFINITY));
      windowEndMs = wp.endMs;
      report.cursor = cp.value;
    }
    const span = range.endMs - range.startMs;
    progress(ctx, {
      stream: 'taskrouter_events', partition, pages: report.pages, records: report.records, cursor: { windowEndMs },
      ...(span > 0 ? { fraction: Math.min(1, (wp.endMs - range.startMs) / span) } : {}), done: false,
    });
  }
  if (range.startMs >= range.endMs) report.cursor = cp.value ?? null;
  await refreshAgedCustomers(ctx, cp, prev?.windowEndMs);
  progress(ctx, { stream: 'taskrouter_events', partition, pages: report.pages, records: report.records, cursor: report.cursor, fraction: 1, done: true });
}

/**
 * `connectors.sync` embedded: the sync engine reads Twilio and fills the outbox page by page while a delivery
 * worker drains it to Brevo; after the last page the outbox is drained to empty (unless `deliver: false`).
 */
import { randomBytes } from 'node:crypto';
import type { TwilioBudgets } from '../../engine/budget.js';
import { isoMs } from '../../core/instant.js';
import { TajoError } from '../../core/errors.js';
import { RequestStats } from '../../engine/http.js';
import { runSync, type StreamProgress as EngineProgress } from '../../engine/sync/index.js';
import { twilioBudgetsFor } from '../../scale/budgets.js';
import type { SdkContext } from '../context.js';
import type { ConnectorId, StreamReport, SyncCallOptions, SyncParams, SyncProgressEvent, SyncReport } from '../types.js';
import { BREVO_KEY_FIX, loadConnection, messageBodyKey, type Connection } from './connection.js';
import { assertEnabled, assertListsExist } from './preflight.js';
import { vendorTime, type VendorTime } from './clients.js';
import { drainOutbox, startDelivery } from './delivery.js';

function budgetFor(stream: string, b: TwilioBudgets) {
  if (stream === 'taskrouter_events') return b.events;
  if (stream === 'conversations') return b.conversations;
  return b.taskrouter;
}

/** Which Twilio request paths belong to a stream (request stats are keyed `twilio GET /…/path/:id`). */
const STREAM_PATHS: Record<string, RegExp> = {
  queues: /\/TaskQueues/,
  workers: /\/Workers/,
  activities: /\/Activities/,
  taskrouter_events: /\/(Events|Tasks)\b/,
  conversations: /\/Conversations/,
};

/** Turns the engine's per-page progress into the SDK's (requests and budget use per stream). */
function progressMapper(emit: (e: SyncProgressEvent) => void, stats: RequestStats, budgets: TwilioBudgets) {
  const last = new Map<string, { at: number; used: number }>();
  return (p: EngineProgress) => {
    const budget = budgetFor(p.stream, budgets);
    const snap = budget.snapshot();
    const prev = last.get(p.stream);
    const dt = prev ? (Date.now() - prev.at) / 1000 : 0;
    const budgetUse = prev && dt > 0.05 && snap.ratePerSecond > 0 ? Math.min(1, (snap.used - prev.used) / (dt * snap.ratePerSecond)) : undefined;
    if (!prev || dt > 0.05) last.set(p.stream, { at: Date.now(), used: snap.used });
    const paths = STREAM_PATHS[p.stream];
    emit({
      kind: 'stream',
      progress: {
        stream: p.stream,
        ...(p.partition ? { partition: p.partition } : {}),
        records: p.records,
        pages: p.pages,
        requests: stats.total((k) => k.startsWith('twilio ') && (paths ? paths.test(k) : true)),
        ...(p.fraction !== undefined ? { fraction: p.fraction } : {}),
        ...(budgetUse !== undefined ? { budgetUse } : {}),
        done: p.done,
      },
    });
  };
}

/** The installed record as the engine should see it: effective base URLs, workspace and auth mode. */
export function effectiveConnector(conn: Connection) {
  const s = conn.record.settings;
  const useKey = Boolean(conn.creds.apiKeySid && conn.creds.apiKeySecret);
  const settings = { ...s, baseUrls: conn.baseUrls, workspaceSid: conn.workspaceSid, authMode: useKey ? ('api_key' as const) : ('auth_token' as const) };
  if (useKey) settings.apiKeySid = conn.creds.apiKeySid!;
  return { ...conn.record, settings };
}

/**
 * `since` after the vendors' now would read an empty range and report success: refused, against the clock the run reads
 * up to (an emulator's world has its own now, ahead of or behind this machine's).
 */
function assertSinceNotFuture(since: string | undefined, time: VendorTime): void {
  if (since === undefined) return;
  const nowMs = time.nowMs();
  if (!(Date.parse(since) > nowMs)) return;
  const clock = time.emulated ? "the emulator's clock" : "this machine's clock";
  throw new TajoError('TAJO_USAGE', `since ${since} is in the future (now is ${new Date(nowMs).toISOString()} on ${clock})`, {
    details: [{ path: 'since', message: 'must not be after the vendors\' now' }],
    hint: time.emulated ? "an emulator's world has its own now (GET /_emulator/clock): pass a date before it" : 'pass a date in the past',
  });
}

export async function sync(ctx: SdkContext, id: ConnectorId, params: SyncParams, opts: SyncCallOptions = {}): Promise<SyncReport> {
  assertEnabled(ctx, id, 'a sync');
  // one rule for user dates (src/core/instant.ts isoMs): no zone = UTC, never this machine's zone
  const sinceMs = params.since === undefined ? undefined : isoMs(params.since.trim());
  const since = sinceMs === undefined ? params.since : new Date(sinceMs).toISOString();
  const conn = await loadConnection(ctx, id);
  const time = await vendorTime(ctx, conn);
  // each run reads up to the emulator's clock as it is now (it may have jumped since this context first read it)
  await time.resync?.();
  assertSinceNotFuture(since, time);
  // before anything is enqueued: a missing list would dead-letter every contact (a dry run enqueues nothing)
  if (params.dryRun !== true) await assertListsExist(ctx, conn);
  const store = await ctx.store();
  const cfg = ctx.config.connectors.twilio_flex;
  const warnings: string[] = [];
  const emit = (e: SyncProgressEvent) => {
    if (e.kind === 'warning') warnings.push(e.message);
    try {
      opts.onProgress?.(e);
    } catch (err) {
      ctx.logger.debug({ err }, 'progress callback failed');
    }
  };
  // an incremental run resumes from the TaskRouter cursor: a --since would be silently ignored (windows.ts syncRange)
  if (since !== undefined && (params.type ?? 'incremental') === 'incremental' && (await store.getCheckpoint(id, 'taskrouter_events', conn.workspaceSid))) {
    emit({ kind: 'warning', message: `--since ${since} is not used: an incremental sync resumes where the last one ended (its cursor); run --type full to read from --since` });
  }
  const twilioStats = new RequestStats();
  const budgets = twilioBudgetsFor(store, conn.workspaceSid, time.timeScale, { logger: ctx.logger });
  const dryRun = params.dryRun === true;
  const deliver = !dryRun && params.deliver !== false && Boolean(conn.brevo.apiKey);
  if (!dryRun && params.deliver !== false && !conn.brevo.apiKey) emit({ kind: 'warning', message: `no Brevo API key: writes stay in the outbox (${BREVO_KEY_FIX})` });

  if (deliver && cfg.lists.support_contacts === undefined) {
    // Brevo's contact import needs a list (listIds or newList); without one, bulk contact writes are refused.
    emit({ kind: 'warning', message: 'no Brevo list configured (lists.support_contacts): bulk contact imports need one — run `tajo connectors bootstrap twilio-flex --create-lists` and set lists.* in tajo.yaml' });
  }
  const workerId = `sync-${process.pid}-${randomBytes(3).toString('hex')}`;
  const delivery = deliver ? await startDelivery(ctx, conn, { workerId, emit, ...(opts.signal ? { signal: opts.signal } : {}) }) : undefined;
  let engine;
  try {
    engine = await runSync(
      {
        store,
        config: cfg,
        connector: effectiveConnector(conn),
        secrets: { authToken: conn.creds.authToken, apiKeySecret: conn.creds.apiKeySecret },
        logger: ctx.logger,
        budgets,
        listIds: { support_contacts: cfg.lists.support_contacts, csat_respondents: cfg.lists.csat_respondents },
        nowMs: time.nowMs,
        onProgress: progressMapper(emit, twilioStats, budgets),
        timeScale: time.timeScale,
        stats: twilioStats,
        messageBodyKey: messageBodyKey(ctx, id),
      },
      {
        type: params.type ?? 'incremental',
        ...(params.resources ? { resources: params.resources } : {}),
        ...(since ? { since } : {}),
        ...(params.channels ? { channels: params.channels } : {}),
        dryRun,
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
  } catch (err) {
    await delivery?.stop();
    throw err;
  }
  const own = [...warnings];
  for (const w of engine.warnings) emit({ kind: 'warning', message: w });
  const deliveryReport = delivery ? await drainOutbox(delivery, engine.status === 'ok' || engine.status === 'paused', opts.signal) : undefined;

  const finished = Date.now();
  const streams: StreamReport[] = Object.entries(engine.streams).map(([stream, r]) => ({
    stream,
    status: r.status,
    pages: r.pages,
    records: r.records,
    requests: r.requests,
    rateWaitMs: r.rateWaitMs,
    ...(r.cursor !== undefined ? { cursor: r.cursor } : {}),
    ...(r.error ? { error: r.error } : {}),
  }));
  return {
    connector: id,
    type: engine.type,
    dryRun: engine.dryRun,
    status: engine.status,
    ...(engine.statusReason ? { statusReason: engine.statusReason } : {}),
    startedAt: engine.startedAt,
    finishedAt: new Date(finished).toISOString(),
    durationMs: finished - Date.parse(engine.startedAt),
    syncedThrough: engine.syncedThrough,
    streams,
    outbox: engine.outbox,
    deadLetters: engine.deadLetters as Record<string, number>,
    ...(deliveryReport ? { delivery: deliveryReport } : {}),
    warnings: [...own, ...engine.warnings],
    ...(engine.sampleContacts ? { sampleContacts: engine.sampleContacts } : {}),
  };
}

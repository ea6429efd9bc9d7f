import { CHANNELS, SYNC_RESOURCES, type SyncResource } from '../../config/defaults.js';
import { isTajoError, TajoError } from '../../core/errors.js';
import { TwilioClient, twilioBaseUrls, twilioCredentials } from '../../sources/twilio/client.js';
import { readFlexConfiguration } from '../../sources/twilio/readers.js';
import { bodyTransform } from '../derive/messageBodies.js';
import { ConversationSource } from './conversationSource.js';
import { emptyStreamReport, meterInto, type ContactConfig, type SyncContext } from './context.js';
import { DryRunStore, type StoreAccess } from './storeAccess.js';
import { runConversations } from './streams/conversations.js';
import { runActivities, runQueues, runWorkers } from './streams/reference.js';
import { runTaskrouterEvents } from './streams/taskrouterEvents.js';
import { DistinctCounter } from './keyCount.js';
import type { StreamName, StreamReport, SyncDeps, SyncOptions, SyncReport } from './types.js';

interface StreamDef {
  name: StreamName;
  enabled(ctx: SyncContext): boolean;
  run(ctx: SyncContext, report: StreamReport): Promise<void>;
}

/**
 * The streams, registered explicitly and run in this order: reference data first (queue names feed the events),
 * then TaskRouter events (interactions, surveys, customers, Brevo writes), then the refresh of open Conversations.
 */
export const STREAMS: readonly StreamDef[] = [
  { name: 'queues', enabled: (c) => c.does.tasks || c.does.agentActivity, run: runQueues },
  { name: 'workers', enabled: (c) => c.does.agentActivity, run: runWorkers },
  { name: 'activities', enabled: (c) => c.does.agentActivity, run: runActivities },
  { name: 'taskrouter_events', enabled: (c) => c.does.tasks || c.does.contacts || c.does.csat, run: runTaskrouterEvents },
  { name: 'conversations', enabled: (c) => c.does.conversations && [...c.channels].some((ch) => ch !== 'voice'), run: runConversations },
];

const AUTH_CODES = new Set(['TAJO_TWILIO_AUTH', 'TAJO_TWILIO_FORBIDDEN']);

/**
 * Stream ownership (scale-out, injected by `src/scale`): which streams this process may run now. A stream it does
 * not own is skipped (another replica holds its lease and runs it from the committed checkpoint).
 */
export interface StreamGate {
  owns(stream: StreamName): boolean;
}

/**
 * One sync run: reads Twilio (Flex Configuration, TaskRouter, Conversations), derives interactions, customers and
 * Brevo writes, and commits them page by page with each stream's cursor. `dryRun` computes the same plan against an
 * in-memory overlay and commits nothing. A 401/403 pauses the connector (status `paused` with the reason).
 */
export async function runSync(deps: SyncDeps & { streamGate?: StreamGate }, opts: SyncOptions): Promise<SyncReport> {
  const started = Date.now();
  const now = deps.nowMs ?? Date.now;
  const runNowMs = now();
  const cfg = deps.config;
  const log = deps.logger.child({ connector: deps.connector.id, sync: opts.type, ...(opts.dryRun ? { dryRun: true } : {}) });
  const report: SyncReport = {
    type: opts.type,
    dryRun: opts.dryRun === true,
    status: 'ok',
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationMs: 0,
    syncedThrough: new Date(runNowMs).toISOString(),
    streams: {},
    outbox: { contact: 0, event: 0, list_add: 0, list_remove: 0 },
    deadLetters: {},
    warnings: [],
  };
  if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) throw new TajoError('TAJO_USAGE', `--since is not a date: ${opts.since}`);

  const on = (r: SyncResource) => cfg.sync[r] && (opts.resources === undefined || opts.resources.includes(r));
  const channels = new Set(CHANNELS.filter((c) => cfg.channels.includes(c) && (opts.channels === undefined || opts.channels.includes(c))));
  const s = deps.connector.settings;
  const base = new TwilioClient({
    baseUrls: twilioBaseUrls(s.baseUrls, cfg.base_urls),
    credentials: twilioCredentials(s, deps.secrets),
    budgets: deps.budgets,
    logger: log,
    logApiCalls: cfg.log_api_calls,
    priority: 1,
    ...(deps.timeScale !== undefined ? { timeScale: deps.timeScale } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(deps.stats ? { stats: deps.stats } : {}),
    ...(deps.requestTimeoutMs !== undefined ? { timeoutMs: deps.requestTimeoutMs } : {}),
    ...(deps.requestMaxAttempts !== undefined ? { maxAttempts: deps.requestMaxAttempts } : {}),
  });
  const access: StoreAccess = opts.dryRun ? new DryRunStore(deps.store) : deps.store;
  const reports = new Map<StreamName, StreamReport>();
  const streamReport = (name: StreamName) => {
    let r = reports.get(name);
    if (!r) reports.set(name, (r = emptyStreamReport()));
    return r;
  };

  let ctx: SyncContext | undefined;
  let current: StreamName | undefined;
  try {
    // Before any read: a hashed-mode run without its key fails here (TAJO_MESSAGE_BODY_KEY_MISSING).
    const messageBody = bodyTransform(cfg, deps.messageBodyKey);
    const discovery = await readFlexConfiguration(base);
    const workspaceSid = s.workspaceSid || cfg.workspace_sid || discovery.workspaceSid;
    if (discovery.workspaceSid !== workspaceSid) {
      throw new TajoError('TAJO_WORKSPACE_MISMATCH', `Configured workspace ${workspaceSid} differs from Flex Configuration's ${discovery.workspaceSid}`);
    }
    const serviceSid = s.chatServiceSid ?? discovery.conversationServiceSid;
    const doesConversations = on('conversations');
    ctx = {
      deps, opts, connectorId: deps.connector.id, access, client: base, workspaceSid, conversationServiceSid: serviceSid, runNowMs, log,
      does: { tasks: on('tasks'), contacts: on('customers'), csat: on('csat'), conversations: doesConversations, agentActivity: on('agent_activity') },
      channels,
      partial: cfg.channels.some((c) => !channels.has(c)) || SYNC_RESOURCES.some((r) => cfg.sync[r] && !on(r)),
      // Conversation reads made while deriving tasks are counted under the `conversations` stream.
      conversations: doesConversations
        ? new ConversationSource(base.withMeter(meterInto(streamReport('conversations'))), serviceSid, { messageBodies: cfg.message_bodies !== 'off' })
        : undefined,
      messageBody,
      queueNames: new Map(),
      totals: { outbox: report.outbox, deadLetters: report.deadLetters },
      warnings: report.warnings,
      samples: opts.dryRun ? { max: 20, out: [] } : undefined,
      contactKeys: new DistinctCounter(),
      previousContactConfig: undefined,
    };
    const trCursor = (await access.getCheckpoint(deps.connector.id, 'taskrouter_events', workspaceSid))?.value as { contactConfig?: ContactConfig } | undefined;
    ctx.previousContactConfig = trCursor?.contactConfig;
    if (ctx.partial && !opts.dryRun) {
      const w = 'a run narrowed to some channels or resources (SDK channels/resources, CLI --channels/--resources) moves no cursor: the next run without them reads the same time range again';
      report.warnings.push(w);
      log.warn(w);
    }
    for (const def of STREAMS) {
      const r = streamReport(def.name);
      if (!def.enabled(ctx) || (deps.streamGate && !deps.streamGate.owns(def.name))) {
        r.status = 'skipped';
        continue;
      }
      current = def.name;
      log.debug({ stream: def.name }, 'stream start');
      await def.run(ctx, r);
      log.info({ stream: def.name, pages: r.pages, records: r.records, requests: r.requests }, 'stream done');
    }
    current = undefined;
    if (!opts.dryRun) await deps.store.markSynced(deps.connector.id, new Date(runNowMs).toISOString());
  } catch (err) {
    const r = current ? streamReport(current) : undefined;
    if (opts.signal?.aborted) {
      report.status = 'aborted';
      if (r) r.status = 'aborted';
    } else if (isTajoError(err) && AUTH_CODES.has(err.code)) {
      report.status = 'paused';
      report.statusReason = `${err.code}: ${err.message}`;
      if (r) r.status = 'paused';
      if (r) r.error = { code: err.code, message: err.message };
      log.error({ code: err.code }, 'Twilio rejected the credentials: connector paused');
      if (!opts.dryRun) {
        await deps.store.setConnectorStatus(deps.connector.id, 'paused', err.message, { code: err.code, message: err.message, at: new Date().toISOString() });
      }
    } else {
      report.status = 'failed';
      const code = isTajoError(err) ? err.code : 'TAJO_INTERNAL';
      const message = err instanceof Error ? err.message : String(err);
      report.statusReason = `${code}: ${message}`;
      if (r) {
        r.status = 'failed';
        r.error = { code, message };
      }
      log.error({ code, err: isTajoError(err) ? undefined : err }, 'sync failed');
      if (!isTajoError(err)) throw err;
    }
  } finally {
    for (const name of STREAMS.map((d) => d.name)) {
      const r = reports.get(name);
      if (r) report.streams[name] = r;
    }
    if (ctx?.samples) report.sampleContacts = ctx.samples.out;
    const finished = Date.now();
    report.finishedAt = new Date(finished).toISOString();
    report.durationMs = finished - started;
  }
  return report;
}


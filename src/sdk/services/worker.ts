/**
 * The background loops of `tajo serve` and of an embedded client receiving events: the inbox processor turns
 * stored webhooks into derived rows and outbox writes (the sync engine's own planner, live priority); the
 * delivery worker drains the outbox to Brevo.
 */
import { randomBytes } from 'node:crypto';
import { TajoError } from '../../core/errors.js';
import type { BudgetSnapshot } from '../../engine/budget.js';
import { DeliveryWorker, type DeliveryWorkerDeps } from '../../engine/deliver/worker.js';
import type { InboxProcessor, TaskPlanner } from '../../engine/ingest/inboxProcessor.js';
import { createInboxProcessor, liveRederiver } from '../../engine/ingest/live.js';
import { livePlanner, type LivePlannerDeps } from '../../engine/ingest/livePlanner.js';
import type { CustomerRederive } from '../../engine/sync/customerCommit.js';
import type { Background } from '../../server/app.js';
import type { TwilioClient } from '../../sources/twilio/client.js';
import type { HostedLoops, SdkContext } from '../context.js';
import type { ConnectorId } from '../types.js';
import { brevoClientFor, twilioClientFor, vendorTime } from './clients.js';
import { BREVO_KEY_FIX, loadConnection, messageBodyKey, type Connection } from './connection.js';
import { assertListsExist } from './preflight.js';

export interface BackgroundLoops {
  loops: Background[];
  inbox?: InboxProcessor;
  delivery?: DeliveryWorker;
  /** Wakes the inbox processor after new webhooks were committed. */
  onIngested?: () => void;
  /** What cannot run, and why. */
  warnings: string[];
  /** Snapshots of the Brevo rate budgets the delivery worker spends (server budget gauges). */
  budgets?: () => BudgetSnapshot[];
}

/** Scale-out knobs (`tajo serve`): claim leases (how soon a dead replica's claims are taken over) and the claimer id. */
export interface LoopOptions {
  leaseMs?: number;
  workerId?: string;
  /** Rows Brevo just accepted (the server's delivery latency histogram). */
  onDelivered?: DeliveryWorkerDeps['onDelivered'];
}

/** What live derivation runs on for a connection: its store, config, lists, live-priority Twilio client (none without
 * credentials that can read Twilio) and the vendors' clock. */
async function liveDeps(ctx: SdkContext, conn: Connection): Promise<LivePlannerDeps & { workspaceSid: string; now: () => number }> {
  const time = await vendorTime(ctx, conn);
  const cfg = ctx.config.connectors.twilio_flex;
  const canRead = Boolean(conn.creds.authToken || (conn.creds.apiKeySid && conn.creds.apiKeySecret));
  return {
    store: await ctx.store(),
    connectorId: conn.id,
    config: cfg,
    lists: { support_contacts: cfg.lists.support_contacts, csat_respondents: cfg.lists.csat_respondents },
    client: canRead ? await twilioClientFor(ctx, conn, { priority: 0 }) : undefined,
    workspaceSid: conn.workspaceSid,
    conversationServiceSid: conn.chatServiceSid,
    messageBodyKey: messageBodyKey(ctx, conn.id),
    now: time.nowMs,
  };
}

/**
 * The sync engine's derivation for live work (webhooks, SDK events, dead-letter replays), at live priority, and how
 * to derive customers again when a commit finds them re-derived by another process (`commitDerived`).
 */
export async function createLivePlanner(
  ctx: SdkContext,
  conn: Connection,
): Promise<{ plan: TaskPlanner; rederive: CustomerRederive; client: TwilioClient | undefined; now: () => number }> {
  const deps = await liveDeps(ctx, conn);
  return { plan: livePlanner(deps), rederive: liveRederiver(deps), client: deps.client, now: deps.now };
}

/** The engine's inbox processor (`createInboxProcessor`) for a connection, with the claim knobs of `tajo serve`. */
export async function inboxProcessorFor(ctx: SdkContext, conn: Connection, lo: LoopOptions = {}): Promise<InboxProcessor> {
  return createInboxProcessor({
    ...(await liveDeps(ctx, conn)),
    logger: ctx.logger,
    processor: {
      ...(lo.leaseMs !== undefined ? { leaseMs: lo.leaseMs } : {}),
      ...(lo.workerId !== undefined ? { workerId: `inbox-${lo.workerId}` } : {}),
    },
  });
}

export async function createDeliveryWorker(ctx: SdkContext, conn: Connection, role: string, lo: LoopOptions = {}): Promise<DeliveryWorker> {
  return new DeliveryWorker({
    store: await ctx.store(),
    brevo: await brevoClientFor(ctx, conn),
    logger: ctx.logger,
    workerId: lo.workerId !== undefined ? `${role}-${lo.workerId}` : `${role}-${process.pid}-${randomBytes(3).toString('hex')}`,
    connectorId: conn.id,
    timeScale: (await vendorTime(ctx, conn)).timeScale,
    ...(lo.leaseMs !== undefined ? { leaseMs: lo.leaseMs } : {}),
    ...(lo.onDelivered ? { onDelivered: lo.onDelivered } : {}),
  });
}

export async function backgroundLoops(ctx: SdkContext, id: ConnectorId, opts: { inbox: boolean; delivery: boolean } & LoopOptions): Promise<BackgroundLoops> {
  const out: BackgroundLoops = { loops: [], warnings: [] };
  // this context serves a host from now on: events handled on it (the management API) go to these loops, never to
  // a second set the SDK would start (none at all with --role ingest: only the inbox commit)
  const host: HostedLoops = {};
  ctx.hosted = host;
  if (!opts.inbox && !opts.delivery) return out;
  let conn: Connection;
  try {
    conn = await loadConnection(ctx, id);
  } catch (err) {
    if (!(err instanceof TajoError && err.code === 'TAJO_CONNECTOR_NOT_INSTALLED')) throw err;
    out.warnings.push(`${id} is not installed: webhooks are stored but not processed until \`tajo connectors install\``);
    return out;
  }
  if (opts.inbox) {
    const inbox = await inboxProcessorFor(ctx, conn, opts);
    out.inbox = inbox;
    out.loops.push(inbox);
    out.onIngested = () => inbox.wake();
    host.inbox = inbox;
  }
  if (opts.delivery) {
    if (!conn.brevo.apiKey) out.warnings.push(`no Brevo API key: the outbox is not delivered (${BREVO_KEY_FIX})`);
    else {
      // A configured list Brevo does not have would dead-letter every contact the worker sends: the start fails with
      // TAJO_BREVO_LIST_MISSING (exit 78). Brevo not answering now is no reason to refuse webhooks: the worker retries.
      await assertListsExist(ctx, conn).catch((err: unknown) => {
        if (err instanceof TajoError && err.code === 'TAJO_BREVO_LIST_MISSING') throw err;
        out.warnings.push(`the configured Brevo lists could not be checked (${err instanceof Error ? err.message : String(err)}): delivery starts anyway`);
      });
      const delivery = await createDeliveryWorker(ctx, conn, 'serve', opts);
      out.delivery = delivery;
      out.loops.push(delivery);
      const b = delivery.budgets;
      out.budgets = () => [b.contacts.snapshot(), b.events.snapshot(), b.other.snapshot()];
    }
  }
  return out;
}

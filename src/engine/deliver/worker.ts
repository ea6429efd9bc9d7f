/**
 * The outbox delivery worker: claims rows (priority 0 first), delivers contacts before their events, and gives
 * every claimed row one outcome (delivered, retried with backoff, dead-lettered with a typed reason).
 *
 * Idempotency: events carry `event_properties.tajo_id` and the ledger (`store.delivered`, written by
 * `completeOutbox` in the same transaction) keeps a delivered key from being sent again. A crash between Brevo
 * accepting a call and `completeOutbox` re-sends at most the rows in flight (their lease expires, another claim
 * picks them up); Brevo has no idempotency key, so consumers recognise such re-sends by tajo_id. Contact writes
 * are upserts by ext_id, harmless to repeat.
 * A 401 from Brevo pauses the connector (`setConnectorStatus('paused')`) and stops the worker; nothing is
 * dead-lettered for it.
 */
import type { ErrorCode } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { BrevoClient } from '../../sinks/brevo/client.js';
import type { Store } from '../../store/store.js';
import type { OutboxItem } from '../../store/types.js';
import type { BrevoBudgets } from '../budget.js';
import { sleep } from '../http.js';
import { deliverContacts, deliverListChanges } from './contacts.js';
import { AttributeTypes } from './attributeTypes.js';
import { deliverEvents } from './events.js';
import { BrevoAuthPause, DeliveryContext, settleAll, type DeliveryStats } from './outcome.js';

export interface DeliveryWorkerDeps {
  store: Store;
  brevo: BrevoClient;
  /** Defaults to the client's budgets. */
  budgets?: BrevoBudgets;
  logger?: Logger;
  workerId: string;
  /** Epoch ms for leases and retry times (tests shift it to expire leases). */
  clock?: () => number;
  connectorId?: string;
  /** Lease on claimed rows; must outlast an import wait. Default 120 s. */
  leaseMs?: number;
  /** Rows claimed per kind per round (contacts: at least an import's worth). Default 500. */
  batchSize?: number;
  /** Events claimed at a time. Default 2,000 (enough to feed the single calls and fill batches). */
  eventClaimLimit?: number;
  /** Claims before `retries_exhausted`. Default 8. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryCapMs?: number;
  timeScale?: number;
  random?: () => number;
  /** Contacts from which an import is used (see planContacts). Default 50. */
  importThreshold?: number;
  maxPerImport?: number;
  notifyUrl?: string;
  waitForProcess?: (processId: number, signal?: AbortSignal) => Promise<void>;
  /** Parallel single calls (the budgets pace them; enough to keep 10 rps going when the process is busy). Default 8. */
  concurrency?: number;
  /** Sleep between empty rounds in `start()` / `drain()`. Default 250 ms. */
  idleMs?: number;
  /**
   * In the background (`start()`, while a sync fills the outbox), contacts are delivered when events run short (the
   * events waiting for new contacts are then next) or after this long (real ms). Default 600 emulated seconds: fewer,
   * larger imports, each costing a `GET /processes` poll on the 100-per-hour bucket that events batches also need.
   */
  contactIntervalMs?: number;
  /**
   * In the background, a short events claim (events waiting for their contacts) brings the contacts lane forward —
   * after a bulk round (≥ 20 contacts: a sync's backfill) not sooner than this (real ms), since each import round costs
   * a catch-all token. Default 30 emulated seconds. Small (live) rounds are not held back.
   */
  contactMinGapMs?: number;
  /**
   * Catch-all tokens (100 per hour, shared by `/events/batch` and `GET /processes`) the events lane leaves for import
   * polls while running in the background (a sync is still filling the outbox, or `tajo serve`). Default 8; a drain
   * keeps 2. Without a reserve the batches spend the hour's tokens in the first minutes and every later contact
   * would have to go one by one.
   */
  importReserve?: number;
  /**
   * This worker runs beside a sync's backfill (`startDelivery`): its first contacts round waits `contactMinGapMs` from
   * the moment contacts first wait in the outbox, like every bulk round after it, so the first pages' few contacts and
   * the next ones share one import round (each round costs a `GET /processes` poll, i.e. an events batch of 200).
   * Live workers (`tajo serve`) send their first contacts at once.
   */
  backfill?: boolean;
  /** Called with the rows Brevo just accepted (e.g. `tajo serve` observes the delivery latency histogram). */
  onDelivered?: (items: { key: string; kind: OutboxItem['kind']; createdAt: string }[]) => void;
}

export interface DrainResult extends DeliveryStats {
  rounds: number;
  paused: boolean;
  /** True when `maxMs` elapsed before the outbox emptied. */
  timedOut: boolean;
}

const zero = (): DeliveryStats => ({ delivered: 0, retried: 0, dead: 0 });
const NO_HOLD: ReadonlySet<string> = new Set();
/** A contacts round this large was a bulk one (a sync's): the next waits `contactMinGapMs`. */
const BULK_ROUND = 20;
/** Default parallel single calls. */
export const SINGLE_CONCURRENCY = 8;

export class DeliveryWorker {
  private readonly d: DeliveryWorkerDeps;
  private readonly logger: Logger;
  private readonly now: () => number;
  private pausedReason: string | undefined;
  /** The account's attribute types and the attributes reported, kept across rounds. */
  private readonly attributeTypes = new AttributeTypes();
  /** The last events claim came back short: few events are ready (the rest may wait for new contacts). */
  private eventsShort = true;
  private lastContactsMs = Number.NEGATIVE_INFINITY;
  /** Contact rows the last contacts round claimed (a drain keeps catch-all tokens for imports only while some came). */
  private lastContactRows = Number.POSITIVE_INFINITY;
  /** A backfill worker has seen contacts waiting in the outbox (its first round's hold has started). */
  private contactsSeen = false;
  private loop: { ctrl: AbortController; done: Promise<void> } | undefined;
  private stopping = false;

  constructor(deps: DeliveryWorkerDeps) {
    this.d = deps;
    this.logger = deps.logger ?? silentLogger();
    this.now = deps.clock ?? Date.now;
    // A backfill's first round counts as following a bulk one, from the moment contacts first wait (see runOnce).
    if (deps.backfill) {
      this.lastContactsMs = Number.POSITIVE_INFINITY;
      this.lastContactRows = BULK_ROUND;
    }
  }

  get paused(): string | undefined {
    return this.pausedReason;
  }

  /** The Brevo rate budgets this worker spends (for the server's budget gauges). */
  get budgets(): BrevoBudgets {
    return this.d.budgets ?? this.d.brevo.budgets;
  }

  /**
   * One round: contacts with list changes, and events at the same time (different budgets). The store hands out an
   * event only once its customer's new contact has been delivered, so the order holds without waiting for all contacts;
   * the events lane keeps claiming while the contacts lane runs. `background` (the `start()` loop, while a sync is
   * still filling the outbox) delivers contacts only when due (see `contactIntervalMs`) and spends an events-batch
   * token only where it saves a batch's worth of single calls (single calls unused now are lost, tokens keep).
   */
  async runOnce(opts: { signal?: AbortSignal; background?: boolean } = {}): Promise<DeliveryStats> {
    if (this.pausedReason) return zero();
    const d = this.d;
    const leaseMs = d.leaseMs ?? 120_000;
    const limit = d.batchSize ?? 500;
    const ctx = new DeliveryContext(
      d.store,
      d.brevo,
      this.logger,
      this.now,
      {
        maxAttempts: d.maxAttempts ?? 8,
        retryBaseMs: d.retryBaseMs ?? 2_000,
        retryCapMs: d.retryCapMs ?? 10 * 60_000,
        timeScale: d.timeScale ?? 1,
        random: d.random ?? Math.random,
      },
      opts.signal,
      () => this.stopping,
    );
    ctx.connectorId = d.connectorId ?? 'twilio-flex';
    ctx.attributes = this.attributeTypes;
    ctx.onProblem = (code, message) => this.recordProblem(code, message);
    const observe = d.onDelivered;
    if (observe) ctx.onDelivered = (rows) => observe(rows.map((r) => ({ key: r.key, kind: r.kind, createdAt: r.createdAt })));
    const claimed: OutboxItem[] = [];
    const claim = async (kinds: OutboxItem['kind'][], max = limit) => {
      const rows = await d.store.claimOutbox({ workerId: d.workerId, kinds, limit: max, leaseMs, nowMs: this.now() });
      // A row released or retried earlier in this round can come back (the events lane claims again): a new outcome.
      ctx.reclaimed(rows);
      claimed.push(...rows);
      return rows;
    };
    // A round can outlive its lease (a replica's share of a shared budget is small): keep the rows it still holds,
    // so no other replica reclaims and re-sends them while this one is alive. A crash stops the renewals.
    const renewal = setInterval(() => {
      d.store.renewOutboxClaims(d.workerId, claimed.map((r) => r.id), this.now() + leaseMs).catch(() => undefined);
    }, Math.max(250, Math.floor(leaseMs / 3)));
    renewal.unref();
    const ts = d.timeScale ?? 1;
    if (d.backfill && opts.background && !this.contactsSeen && (await d.store.outboxStats()).byKind.contact > 0) {
      this.contactsSeen = true;
      this.lastContactsMs = this.now();
    }
    const sinceContacts = this.now() - this.lastContactsMs;
    // The gap applies only after a bulk round (an import's worth of backfill): live traffic (a few contacts a round) is
    // delivered at once, its events waiting for it.
    const bulkLast = Number.isFinite(this.lastContactRows) && this.lastContactRows >= BULK_ROUND;
    const contactsDue =
      !opts.background ||
      sinceContacts >= (d.contactIntervalMs ?? 600_000 / ts) ||
      (this.eventsShort && (!bulkLast || sinceContacts >= (d.contactMinGapMs ?? 30_000 / ts)));
    try {
      let contactsDone = !contactsDue;
      const lanes: Promise<unknown>[] = [];
      if (contactsDue) {
        const contactLane = async () => {
          // All pending contacts at once (up to one import's worth): a round's contacts share one import per list set.
          const contacts = await claim(['contact'], Math.max(limit, d.maxPerImport ?? 5_000));
          this.lastContactRows = contacts.length;
          // Only a round that had contacts counts for the interval: the first contacts of a sync go out at once.
          if (contacts.length > 0) this.lastContactsMs = this.now();
          await deliverContacts(ctx, contacts, {
            importThreshold: d.importThreshold ?? 50,
            maxPerImport: d.maxPerImport ?? 5_000,
            concurrency: d.concurrency ?? SINGLE_CONCURRENCY,
            importWaitMs: Math.floor(leaseMs * 0.6),
            ...(d.notifyUrl ? { notifyUrl: d.notifyUrl } : {}),
            ...(d.waitForProcess ? { waitForProcess: d.waitForProcess } : {}),
          });
          if (!ctx.stopped) await deliverListChanges(ctx, await claim(['list_add', 'list_remove']));
          // Commit the one-by-one upserts now (they wait for a group commit): their events become claimable this round.
          await ctx.flush();
        };
        lanes.push(contactLane().finally(() => (contactsDone = true)));
      }
      const single = ctx.brevo.budgets.events.capacity().sustainedPerSecond;
      const eventLane = async () => {
        for (;;) {
          if (ctx.stopped) return;
          // The claim after the contacts lane finished is the last of the round: it sees the events that lane's
          // imports just released, so `eventsShort` does not call for another contacts round while they are ready.
          const last = contactsDone;
          const eventLimit = d.eventClaimLimit ?? 2_000;
          const events = await claim(['event'], eventLimit);
          // Nearly out of ready events: the contacts lane runs next round (the rest wait for new contacts).
          this.eventsShort = events.length < Math.max(1, Math.floor(eventLimit / 5));
          if (events.length) {
            // Contacts not in Brevo yet hold their events in the store (claimOutbox): nothing to hold here.
            await deliverEvents(ctx, events, NO_HOLD, {
              concurrency: d.concurrency ?? SINGLE_CONCURRENCY,
              // A drain whose last contacts round found nothing to import spends every token on events.
              batchReserve: opts.background ? (d.importReserve ?? 8) : this.lastContactRows > 0 ? 2 : 0,
              // "Worth a scarce token": in the background a batch's worth of single calls (200 at 10 rps = 20 emulated
              // seconds), else one emulated second (draining what is queued as fast as possible).
              minBatchSavingMs: opts.background && single > 0 ? (200 / single) * 1000 : 1_000 / ts,
              // Backfill with more to come (a sync still running, or a full claim: the backlog goes on): the single calls
              // always keep a minute (emulated) of work and batches take only the rest. A short claim in a drain is
              // the whole backlog: planEvents finishes it soonest (batches first).
              ...(opts.background || events.length >= eventLimit ? { backfillSinglesHorizonMs: 60_000 / ts } : {}),
            });
          }
          if (last) return;
          if (!events.length && !contactsDone) await sleep(d.idleMs ?? 250, ctx.signal).catch(() => undefined);
        }
      };
      lanes.push(eventLane());
      await settleAll(lanes);
    } catch (err) {
      if (!(err instanceof BrevoAuthPause)) {
        await ctx.releaseRest(claimed, 'delivery round failed');
        throw err;
      }
      await this.pause(err.reason);
    } finally {
      clearInterval(renewal);
      await ctx.flush();
      await ctx.releaseRest(claimed, ctx.pause ? 'paused: Brevo rejected the API key' : 'shutdown');
    }
    if (ctx.stats.delivered + ctx.stats.retried + ctx.stats.dead > 0) this.logger.info({ ...ctx.stats }, 'delivery round');
    return ctx.stats;
  }

  /** Run rounds until the outbox has nothing pending or in flight (or paused / aborted / `maxMs`). */
  async drain(opts: { until?: 'empty'; signal?: AbortSignal; maxMs?: number } = {}): Promise<DrainResult> {
    const total: DrainResult = { ...zero(), rounds: 0, paused: false, timedOut: false };
    const started = Date.now();
    for (;;) {
      if (opts.signal?.aborted) break;
      const r = await this.runOnce(opts.signal ? { signal: opts.signal } : {});
      total.rounds++;
      total.delivered += r.delivered;
      total.retried += r.retried;
      total.dead += r.dead;
      if (this.pausedReason) {
        total.paused = true;
        break;
      }
      const s = await this.d.store.outboxStats();
      if (s.pending + s.inflight === 0) break;
      if (opts.maxMs !== undefined && Date.now() - started > opts.maxMs) {
        total.timedOut = true;
        break;
      }
      if (r.delivered + r.retried + r.dead === 0) await sleep(this.d.idleMs ?? 250, opts.signal).catch(() => undefined);
    }
    return total;
  }

  /** Deliver in the background until `stop()` (or a pause). */
  start(): void {
    if (this.loop) return;
    const ctrl = new AbortController();
    const done = (async () => {
      while (!ctrl.signal.aborted && !this.pausedReason && !this.stopping) {
        try {
          const r = await this.runOnce({ signal: ctrl.signal, background: true });
          if (r.delivered + r.retried + r.dead === 0) await sleep(this.d.idleMs ?? 250, ctrl.signal);
        } catch (err) {
          if (ctrl.signal.aborted) break;
          this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'delivery round failed');
          await sleep(1_000, ctrl.signal).catch(() => undefined);
        }
      }
    })().catch(() => undefined);
    this.loop = { ctrl, done };
  }

  /**
   * Stop the background loop: no new call starts and the calls in flight finish (aborting one Brevo may already have
   * accepted would re-send it later); after `graceMs` (default 5 s) whatever still waits — budgets, import polls — is
   * aborted and its rows go back to the queue.
   */
  async stop(graceMs = 5_000): Promise<void> {
    const l = this.loop;
    if (!l) return;
    this.loop = undefined;
    this.stopping = true;
    const hard = setTimeout(() => l.ctrl.abort(new Error('delivery worker stopped')), graceMs);
    try {
      await l.done;
    } finally {
      clearTimeout(hard);
      this.stopping = false;
    }
  }

  /** Clear a pause (after the key was fixed); the connector status is the caller's to set. */
  resume(): void {
    this.pausedReason = undefined;
  }

  /** A data-losing problem as the connector's last error (`tajo connectors status`); its state is left as it is. */
  private async recordProblem(code: ErrorCode, message: string): Promise<void> {
    const id = this.d.connectorId ?? 'twilio-flex';
    try {
      const rec = await this.d.store.getConnector(id);
      if (rec) await this.d.store.setConnectorStatus(id, rec.status, rec.statusReason, { code, message, at: new Date(this.now()).toISOString() });
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not record the problem in the connector status');
    }
  }

  private async pause(reason: string): Promise<void> {
    this.pausedReason = reason;
    const id = this.d.connectorId ?? 'twilio-flex';
    this.logger.error({ connector: id }, 'Brevo rejected the API key: connector paused');
    try {
      await this.d.store.setConnectorStatus(id, 'paused', 'Brevo rejected the API key (401)', {
        code: 'TAJO_BREVO_AUTH',
        message: 'Brevo rejected the API key (401)',
        at: new Date(this.now()).toISOString(),
      });
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not record the paused status');
    }
  }
}

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
import { silentLogger, type Logger } from '../../core/logger.js';
import type { BrevoClient } from '../../sinks/brevo/client.js';
import type { Store } from '../../store/store.js';
import type { OutboxItem } from '../../store/types.js';
import type { BrevoBudgets } from '../budget.js';
import { sleep } from '../http.js';
import { deliverContacts, deliverListChanges } from './contacts.js';
import { deliverEvents } from './events.js';
import { BrevoAuthPause, DeliveryContext, type DeliveryStats } from './outcome.js';

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
  /** Rows claimed per kind per round. Default 500. */
  batchSize?: number;
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
  /** Parallel single calls. Default 4. */
  concurrency?: number;
  /** Sleep between empty rounds in `start()` / `drain()`. Default 250 ms. */
  idleMs?: number;
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

export class DeliveryWorker {
  private readonly d: DeliveryWorkerDeps;
  private readonly logger: Logger;
  private readonly now: () => number;
  private pausedReason: string | undefined;
  /** ext_ids whose contact write was retried by this worker: their events wait until it lands. */
  private readonly heldContacts = new Set<string>();
  private loop: { ctrl: AbortController; done: Promise<void> } | undefined;

  constructor(deps: DeliveryWorkerDeps) {
    this.d = deps;
    this.logger = deps.logger ?? silentLogger();
    this.now = deps.clock ?? Date.now;
  }

  get paused(): string | undefined {
    return this.pausedReason;
  }

  /** The Brevo rate budgets this worker spends (for the server's budget gauges). */
  get budgets(): BrevoBudgets {
    return this.d.budgets ?? this.d.brevo.budgets;
  }

  /** One round: contacts, list changes, then events. Returns what happened to the rows claimed. */
  async runOnce(opts: { signal?: AbortSignal } = {}): Promise<DeliveryStats> {
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
    );
    const observe = d.onDelivered;
    if (observe) ctx.onDelivered = (rows) => observe(rows.map((r) => ({ key: r.key, kind: r.kind, createdAt: r.createdAt })));
    const claimed: OutboxItem[] = [];
    const claim = async (kinds: OutboxItem['kind'][]) => {
      const rows = await d.store.claimOutbox({ workerId: d.workerId, kinds, limit, leaseMs, nowMs: this.now() });
      claimed.push(...rows);
      return rows;
    };
    // A round can outlive its lease (a replica's share of a shared budget is small): keep the rows it still holds,
    // so no other replica reclaims and re-sends them while this one is alive. A crash stops the renewals.
    const renewal = setInterval(() => {
      d.store.renewOutboxClaims(d.workerId, claimed.map((r) => r.id), this.now() + leaseMs).catch(() => undefined);
    }, Math.max(250, Math.floor(leaseMs / 3)));
    renewal.unref();
    try {
      const contacts = await claim(['contact']);
      const notInBrevo = await deliverContacts(ctx, contacts, {
        importThreshold: d.importThreshold ?? 50,
        maxPerImport: d.maxPerImport ?? 5_000,
        concurrency: d.concurrency ?? 4,
        importWaitMs: Math.floor(leaseMs * 0.6),
        ...(d.notifyUrl ? { notifyUrl: d.notifyUrl } : {}),
        ...(d.waitForProcess ? { waitForProcess: d.waitForProcess } : {}),
      });
      for (const r of contacts) {
        const ext = (r.payload as { ext_id?: unknown } | null)?.ext_id;
        if (typeof ext !== 'string') continue;
        if (notInBrevo.has(ext)) this.heldContacts.add(ext);
        else this.heldContacts.delete(ext);
      }
      if (!ctx.stopped) await deliverListChanges(ctx, await claim(['list_add', 'list_remove']));
      // A full page of contacts means more are queued: their events wait for the next round.
      if (!ctx.stopped && contacts.length < limit) {
        await deliverEvents(ctx, await claim(['event']), this.heldContacts, {
          concurrency: d.concurrency ?? 4,
          batchReserve: 5,
          // "Worth a scarce token" is judged in emulated time: one emulated second.
          minBatchSavingMs: 1_000 / (d.timeScale ?? 1),
        });
      }
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
      while (!ctrl.signal.aborted && !this.pausedReason) {
        try {
          const r = await this.runOnce({ signal: ctrl.signal });
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

  async stop(): Promise<void> {
    const l = this.loop;
    if (!l) return;
    this.loop = undefined;
    l.ctrl.abort(new Error('delivery worker stopped'));
    await l.done;
  }

  /** Clear a pause (after the key was fixed); the connector status is the caller's to set. */
  resume(): void {
    this.pausedReason = undefined;
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

/**
 * What happens to a claimed outbox row after a Brevo call: delivered, retried later, dead-lettered, or — on a
 * 401 — released untouched while the worker pauses the connector. Every claimed row gets exactly one outcome.
 */
import { isTajoError, type ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { classifyRejection } from '../../sinks/brevo/classify.js';
import type { BrevoClient } from '../../sinks/brevo/client.js';
import type { Store } from '../../store/store.js';
import type { DeadLetterReason, OutboxItem } from '../../store/types.js';
import { VendorHttpError } from '../http.js';
import { backoffMs, parseSibReset } from '../retry.js';
import { AttributeTypes } from './attributeTypes.js';

export type Outcome = 'delivered' | 'retried' | 'dead' | 'released';

export interface DeliveryStats {
  delivered: number;
  retried: number;
  dead: number;
}

export interface DeliveryOptions {
  /** Outbox attempts (claims) before `retries_exhausted`. Default 8. */
  maxAttempts: number;
  /** Outbox-level backoff (ms) between attempts: base and cap. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Emulated-time factor (vendor reset seconds, import processing estimates). */
  timeScale: number;
  random: () => number;
}

/** Thrown through the delivery code when Brevo rejects the API key: stop, pause, release the rows. */
export class BrevoAuthPause extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'BrevoAuthPause';
  }
}

/**
 * Group commit of single-row completions: one `completeOutbox` transaction per this many rows or this many ms,
 * whichever comes first (a durable SQLite commit costs an fsync, milliseconds; one per single call would cap delivery
 * far below Brevo's 10 rps per bucket at emulator time scales). A crash before the flush re-sends those rows: the
 * in-flight set is the call in flight plus at most `GROUP_MAX` single rows awaiting their commit.
 */
export const GROUP_MAX = 50;
export const GROUP_MS = 100;

export class DeliveryContext {
  readonly stats: DeliveryStats = { delivered: 0, retried: 0, dead: 0 };
  private readonly resolved = new Map<number, Outcome>();
  private readonly unflushed: OutboxItem[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private flushError: { err: unknown } | undefined;
  /** `GET /processes` polls that running imports still expect: the events lane leaves these catch-all tokens alone. */
  reservedPolls = 0;
  /** Set on the first 401: no new calls start; the rows go back to the queue. */
  pause: BrevoAuthPause | undefined;
  /** Told about rows as soon as Brevo accepted them (before their commit): delivery latency metrics. */
  onDelivered: ((items: readonly OutboxItem[]) => void) | undefined;
  /** The account's attribute types, kept by the worker across rounds (./attributeTypes.ts). */
  attributes = new AttributeTypes();
  /** The connector whose outbox is drained (store reads about its customers). */
  connectorId = 'twilio-flex';
  /** Records a problem that loses data without failing a row (the connector's `lastError`, shown by `status`). */
  onProblem: ((code: ErrorCode, message: string) => Promise<void>) | undefined;

  constructor(
    readonly store: Store,
    readonly brevo: BrevoClient,
    readonly logger: Logger,
    readonly now: () => number,
    readonly opts: DeliveryOptions,
    readonly signal?: AbortSignal,
    /** A graceful stop: no new call starts, the ones in flight finish (an aborted call may have reached Brevo). */
    private readonly stopping: () => boolean = () => false,
  ) {}

  get stopped(): boolean {
    return this.pause !== undefined || this.signal?.aborted === true || this.stopping();
  }

  /** Rows claimed again (released or retried earlier in this round, due again): they need a new outcome. */
  reclaimed(items: readonly OutboxItem[]): void {
    for (const i of items) if (this.resolved.get(i.id) !== 'delivered') this.resolved.delete(i.id);
  }

  /** The outcome a row got in this run, if any. */
  outcome(id: number): Outcome | undefined {
    return this.resolved.get(id);
  }

  private claim(items: readonly OutboxItem[], outcome: Outcome): OutboxItem[] {
    const out = items.filter((i) => !this.resolved.has(i.id));
    for (const i of out) this.resolved.set(i.id, outcome);
    return out;
  }

  /**
   * Delivered. A multi-row call (batch, import) is committed at once, with any single rows waiting; a single row joins
   * the next group commit (`flush`, which the worker awaits before a round ends).
   */
  async complete(items: readonly OutboxItem[]): Promise<void> {
    if (this.flushError) throw this.flushError.err;
    const fresh = this.claim(items, 'delivered');
    if (!fresh.length) return;
    this.stats.delivered += fresh.length;
    try {
      this.onDelivered?.(fresh);
    } catch {
      // an observer's failure never affects delivery
    }
    this.unflushed.push(...fresh);
    if (items.length > 1 || this.unflushed.length >= GROUP_MAX) return this.flush();
    this.flushTimer ??= setTimeout(() => {
      this.flush().catch(() => undefined);
    }, GROUP_MS);
  }

  /** Commits the delivered rows not committed yet (one transaction). Rethrows a failed background commit. */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.unflushed.splice(0).map((i) => i.id);
    const at = this.now();
    this.flushing = this.flushing.then(async () => {
      if (this.flushError) throw this.flushError.err;
      if (!ids.length) return;
      try {
        await this.store.completeOutbox(ids, at);
      } catch (err) {
        this.flushError ??= { err };
        throw err;
      }
    });
    return this.flushing;
  }

  async dead(item: OutboxItem, reason: DeadLetterReason, error: string): Promise<void> {
    if (!this.claim([item], 'dead').length) return;
    await this.store.deadLetterOutbox(item.id, { source: 'brevo', reason, recordKey: item.key, payload: item.payload, error: error.slice(0, 500) });
    this.stats.dead++;
    this.logger.warn({ key: redactKey(item.key), reason }, 'outbox row dead-lettered');
  }

  /** Try again later; after `maxAttempts` claims, dead-letter `retries_exhausted`. */
  async retry(item: OutboxItem, error: string, minDelayMs = 0): Promise<void> {
    if (item.attempts >= this.opts.maxAttempts) return this.dead(item, 'retries_exhausted', error);
    if (!this.claim([item], 'retried').length) return;
    const wait = Math.max(minDelayMs, backoffMs(item.attempts, this.opts.random, this.opts.retryBaseMs, this.opts.retryCapMs));
    await this.store.retryOutbox(item.id, this.now() + wait, error.slice(0, 500));
    this.stats.retried++;
  }

  /** Back to the queue without counting as a failure (pause, shutdown, waiting for a contact). */
  async release(items: readonly OutboxItem[], why: string, delayMs = 0): Promise<void> {
    for (const item of this.claim(items, 'released')) await this.store.retryOutbox(item.id, this.now() + delayMs, why);
  }

  /**
   * Map a failed call to the rows' outcome. 401/403 → pause (thrown); 4xx → dead letter with the Brevo reason;
   * 429 beyond the call's own retries → retry after the announced reset; 5xx/timeouts → retry with backoff.
   */
  async fail(items: readonly OutboxItem[], err: unknown): Promise<void> {
    if (err instanceof BrevoAuthPause) throw err;
    if (isTajoError(err, 'TAJO_BREVO_AUTH')) {
      this.pause ??= new BrevoAuthPause(err.message);
      throw this.pause;
    }
    if (this.signal?.aborted) return this.release(items, 'shutdown');
    if (err instanceof VendorHttpError && err.code === 'TAJO_BREVO_REJECTED') {
      const reason = classifyRejection(err.httpStatus, err.responseBody);
      for (const item of items) await this.dead(item, reason, err.message);
      return;
    }
    if (err instanceof VendorHttpError && err.code === 'TAJO_BREVO_RATE_LIMITED') {
      const reset = parseSibReset(err.headersSeen['x-sib-ratelimit-reset']);
      const wait = reset !== undefined ? Math.ceil(reset / this.opts.timeScale) : 0;
      for (const item of items) await this.retry(item, err.message, wait);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof VendorHttpError)) this.logger.error({ err: message }, 'unexpected delivery error');
    for (const item of items) await this.retry(item, message);
  }

  /** Rows not resolved yet (after an abort or a pause) go back to the queue. */
  async releaseRest(items: readonly OutboxItem[], why: string): Promise<void> {
    await this.release(items.filter((i) => !this.resolved.has(i.id)), why);
  }
}

/** Outbox keys hold identities (`contact:+1415…`): mask them for logs. */
export function redactKey(key: string): string {
  const i = key.indexOf(':');
  const head = i >= 0 ? key.slice(0, i + 1) : '';
  const rest = i >= 0 ? key.slice(i + 1) : key;
  if (head === 'contact:') return `${head}${rest.slice(0, 3)}•••`;
  return key;
}

/**
 * Run `fn` over `xs` with at most `n` in flight; stops starting new work once `stop()` is true or a call threw.
 * Waits for everything in flight before rethrowing the first error, so no call outlives its rows' outcome.
 */
export async function pool<T>(xs: readonly T[], n: number, stop: () => boolean, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const workers = Array.from({ length: Math.max(1, Math.min(n, xs.length)) }, async () => {
    while (next < xs.length && !stop() && !failed) {
      const x = xs[next++] as T;
      try {
        await fn(x);
      } catch (err) {
        failed ??= { err };
      }
    }
  });
  await Promise.all(workers);
  if (failed) throw failed.err;
}

/** Like Promise.all, but waits for every promise to settle before rethrowing the first failure. */
export async function settleAll(ps: readonly Promise<unknown>[]): Promise<void> {
  const rs = await Promise.allSettled(ps);
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}

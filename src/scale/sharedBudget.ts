/**
 * A rate budget shared by every replica: the token bucket lives in the store (`rate_budgets`, one row per budget,
 * spent under a row lock), so the SUM of all replicas' calls stays within the vendor's limit. It is a `RateBudget`
 * (same `acquire / observe / pauseFor / capacity / snapshot`), so the engine's HTTP layer, planners and delivery
 * worker use it unchanged.
 *
 * Local batching: waiters queue here by priority (live before backfill); one store round trip asks for as many
 * tokens as there are waiters (up to `maxBatch`), including tokens that refill within `horizonMs` (reserved ahead),
 * and releases each waiter when its token is due. Tokens are never prefetched for callers that are not waiting, so
 * a granted token is spent within milliseconds of its due time: the vendor sees at most the bucket's burst plus
 * what refilled while requests were in transit (see `sharedBurst`).
 *
 * Fail closed: when the store cannot be reached, waiters wait (and retry) rather than call the vendor unmetered.
 */
import type { Logger } from '../core/logger.js';
import { RateBudget, type BudgetCapacity, type BudgetSnapshot } from '../engine/budget.js';
import { grant, rejectAll, waitInQueue, type Waiter } from '../engine/waiters.js';
import { readyInMs, type BudgetGrant, type BudgetSpend } from '../store/scale.js';
import type { Store } from '../store/store.js';

export interface SharedBudgetOptions {
  store: Pick<Store, 'spendBudget'>;
  /** Real-time refill rate (already multiplied by the time scale). */
  ratePerSecond: number;
  /** Capacity of the shared bucket (see `sharedBurst`). */
  burst: number;
  /**
   * The vendor's own burst (default `burst`). `capacity()` reports against it: the shared bucket's smaller burst is
   * a margin for requests in transit, not less capacity, so planners (batch vs single, import vs upsert) see what
   * the vendor can take within a second, and the calls are then paced by the shared bucket.
   */
  vendorBurst?: number;
  /** Request transit time the shared burst leaves room for (see `sharedBurst`), also when a higher limit is observed. */
  transitMs?: number;
  /** Fixed hourly window (Brevo's catch-all) in vendor terms; its length is 1 h / timeScale unless `windowMs`. */
  perHour?: number;
  windowMs?: number;
  timeScale?: number;
  /** Tokens asked for per round trip at most (default 32). */
  maxBatch?: number;
  /**
   * Reserve tokens that refill within this many ms (default 100): one round trip serves a burst of waiters, each
   * released locally when its token has refilled, so calls stay paced at the shared rate (see `BudgetSpend`).
   */
  horizonMs?: number;
  /** Longest sleep before asking the store again while waiting (default 200 ms; others' pauses are noticed then). */
  maxPollMs?: number;
  now?: () => number;
  logger?: Logger;
}

const HOUR_MS = 3_600_000;

/**
 * The shared bucket's capacity: the vendor's burst minus what refills while a granted request is in transit
 * (`transitMs`, default 250 ms). Calls arriving at the vendor within any interval then never exceed its bucket,
 * even when requests granted at different moments arrive together. At least 1.
 */
export function sharedBurst(vendorBurst: number, realRatePerSecond: number, transitMs = 250): number {
  return Math.max(1, Math.floor(vendorBurst - (realRatePerSecond * transitMs) / 1000));
}

export class SharedRateBudget extends RateBudget {
  private readonly o: SharedBudgetOptions;
  private readonly clock: () => number;
  private sharedRate: number;
  private sharedBurstSize: number;
  private vendorBurstSize: number;
  private perHourLimit: number | undefined;
  private readonly window: number;
  private readonly waiters: Waiter[] = [];
  private pumping = false;
  private closed = false;
  private wake: (() => void) | undefined;
  private localPausedUntil = 0;
  private last: { grant: BudgetGrant; at: number } | undefined;
  private refreshing = false;
  private usedCount = 0;
  private waited = 0;
  private throttledCount = 0;
  private pauseCount = 0;
  private lastErrorLog = 0;

  constructor(name: string, opts: SharedBudgetOptions) {
    super(name, { ratePerSecond: opts.ratePerSecond, burst: opts.burst, ...(opts.perHour !== undefined ? { perHour: opts.perHour } : {}), timeScale: opts.timeScale ?? 1 });
    this.o = opts;
    this.clock = opts.now ?? Date.now;
    this.sharedRate = opts.ratePerSecond;
    this.sharedBurstSize = Math.max(1, opts.burst);
    this.vendorBurstSize = Math.max(this.sharedBurstSize, opts.vendorBurst ?? this.sharedBurstSize);
    this.perHourLimit = opts.perHour;
    this.window = opts.windowMs ?? HOUR_MS / (opts.timeScale ?? 1);
  }

  override acquire(opts: { priority?: 0 | 1; signal?: AbortSignal } = {}): Promise<number> {
    if (this.closed) return Promise.reject(new Error(`budget ${this.name} closed`));
    return waitInQueue(this.waiters, opts, this.clock(), () => void this.serve());
  }

  /** Never synchronous: a shared token needs a store round trip. */
  override tryAcquire(): boolean {
    return false;
  }

  override observe(h: { limit?: number; remaining?: number; resetSeconds?: number }): void {
    const scale = this.timeScale;
    const resetMs = h.resetSeconds !== undefined && Number.isFinite(h.resetSeconds) ? (h.resetSeconds * 1000) / scale : undefined;
    const hourly = h.resetSeconds !== undefined && h.resetSeconds > 5;
    const observed: NonNullable<BudgetSpend['observed']> = {};
    if (hourly && h.limit !== undefined && h.limit > 0) {
      this.perHourLimit = h.limit;
      if (h.remaining !== undefined) observed.windowUsed = Math.max(0, h.limit - h.remaining);
      if (resetMs !== undefined) observed.windowEndsInMs = resetMs;
    } else if (!hourly) {
      // a per-second limit above ours (a higher Brevo tier): every replica paces at it from its next spend (RateBudget.observe)
      if (h.limit !== undefined && Number.isFinite(h.limit) && h.limit * scale > this.sharedRate) {
        this.sharedRate = h.limit * scale;
        this.vendorBurstSize = Math.max(this.vendorBurstSize, Math.round(h.limit));
        this.sharedBurstSize = Math.max(this.sharedBurstSize, sharedBurst(this.vendorBurstSize, this.sharedRate, this.o.transitMs));
      }
      if (h.remaining !== undefined) observed.tokensAtMost = Math.max(0, h.remaining);
    }
    const pauseMs = h.remaining === 0 && resetMs !== undefined ? Math.max(resetMs, 1) : undefined;
    if (pauseMs !== undefined) this.localPause(pauseMs);
    void this.tell({ observed, ...(pauseMs !== undefined ? { pauseMs } : {}) });
  }

  /** Stops this replica at once and every other replica at its next spend. */
  override pauseFor(ms: number): void {
    this.localPause(ms);
    void this.tell({ pauseMs: Math.max(0, ms) });
  }

  override capacity(): BudgetCapacity {
    this.refreshSoon();
    const est = this.estimate();
    const vendorBurst = this.vendorBurstSize;
    const tokens = Math.min(vendorBurst, est.tokens + (vendorBurst - this.sharedBurstSize));
    let available = est.paused ? 0 : Math.floor(tokens) - this.waiters.length;
    if (this.perHourLimit !== undefined) available = Math.min(available, this.perHourLimit - est.windowUsed);
    const hourly = this.perHourLimit !== undefined ? (this.perHourLimit * 1000) / this.window : Number.POSITIVE_INFINITY;
    return { availableNow: Math.max(0, available), sustainedPerSecond: Math.min(this.sharedRate, hourly), nextInMs: this.delayMs() };
  }

  override delayMs(): number {
    const est = this.estimate();
    let wait = est.pausedMs;
    if (est.tokens < 1) wait = Math.max(wait, Math.ceil(((1 - est.tokens) / this.sharedRate) * 1000));
    if (this.perHourLimit !== undefined && est.windowUsed >= this.perHourLimit) wait = Math.max(wait, est.windowEndsInMs, 1);
    return wait;
  }

  override snapshot(): BudgetSnapshot {
    const paused = Math.max(this.localPausedUntil, this.remotePausedUntil());
    return {
      name: this.name,
      ratePerSecond: this.sharedRate,
      ...(this.perHourLimit !== undefined ? { perHour: this.perHourLimit } : {}),
      used: this.usedCount,
      waitedMs: this.waited,
      throttled: this.throttledCount,
      pauses: this.pauseCount,
      ...(paused > this.clock() ? { pausedUntil: paused } : {}),
    };
  }

  override close(reason: unknown = new Error(`budget ${this.name} closed`)): void {
    this.closed = true;
    this.wake?.();
    rejectAll(this.waiters, reason);
    super.close(reason);
  }

  // --- internals ---------------------------------------------------------------------------------------------

  private spec(want: number): BudgetSpend {
    return {
      name: this.name,
      ratePerSecond: this.sharedRate,
      burst: this.sharedBurstSize,
      want,
      ...(want > 0 ? { horizonMs: this.o.horizonMs ?? 100 } : {}),
      ...(this.perHourLimit !== undefined ? { perWindow: this.perHourLimit, windowMs: this.window } : {}),
    };
  }

  private async serve(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0 && !this.closed) {
        const localWait = this.localPausedUntil - this.clock();
        if (localWait > 0) {
          await this.sleep(Math.min(localWait, this.o.maxPollMs ?? 200));
          continue;
        }
        const want = Math.min(this.waiters.length, this.o.maxBatch ?? 32);
        let grant: BudgetGrant;
        try {
          grant = await this.o.store.spendBudget(this.spec(want));
        } catch (err) {
          this.logError(err);
          await this.sleep(500);
          continue;
        }
        this.remember(grant);
        for (let k = 1; k <= grant.granted && this.waiters.length > 0; k++) this.release(this.waiters.shift()!, readyInMs(grant, k, this.sharedRate));
        if (grant.granted < want && this.waiters.length > 0) await this.sleep(Math.min(Math.max(grant.waitMs, 2), this.o.maxPollMs ?? 200));
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Hands a granted token to a waiter when it is due (a token reserved ahead waits for its refill). */
  private release(w: Waiter, inMs: number): void {
    const go = () => {
      if (w.signal?.aborted) return; // its abort handler already rejected it; the token is simply not used
      const waited = grant(w, this.clock());
      this.usedCount++;
      this.waited += waited;
      if (waited > 0) this.throttledCount++;
    };
    if (inMs <= 0) go();
    else setTimeout(go, inMs);
  }

  private async tell(extra: Pick<BudgetSpend, 'pauseMs' | 'observed'>): Promise<void> {
    try {
      this.remember(await this.o.store.spendBudget({ ...this.spec(0), ...extra }));
    } catch (err) {
      this.logError(err);
    }
  }

  private refreshSoon(): void {
    if (this.refreshing || this.closed) return;
    if (this.last && this.clock() - this.last.at < 1_000) return;
    this.refreshing = true;
    void this.tell({}).finally(() => {
      this.refreshing = false;
    });
  }

  private remember(grant: BudgetGrant): void {
    this.last = { grant, at: this.clock() };
  }

  /** The store's pause, in this process's clock. */
  private remotePausedUntil(): number {
    const l = this.last;
    return l ? l.grant.pausedUntilMs - l.grant.nowMs + l.at : 0;
  }

  /** The bucket as last seen, refilled since (other replicas may have spent some: planners get an upper bound). */
  private estimate(): { tokens: number; windowUsed: number; windowEndsInMs: number; paused: boolean; pausedMs: number } {
    const now = this.clock();
    const l = this.last;
    const tokens = l ? Math.min(this.sharedBurstSize, l.grant.tokens + ((now - l.at) * this.sharedRate) / 1000) : this.sharedBurstSize;
    const pausedMs = Math.max(0, Math.max(this.localPausedUntil, this.remotePausedUntil()) - now);
    const ends = l?.grant.windowEndsInMs;
    const rolled = ends != null && now - l!.at >= ends;
    const windowUsed = rolled ? 0 : (l?.grant.windowUsed ?? 0);
    const windowEndsInMs = ends != null && !rolled ? ends - (now - l!.at) : this.window;
    return { tokens, windowUsed, windowEndsInMs: Math.max(1, windowEndsInMs), paused: pausedMs > 0, pausedMs };
  }

  private localPause(ms: number): void {
    const until = this.clock() + Math.max(0, ms);
    if (until > this.localPausedUntil) {
      this.localPausedUntil = until;
      this.pauseCount++;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private logError(err: unknown): void {
    const now = this.clock();
    if (now - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = now;
    this.o.logger?.warn({ budget: this.name, err: err instanceof Error ? err.message : String(err) }, 'shared rate budget: store unreachable, callers wait');
  }
}

/**
 * Client-side rate budgets: a token bucket (1 s of burst by default) plus an optional fixed hourly window,
 * shared by every request to one vendor endpoint family. Waiters are served by priority (0 = live before
 * 1 = backfill), FIFO within a priority. The budget adapts to what the vendor reports (`observe`, from Brevo's
 * `x-sib-ratelimit-*` headers) and stops everyone after a 429 (`pauseFor`).
 *
 * `timeScale` (the `--time-scale` of the emulators) speeds everything up: rates are multiplied, the hourly
 * window is shortened and vendor-reported reset seconds (emulated seconds) are divided by it.
 */
import { grant, rejectAll, waitInQueue, type Waiter } from './waiters.js';

export interface RateBudgetOptions {
  ratePerSecond?: number;
  perHour?: number;
  /** Bucket capacity in tokens; default: one second of rate (at least 1). */
  burst?: number;
  now?: () => number;
  /** Emulated-time factor; default 1. Rates passed here are already real-time rates. */
  timeScale?: number;
  /** Length of the hourly window in real ms; default 3_600_000 / timeScale. */
  windowMs?: number;
}

export interface BudgetSnapshot {
  name: string;
  ratePerSecond: number;
  perHour?: number;
  used: number;
  waitedMs: number;
  /** Acquisitions that had to wait. */
  throttled: number;
  /** Pauses imposed (429s, `remaining: 0`). */
  pauses: number;
  pausedUntil?: number;
}

export interface BudgetCapacity {
  /** Requests that can start right now without waiting. */
  availableNow: number;
  /** Sustained requests per real second (the tighter of the per-second rate and the hourly window). */
  sustainedPerSecond: number;
  /** Real ms until the next request may start (0 when availableNow ≥ 1). */
  nextInMs: number;
}

const HOUR_MS = 3_600_000;

export class RateBudget {
  readonly name: string;
  private rate: number;
  private burst: number;
  private perHour: number | undefined;
  private readonly windowMs: number;
  private readonly now: () => number;
  readonly timeScale: number;
  private tokens: number;
  private lastRefill: number;
  private windowStart: number | undefined;
  private windowUsed = 0;
  private pausedUntil = 0;
  private used = 0;
  private waitedMs = 0;
  private throttled = 0;
  private pauses = 0;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(name: string, opts: RateBudgetOptions = {}) {
    this.name = name;
    this.now = opts.now ?? Date.now;
    this.timeScale = opts.timeScale ?? 1;
    this.perHour = opts.perHour;
    this.windowMs = opts.windowMs ?? HOUR_MS / this.timeScale;
    // Without a per-second rate, the hourly budget alone paces requests (bucket never limits).
    this.rate = opts.ratePerSecond ?? Number.POSITIVE_INFINITY;
    this.burst = opts.burst ?? (Number.isFinite(this.rate) ? Math.max(1, this.rate) : Number.POSITIVE_INFINITY);
    this.tokens = this.burst;
    this.lastRefill = this.now();
  }

  /** Wait for one request slot; resolves with the ms waited. Rejects with the signal's reason when aborted. */
  acquire(opts: { priority?: 0 | 1; signal?: AbortSignal } = {}): Promise<number> {
    return waitInQueue(this.queue, opts, this.now(), () => this.pump(), () => this.schedule());
  }

  /** Take a slot only if one is free now (no waiting, does not jump the queue). */
  tryAcquire(): boolean {
    if (this.queue.length > 0 || this.delayMs() > 0) return false;
    this.consume();
    return true;
  }

  /**
   * Adapt to the vendor's view (`x-sib-ratelimit-limit/remaining/reset`). A window longer than a few seconds
   * is the hourly window: its limit replaces `perHour` and the used count is synced. A per-second window lowers the
   * tokens left, and its limit raises the rate when it is higher than ours (Brevo's Advanced and Extended tiers allow
   * 20 and 60 RPS where the General tier, our default, allows 10: brevo.md §6), never lowers it (a 429 or
   * `remaining: 0` pauses instead). `remaining: 0` pauses until the reset.
   */
  observe(h: { limit?: number; remaining?: number; resetSeconds?: number }): void {
    const now = this.now();
    const resetMs = h.resetSeconds !== undefined && Number.isFinite(h.resetSeconds) ? (h.resetSeconds * 1000) / this.timeScale : undefined;
    const hourly = h.resetSeconds !== undefined && h.resetSeconds > 5;
    if (hourly && h.limit !== undefined && h.limit > 0) {
      this.perHour = h.limit;
      if (h.remaining !== undefined) this.windowUsed = Math.max(0, h.limit - h.remaining);
      if (resetMs !== undefined) this.windowStart = now + resetMs - this.windowMs;
    } else if (!hourly) {
      this.refill(now);
      if (h.limit !== undefined && Number.isFinite(h.limit) && h.limit * this.timeScale > this.rate) {
        // the vendor's bucket holds `limit` requests; ours keeps holding half of it (jitter margin, budgetsForBrevo)
        this.rate = h.limit * this.timeScale;
        this.burst = Math.max(this.burst, Math.floor(h.limit / 2));
      }
      if (h.remaining !== undefined) this.tokens = Math.min(this.tokens, Math.max(0, h.remaining));
    }
    if (h.remaining === 0 && resetMs !== undefined) this.pauseFor(Math.max(resetMs, 1));
    this.schedule();
  }

  /** Stop starting requests for `ms` (after a 429). Never shortens an existing pause. */
  pauseFor(ms: number): void {
    const until = this.now() + Math.max(0, ms);
    if (until > this.pausedUntil) {
      this.pausedUntil = until;
      this.pauses++;
    }
    this.schedule();
  }

  /** What can be spent now and how fast it refills (for planners). */
  capacity(): BudgetCapacity {
    const now = this.now();
    this.refill(now);
    this.rollWindow(now);
    const paused = now < this.pausedUntil;
    let available = paused ? 0 : Math.floor(this.tokens) - this.queue.length;
    if (this.perHour !== undefined) available = Math.min(available, this.perHour - this.windowUsed);
    const hourly = this.perHour !== undefined ? (this.perHour * 1000) / this.windowMs : Number.POSITIVE_INFINITY;
    return {
      availableNow: Math.max(0, Number.isFinite(available) ? available : Number.MAX_SAFE_INTEGER),
      sustainedPerSecond: Math.min(this.rate, hourly),
      nextInMs: this.delayMs(),
    };
  }

  snapshot(): BudgetSnapshot {
    return {
      name: this.name,
      ratePerSecond: this.rate,
      ...(this.perHour !== undefined ? { perHour: this.perHour } : {}),
      used: this.used,
      waitedMs: this.waitedMs,
      throttled: this.throttled,
      pauses: this.pauses,
      ...(this.pausedUntil > this.now() ? { pausedUntil: this.pausedUntil } : {}),
    };
  }

  /** Reject every waiter (shutdown). */
  close(reason: unknown = new Error(`budget ${this.name} closed`)): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    rejectAll(this.queue, reason);
  }

  /** Real ms until one more request may start (ignoring the queue). */
  delayMs(): number {
    const now = this.now();
    this.refill(now);
    this.rollWindow(now);
    let wait = Math.max(0, this.pausedUntil - now);
    if (this.tokens < 1) wait = Math.max(wait, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    if (this.perHour !== undefined && this.windowUsed >= this.perHour) {
      const end = (this.windowStart ?? now) + this.windowMs;
      wait = Math.max(wait, end - now, 1);
    }
    return wait;
  }

  private refill(now: number): void {
    if (!Number.isFinite(this.rate)) {
      this.tokens = Number.POSITIVE_INFINITY;
    } else {
      const elapsed = Math.max(0, now - this.lastRefill) / 1000;
      this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
    }
    this.lastRefill = now;
  }

  private rollWindow(now: number): void {
    if (this.perHour === undefined || this.windowStart === undefined) return;
    if (now >= this.windowStart + this.windowMs) {
      const n = Math.floor((now - this.windowStart) / this.windowMs);
      this.windowStart += n * this.windowMs;
      this.windowUsed = 0;
    }
  }

  private consume(): void {
    const now = this.now();
    this.tokens -= 1;
    if (this.perHour !== undefined) {
      if (this.windowStart === undefined) this.windowStart = now;
      this.windowUsed++;
    }
    this.used++;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const wait = this.delayMs();
      if (wait > 0) {
        this.schedule(wait);
        return;
      }
      const w = this.queue.shift()!;
      this.consume();
      const waited = grant(w, this.now());
      this.waitedMs += waited;
      if (waited > 0) this.throttled++;
    }
  }

  private schedule(wait?: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const ms = wait ?? this.delayMs();
    // Not unref'd: a pending promise does not keep the process alive, this timer does (it only exists while someone
    // waits for a slot; `close()` or aborting the waiters clears it).
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }
}

/** Acquire several budgets (e.g. Twilio Events needs `events` and `taskrouter`); returns the total ms waited. */
export async function acquireAll(budgets: readonly RateBudget[], opts: { priority?: 0 | 1; signal?: AbortSignal } = {}): Promise<number> {
  let waited = 0;
  for (const b of budgets) waited += await b.acquire(opts);
  return waited;
}

export interface TwilioBudgets {
  flex: RateBudget;
  conversations: RateBudget;
  taskrouter: RateBudget;
  /** An Events API call must acquire both `events` and `taskrouter`. */
  events: RateBudget;
}

/** Twilio per-account limits (per workspace for TaskRouter). `scale` = `--time-scale` against emulators. */
export function budgetsForTwilio(workspaceSid: string, scale = 1): TwilioBudgets {
  // The burst is one (emulated) second of requests: the vendor's bucket holds `rps` tokens whatever the time scale.
  const mk = (name: string, rps: number) => new RateBudget(`twilio:${name}:${workspaceSid}`, { ratePerSecond: rps * scale, burst: rps, timeScale: scale });
  return { flex: mk('flex', 100), conversations: mk('conversations', 100), taskrouter: mk('taskrouter', 30), events: mk('events', 20) };
}

export interface BrevoBudgets {
  /** All `/v3/contacts/*` (incl. import, lists, attributes): 10 RPS. */
  contacts: RateBudget;
  /** `POST /v3/events`: 10 RPS. */
  events: RateBudget;
  /** Everything else (`/events/batch`, `/processes/*`, `/account`): 100 per hour. */
  other: RateBudget;
}

/** Brevo General-tier limits (brevo.md §6). `scale` = `--time-scale` against emulators. */
export function budgetsForBrevo(scale = 1): BrevoBudgets {
  return {
    // Brevo's bucket holds one (emulated) second of requests (10) whatever the time scale. Ours holds half of it: the
    // other half absorbs requests that reach Brevo bunched up (network and event-loop jitter) instead of 429s.
    contacts: new RateBudget('brevo:contacts', { ratePerSecond: 10 * scale, burst: 5, timeScale: scale }),
    events: new RateBudget('brevo:events', { ratePerSecond: 10 * scale, burst: 5, timeScale: scale }),
    // The hourly window is the real limit; the per-second pacing only keeps a burst of calls from bunching up.
    other: new RateBudget('brevo:other', { perHour: 100, ratePerSecond: 10 * scale, burst: 10, timeScale: scale }),
  };
}

/** Which Brevo budget a request path uses (path relative to the base URL, e.g. `/events/batch`). */
export function brevoBudgetFor(budgets: BrevoBudgets, method: string, path: string): RateBudget {
  const p = path.split('?')[0]!.replace(/^\/v3/, '');
  if (p.startsWith('/contacts')) return budgets.contacts;
  if (p === '/events' && method.toUpperCase() === 'POST') return budgets.events;
  return budgets.other;
}

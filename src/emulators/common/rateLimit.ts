import type { EmulatorClock } from './clock.js';

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds (emulated) until the budget has room again / the window resets. */
  resetSeconds: number;
}

export interface Limiter {
  readonly name: string;
  /** Peek without consuming. */
  peek(): LimitDecision;
  /** Consume one unit if possible. */
  take(): LimitDecision;
}

/**
 * Token bucket in emulated time: `ratePerSecond` tokens per second, capacity = one second of burst (at least one
 * request, so that a configured rate below 1 per second still lets a request through every 1/rate seconds).
 * Used for Twilio's per-second limits and Brevo's RPS limits.
 */
export class TokenBucket implements Limiter {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(readonly name: string, private readonly ratePerSecond: number, private readonly clock: EmulatorClock) {
    this.capacity = Math.max(1, ratePerSecond);
    this.tokens = this.capacity;
    this.last = clock.nowMs();
  }

  private refill(): void {
    const now = this.clock.nowMs();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.ratePerSecond);
    this.last = now;
  }

  peek(): LimitDecision {
    this.refill();
    const allowed = this.tokens >= 1;
    const missing = allowed ? 0 : 1 - this.tokens;
    return {
      allowed,
      limit: this.ratePerSecond,
      remaining: Math.floor(this.tokens),
      resetSeconds: Math.max(1, Math.ceil(missing / this.ratePerSecond)),
    };
  }

  take(): LimitDecision {
    const d = this.peek();
    if (d.allowed) {
      this.tokens -= 1;
      d.remaining = Math.floor(this.tokens);
    }
    return d;
  }
}

/** Fixed window (e.g. Brevo's "100 requests per hour"), in emulated time. */
export class FixedWindow implements Limiter {
  private windowStart: number;
  private used = 0;

  constructor(readonly name: string, private readonly limit: number, private readonly windowMs: number, private readonly clock: EmulatorClock) {
    this.windowStart = clock.nowMs();
  }

  private roll(): void {
    const now = this.clock.nowMs();
    if (now - this.windowStart >= this.windowMs) {
      const windows = Math.floor((now - this.windowStart) / this.windowMs);
      this.windowStart += windows * this.windowMs;
      this.used = 0;
    }
  }

  peek(): LimitDecision {
    this.roll();
    const resetSeconds = Math.max(1, Math.ceil((this.windowStart + this.windowMs - this.clock.nowMs()) / 1000));
    return { allowed: this.used < this.limit, limit: this.limit, remaining: Math.max(0, this.limit - this.used), resetSeconds };
  }

  take(): LimitDecision {
    const d = this.peek();
    if (d.allowed) {
      this.used += 1;
      d.remaining = this.limit - this.used;
    }
    return d;
  }
}

/** Consume from several limiters atomically: all must allow, or none is consumed. */
export function takeAll(limiters: readonly Limiter[]): { decision: LimitDecision; blockedBy?: Limiter } {
  for (const l of limiters) {
    const d = l.peek();
    if (!d.allowed) return { decision: d, blockedBy: l };
  }
  let last: LimitDecision = { allowed: true, limit: Infinity, remaining: Infinity, resetSeconds: 0 };
  for (const l of limiters) {
    const d = l.take();
    if (d.remaining < last.remaining) last = d;
  }
  return { decision: last };
}

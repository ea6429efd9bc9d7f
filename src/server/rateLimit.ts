/**
 * Per-source rate limiting: one token bucket per (route, client IP). Twilio delivers from a handful of IPs,
 * so the defaults are generous; the point is to stop a single misbehaving source from filling the inbox.
 */
export interface RateLimitOptions {
  /** Sustained requests per second per (route, IP). */
  ratePerSecond: number;
  /** Bucket capacity (burst). */
  burst: number;
  /** Most buckets kept; the least recently used are dropped past it. */
  maxKeys?: number;
  now?: () => number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 500, burst: 5000 };

interface Bucket {
  tokens: number;
  at: number;
}

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: RateLimitOptions) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  /** Takes a token; returns 0 when allowed, else the seconds to wait before the next token. */
  take(route: string, ip: string): number {
    const key = `${route}|${ip}`;
    const now = this.now();
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key); // re-insert: Map order is the LRU order
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.ratePerSecond);
      b.at = now;
    } else {
      b = { tokens: this.opts.burst, at: now };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.ratePerSecond));
  }

  get size(): number {
    return this.buckets.size;
  }
}

import type { EmulatorClock } from '../common/clock.js';
import { TokenBucket, takeAll, type Limiter } from '../common/rateLimit.js';
import { DEFAULT_LIMITS, type EndpointStats, type TwilioLimits, type TwilioProduct } from './types.js';

/**
 * Twilio request budgets in emulated time. Flex, Conversations and Event Streams: one bucket per API.
 * TaskRouter: reads (GET) per workspace; `GET …/Events` draws from the Events bucket and the workspace bucket at once.
 */
export class TwilioBudgets {
  readonly limits: TwilioLimits;
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly clock: EmulatorClock, limits?: Partial<TwilioLimits>) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  private bucket(name: string, rps: number): TokenBucket {
    let b = this.buckets.get(name);
    if (!b) {
      b = new TokenBucket(name, rps, this.clock);
      this.buckets.set(name, b);
    }
    return b;
  }

  /** The limiters a request draws from (empty: not limited). */
  limitersFor(product: TwilioProduct, method: string, path: string): Limiter[] {
    switch (product) {
      case 'flex':
        return [this.bucket('flex', this.limits.flexRps)];
      case 'conversations':
        return [this.bucket('conversations', this.limits.conversationsRps)];
      case 'events':
        return [this.bucket('event-streams', this.limits.eventStreamsRps)];
      case 'taskrouter': {
        if (method !== 'GET') return [];
        const ws = /^\/v1\/Workspaces\/([^/?]+)/.exec(path)?.[1];
        if (!ws) return [];
        const read = this.bucket(`taskrouter:${ws}`, this.limits.taskrouterReadRps);
        if (/^\/v1\/Workspaces\/[^/]+\/Events\/?$/.test(path)) {
          return [this.bucket(`taskrouter-events:${ws}`, this.limits.taskrouterEventsRps), read];
        }
        return [read];
      }
    }
  }

  /** Takes one token from every limiter, or none. */
  take(product: TwilioProduct, method: string, path: string): { allowed: boolean; blockedBy?: string } {
    const limiters = this.limitersFor(product, method, path);
    if (limiters.length === 0) return { allowed: true };
    const r = takeAll(limiters);
    return r.blockedBy ? { allowed: false, blockedBy: r.blockedBy.name } : { allowed: true };
  }

  reset(): void {
    this.buckets.clear();
  }
}

/** Requests and answers per endpoint (`GET /taskrouter/v1/Workspaces/{WorkspaceSid}/Tasks`). */
export class RequestLog {
  private stats = new Map<string, EndpointStats>();

  private entry(key: string): EndpointStats {
    let e = this.stats.get(key);
    if (!e) {
      e = { requests: 0, rateLimited: 0, statuses: {} };
      this.stats.set(key, e);
    }
    return e;
  }

  request(key: string): void {
    this.entry(key).requests += 1;
  }

  answer(key: string, status: number | 'timeout'): void {
    const e = this.entry(key);
    e.statuses[String(status)] = (e.statuses[String(status)] ?? 0) + 1;
    if (status === 429) e.rateLimited += 1;
  }

  snapshot(): Record<string, EndpointStats> {
    const out: Record<string, EndpointStats> = {};
    for (const [k, v] of [...this.stats.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out[k] = { requests: v.requests, rateLimited: v.rateLimited, statuses: { ...v.statuses } };
    }
    return out;
  }

  reset(): void {
    this.stats.clear();
  }
}

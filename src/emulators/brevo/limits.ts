import type { EmulatorClock } from '../common/clock.js';
import { FixedWindow, TokenBucket, type LimitDecision, type Limiter } from '../common/rateLimit.js';

/** Brevo General-tier budgets (brevo.md §6), configurable. */
export interface BrevoLimitsConfig {
  /** All `/v3/contacts/*` (incl. import, batch, lists, folders, attributes): token bucket, requests per second. */
  contactsPerSecond: number;
  /** `POST /v3/events`: token bucket, requests per second. */
  eventsPerSecond: number;
  /** Every other endpoint (incl. `POST /events/batch`, `/processes/*`, `/account`): fixed window per hour. */
  otherPerHour: number;
  /** false: budgets are reported in headers but never enforced. */
  enabled: boolean;
}

export const DEFAULT_BREVO_LIMITS: BrevoLimitsConfig = { contactsPerSecond: 10, eventsPerSecond: 10, otherPerHour: 100, enabled: true };

export type BrevoBucket = 'contacts' | 'events' | 'hourly';

/**
 * Which budget a request spends. `path` is relative to the API root (`/contacts/...`). `POST /events/batch` is in no
 * published table; brevo.md §0.2 says it most likely falls under the 100 RPH catch-all, which the emulator follows.
 */
export function bucketFor(method: string, path: string): BrevoBucket {
  if (path === '/contacts' || path.startsWith('/contacts/')) return 'contacts';
  if (method.toUpperCase() === 'POST' && (path === '/events' || path === '/events/')) return 'events';
  return 'hourly';
}

export class BrevoLimits {
  private limiters!: Record<BrevoBucket, Limiter>;

  constructor(
    readonly config: BrevoLimitsConfig,
    private readonly clock: EmulatorClock,
  ) {
    this.reset();
  }

  reset(): void {
    this.limiters = {
      contacts: new TokenBucket('brevo-contacts', this.config.contactsPerSecond, this.clock),
      events: new TokenBucket('brevo-events', this.config.eventsPerSecond, this.clock),
      hourly: new FixedWindow('brevo-hourly', this.config.otherPerHour, 3_600_000, this.clock),
    };
  }

  peek(bucket: BrevoBucket): LimitDecision {
    return this.limiters[bucket].peek();
  }

  /** Spend one request; when limits are disabled nothing is spent and the request is always allowed. */
  take(bucket: BrevoBucket): LimitDecision {
    if (!this.config.enabled) return { ...this.peek(bucket), allowed: true };
    return this.limiters[bucket].take();
  }
}

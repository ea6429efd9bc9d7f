/**
 * What `POST /events/batch` draws from, learnt from its responses. brevo.md §0.2: the endpoint is missing from the
 * published rate-limit tables, so it may be in the 100-per-hour catch-all or have its own bucket. A limit above 100,
 * or a per-second window seen twice, proves its own bucket: from then on it draws from a dedicated budget sized from
 * the headers.
 */
import type { Logger } from '../../core/logger.js';
import { RateBudget } from '../../engine/budget.js';
import { sibHeaders } from '../../engine/http.js';

/** What the `POST /events/batch` responses told us about that endpoint's own limit. */
export interface BatchLimitObservation {
  limit?: number;
  remaining?: number;
  resetSeconds?: number;
  /** True once the endpoint is known not to share the 100-per-hour catch-all (its own budget is used). */
  dedicated: boolean;
}

const CATCH_ALL_PER_HOUR = 100;

export class EventsBatchLimit {
  private current: RateBudget;
  private seen: BatchLimitObservation = { dedicated: false };
  private shortWindowSeen = 0;

  /** `catchAll`: the budget it draws from until headers prove otherwise; `timeScale`: emulated seconds per second. */
  constructor(catchAll: RateBudget, private readonly timeScale: number, private readonly logger?: Logger) {
    this.current = catchAll;
  }

  get budget(): RateBudget {
    return this.current;
  }

  get observation(): BatchLimitObservation {
    return { ...this.seen };
  }

  /** Reads one response's `x-sib-ratelimit-*` headers. */
  observe(headers: Record<string, string>): void {
    const sib = sibHeaders(headers);
    if (!sib) return;
    this.seen = { ...sib, dedicated: this.seen.dedicated };
    if (!this.seen.dedicated) {
      const shortWindow = sib.resetSeconds !== undefined && sib.resetSeconds <= 2 && (sib.remaining ?? 0) > 0;
      if (shortWindow) this.shortWindowSeen++;
      const limit = sib.limit;
      if (limit !== undefined && (limit > CATCH_ALL_PER_HOUR || this.shortWindowSeen >= 2)) {
        const scale = this.timeScale;
        this.current = shortWindow
          ? new RateBudget('brevo:events-batch', { ratePerSecond: limit * scale, burst: limit, timeScale: scale })
          : new RateBudget('brevo:events-batch', { perHour: limit, ratePerSecond: 10 * scale, burst: 10, timeScale: scale });
        this.seen.dedicated = true;
        this.logger?.info({ limit, resetSeconds: sib.resetSeconds }, 'brevo events/batch has its own rate limit; using a dedicated budget');
      }
    }
    this.current.observe(sib);
  }
}

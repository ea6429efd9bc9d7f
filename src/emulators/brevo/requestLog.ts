import type { BrevoBucket } from './limits.js';
import type { IgnoredAttribute } from './types.js';

export interface EndpointCounts {
  total: number;
  /** Status code (or `timeout`) → count. */
  statuses: Record<string, number>;
}

/** What `GET /_emulator/brevo/requests` and `BrevoEmulator.requestLog()` return. */
export interface BrevoRequestLog {
  total: number;
  /** Keyed by `METHOD /path/{template}` as in the spec (`POST /contacts/lists/{listId}/contacts/add`). */
  endpoints: Record<string, EndpointCounts>;
  statuses: Record<string, number>;
  /** 429s answered because a budget was exhausted, per bucket; `injected` = 429s from the fault injector. */
  rateLimited: { total: number; byBucket: Record<BrevoBucket, number>; injected: number };
  faults: { total: number; byReason: Record<string, number> };
  /** Attribute values Brevo would silently ignore (unknown attribute, wrong type, …). Newest last, capped. */
  ignoredAttributes: { total: number; entries: IgnoredAttribute[] };
  /** Import `notifyUrl` callbacks. */
  notifications: { processId: number; url: string; status?: number; error?: string; at: string }[];
}

const MAX_IGNORED_ENTRIES = 1000;

export class RequestLog {
  private log!: BrevoRequestLog;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.log = {
      total: 0,
      endpoints: {},
      statuses: {},
      rateLimited: { total: 0, byBucket: { contacts: 0, events: 0, hourly: 0 }, injected: 0 },
      faults: { total: 0, byReason: {} },
      ignoredAttributes: { total: 0, entries: [] },
      notifications: [],
    };
  }

  record(endpoint: string, status: number | 'timeout'): void {
    const key = String(status);
    const e = (this.log.endpoints[endpoint] ??= { total: 0, statuses: {} });
    e.total += 1;
    e.statuses[key] = (e.statuses[key] ?? 0) + 1;
    this.log.statuses[key] = (this.log.statuses[key] ?? 0) + 1;
    this.log.total += 1;
  }

  rateLimited(bucket: BrevoBucket): void {
    this.log.rateLimited.total += 1;
    this.log.rateLimited.byBucket[bucket] += 1;
  }

  fault(reason: string): void {
    this.log.faults.total += 1;
    this.log.faults.byReason[reason] = (this.log.faults.byReason[reason] ?? 0) + 1;
    if (reason === '429') this.log.rateLimited.injected += 1;
  }

  ignored(entries: readonly IgnoredAttribute[]): void {
    const ig = this.log.ignoredAttributes;
    ig.total += entries.length;
    ig.entries.push(...entries);
    if (ig.entries.length > MAX_IGNORED_ENTRIES) ig.entries.splice(0, ig.entries.length - MAX_IGNORED_ENTRIES);
  }

  notification(n: BrevoRequestLog['notifications'][number]): void {
    this.log.notifications.push(n);
  }

  snapshot(): BrevoRequestLog {
    return structuredClone(this.log);
  }
}

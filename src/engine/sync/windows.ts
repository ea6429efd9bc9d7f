/**
 * Time windows for TaskRouter Events. The API keeps 30 days and returns only the last 15 minutes without a window
 * (docs/twilio.md §0.3), so every read has explicit bounds. Window sizes adapt to volume: many pages → smaller
 * windows (the window is the unit of resumption and of derivation), few records → larger ones.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const RETENTION_MS = 30 * DAY_MS;
/** Kept clear of the retention edge so the first window is not cut while the request is in flight. */
export const RETENTION_MARGIN_MS = 5 * MINUTE_MS;

export interface SyncRange {
  startMs: number;
  endMs: number;
  warnings: string[];
}

/**
 * Full: from `since` (default: the retention start). Incremental: from the cursor minus the lookback (a first
 * incremental without cursor behaves like a full). A start older than the retention is clamped with a warning (a
 * `--since`, or the cursor of a connector that did not sync for longer than the retention).
 */
export function syncRange(opts: { type: 'full' | 'incremental'; nowMs: number; sinceMs?: number | undefined; cursorEndMs?: number | undefined; lookbackMinutes: number }): SyncRange {
  const warnings: string[] = [];
  const floor = opts.nowMs - RETENTION_MS + RETENTION_MARGIN_MS;
  let start: number;
  const cursor = opts.type === 'incremental' ? opts.cursorEndMs : undefined;
  if (cursor !== undefined) start = cursor - opts.lookbackMinutes * MINUTE_MS;
  else start = opts.sinceMs ?? floor;
  if (cursor !== undefined && cursor < floor) {
    // The connector did not sync for longer than the retention: the events in between are gone from TaskRouter.
    warnings.push(`the last sync reached ${new Date(cursor).toISOString()}, older than TaskRouter's 30-day event retention; task events before ${new Date(floor).toISOString()} can no longer be read`);
  } else if (cursor === undefined && opts.sinceMs !== undefined && opts.sinceMs < floor) {
    warnings.push(`--since ${new Date(opts.sinceMs).toISOString()} is older than TaskRouter's 30-day event retention; task data is read from ${new Date(floor).toISOString()}`);
  }
  start = Math.max(start, floor);
  return { startMs: Math.min(start, opts.nowMs), endMs: opts.nowMs, warnings };
}

export interface WindowSizer {
  /** The next window's size (ms). */
  readonly sizeMs: number;
  /** Adapts after a window: pages read and records seen. */
  observe(pages: number, records: number, pageSize: number): void;
}

/**
 * Window sizes for a read: start small (the first window's Brevo writes go out within seconds), then keep each window
 * near `targetPages` pages — halved above twice that, doubled at half of it or less. Every window ends with a partial
 * page, so few large windows waste few requests (the minimal plan walks the whole range as one); the window is also
 * the unit a restart re-reads and derives, which bounds it from above.
 */
export function windowSizer(initialMs = HOUR_MS, minMs = 5 * MINUTE_MS, maxMs = 7 * DAY_MS, targetPages = 8): WindowSizer {
  let size = initialMs;
  return {
    get sizeMs() {
      return size;
    },
    observe(pages, records, pageSize) {
      if (pages > 2 * targetPages) size = Math.max(minMs, Math.floor(size / 2));
      else if (records <= (pageSize * targetPages) / 2) size = Math.min(maxMs, size * 2);
    },
  };
}
